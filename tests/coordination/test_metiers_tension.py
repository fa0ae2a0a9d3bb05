"""Métiers en tension: a coordinator loads a CSV of ROME codes for a territory (CSRF, per-row errors in
French, nothing stored when a row is wrong) and reads, per métier, the training and immersion offer
within reach, on the real bundled records."""
from __future__ import annotations

import io
import re

from app.coordination import tension
from tests.coordination.conftest import csrf_token


def post_list(client, url: str, content: bytes, token: str | None, name: str = "liste.csv"):
    data = {"fichier": (io.BytesIO(content), name)}
    if token is not None:
        data["csrf_token"] = token
    return client.post(url, data=data, content_type="multipart/form-data")


def table_rows(html: str) -> dict[str, dict[str, str]]:
    out = {}
    for m in re.finditer(r'<tr data-code="(\w+)"[^>]*>(.*?)</tr>', html, re.S):
        out[m.group(1)] = {col: re.sub(r"<[^>]+>", "", v).strip()
                           for col, v in re.findall(r'<td data-col="([\w-]+)">(.*?)</td>', m.group(2), re.S)}
    return out


# -- the file, alone -----------------------------------------------------------------------------
def test_parse_reports_every_bad_row_in_french():
    parsed = tension.parse("code_rome;libelle\nK2204;Agent d'entretien\nK22O4;faute de frappe\nA9999;inconnu\n"
                           "k2204;doublon\nK;trop large\n;sans code\n\nF1703;maçons\n".encode())
    assert [r.code for r in parsed.rows] == ["K2204", "F1703"] and parsed.rows[0].commentaire == "Agent d'entretien"
    assert not parsed.ok
    assert [(e.ligne, e.valeur) for e in parsed.errors] == [(3, "K22O4"), (4, "A9999"), (5, "k2204"), (6, "K"), (7, "")]
    messages = [e.message for e in parsed.errors]
    assert messages[0].startswith("« K22O4 » n'est pas un code ROME")
    assert messages[1] == "Code ROME inconnu : A9999 (absent du référentiel ROME v3)."
    assert messages[2] == "Code K2204 en double (déjà ligne 2)."
    assert "grand domaine entier" in messages[3] and messages[4] == "Code ROME manquant dans la colonne des codes."


def test_parse_accepts_the_usual_shapes():
    no_header = tension.parse(b"K2204\nF1604\n")
    assert no_header.ok and [r.code for r in no_header.rows] == ["K2204", "F1604"]
    commas = tension.parse("métier,code_rome\nPlaquiste,F1604\nMaçon,F17\n".encode("cp1252"))
    assert commas.ok and [(r.code, r.commentaire) for r in commas.rows] == [("F1604", "Plaquiste"), ("F17", "Maçon")]
    assert tension.parse(b"").errors[0].message.startswith("Fichier vide")
    assert "fichier texte" in tension.parse(b"PK\x03\x04\x00\x00binary").errors[0].message
    header = tension.parse(b"nom;ville\nx;y\n")
    assert not header.ok and "code_rome" in header.errors[0].message


# -- the page ---------------------------------------------------------------------------------------
def test_login_and_csrf_are_required(app, coordinator):
    anonymous = app.test_client()
    response = anonymous.get("/coordination/metiers?departement=37")
    assert response.status_code == 302 and "/coordination/connexion" in response.headers["Location"]
    assert post_list(anonymous, "/coordination/metiers?departement=37", b"K2204\n", None).status_code == 400
    page = coordinator.get("/coordination/metiers?departement=37")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    response = post_list(coordinator, "/coordination/metiers?departement=37", b"K2204\n", None)
    assert response.status_code == 400 and "Formulaire expiré ou invalide" in response.text


def test_wrong_rows_are_listed_and_nothing_is_stored(coordinator):
    url = "/coordination/metiers?departement=2A"
    page = coordinator.get(url)
    response = post_list(coordinator, url, b"code_rome\nF1604\nK22O4\nA9999\n", csrf_token(page.text))
    assert response.status_code == 400
    assert "Le fichier n'a pas été enregistré : 2 erreurs." in response.text.replace("&#39;", "'")
    errors = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", response.text)
    assert [(l, v) for l, v, _ in errors] == [("3", "K22O4"), ("4", "A9999")]
    assert "Code ROME inconnu : A9999" in errors[1][2]
    assert "Aucune liste de métiers en tension" in coordinator.get(url).text
    response = post_list(coordinator, url, b"%PDF-1.4", csrf_token(page.text), name="liste.pdf")
    assert response.status_code == 400 and "Format accepté : CSV" in response.text


def test_table_of_the_offer_within_reach(coordinator):
    url = "/coordination/metiers?departement=37"
    page = coordinator.get(url)
    content = "code_rome;commentaire\nF1604;plaquistes\nK2204;agents de propreté\nA1402;maraîchage\n".encode()
    response = post_list(coordinator, url, content, csrf_token(page.text))
    assert response.status_code == 302 and response.headers["Location"].endswith("/coordination/metiers?departement=37")
    page = coordinator.get(url)
    assert "Liste enregistrée : 3 métiers en tension pour Indre-et-Loire (37)." in page.text
    rows = table_rows(page.text)
    assert list(rows) == ["F1604", "K2204", "A1402"], "the file's order"
    # the two AFPA plaquiste actions at Veigné; GEIQ BTP 37 (second œuvre) recruits
    assert rows["F1604"]["formations"] == "2" and int(rows["F1604"]["immersions"]) >= 1
    # the paysan-boulanger training is in the Orne (61), far from every commune of Indre-et-Loire
    assert rows["A1402"]["formations"] == "0"
    csv_text = coordinator.get("/coordination/metiers.csv?departement=37").text
    assert csv_text.splitlines()[0].startswith("code_rome;libelle;commentaire;formations_sur_place_20km")
    assert "F1604;Montage d'agencements;plaquistes;2;0;" in csv_text
    # within reach means near a commune of the territory: the Orne training counts for the Orne
    page = coordinator.get("/coordination/metiers?departement=61")
    response = post_list(coordinator, "/coordination/metiers?departement=61", b"A1402\n", csrf_token(page.text))
    assert response.status_code == 302
    assert table_rows(coordinator.get("/coordination/metiers?departement=61").text)["A1402"]["formations"] == "1"
    # a new list replaces the previous one
    page = coordinator.get(url)
    assert post_list(coordinator, url, b"K2204\n", csrf_token(page.text)).status_code == 302
    assert list(table_rows(coordinator.get(url).text)) == ["K2204"]


def test_employers_within_reach_in_aude(coordinator):
    url = "/coordination/metiers?departement=11&seuil=10"
    page = coordinator.get(url)
    assert post_list(coordinator, url, b"K2204\nG1602\n", csrf_token(page.text)).status_code == 302
    rows = table_rows(coordinator.get(url).text)
    assert int(rows["K2204"]["immersions"]) >= 1, "the cleaning EI of Carcassonne (NAF 8121Z)"
    assert rows["K2204"]["formations"] == "0"
