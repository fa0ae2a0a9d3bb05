"""SIAE (2019 list + jobs) and GEIQ connectors, on the real bundled files and damaged copies of them."""
from __future__ import annotations

import collections
import random
import re

import pytest

from app.core import vocabularies as voc
from indexer.connectors.siae import (FIRST_NAMES, GeiqConnector, SiaeConnector, column_key, email_kind,
                                     locate)
from indexer.run import RunFailed
from tests.connectors.helpers import fed_levers, per_departement, rewrite_lines, run, stored

SIAE_LIST = SiaeConnector().default_paths()[1]
SIAE_JOBS = SiaeConnector().default_paths()[0]
GEIQ_LIST = GeiqConnector().default_paths()[0]


def rewrite(source, target, changes: dict) -> None:
    rewrite_lines(source, target, changes, contains=True)


@pytest.fixture(scope="module")
def siae(tmp_path_factory):
    return run(SiaeConnector(), tmp_path_factory.mktemp("siae"))


@pytest.fixture(scope="module")
def geiq(tmp_path_factory):
    return run(GeiqConnector(), tmp_path_factory.mktemp("geiq"))


# --------------------------------------------------------------------------------------------- SIAE

def test_siae_counts_per_departement(siae):
    report = siae["report"]
    assert report.status == "ok"
    assert report.read == 3932 + 228  # conventions + rows of the jobs file (attached, not offers)
    # SOURCES.md counts rows by convention département (11: 30, 12: 15, 81: 27); offers are placed at
    # their address: one ACI conventioned in Aude has its seat in Montpellier (34).
    assert per_departement(siae["services"]) == {"11": 29, "12": 15, "81": 27}
    assert len(siae["services"]) == 3858
    aude_in_herault = siae["services"]["siae--40012174500022-aci-011"]
    assert aude_in_herault["code_insee"].startswith("34") and aude_in_herault["extra"]["departement_conventionnement"] == "11"
    assert "Conventionnée pour le département Aude (11) ; siège à Montpellier" in aude_in_herault["description"]


def test_siae_quarantine_of_the_real_file(siae):
    reasons = collections.Counter(reason.split(" :")[0] for _, reason in siae["quarantine_rows"])
    # merged communes the geography does not know by their 2019 name (Capavenir Vosges ×4, Cherves-Richemont)
    # and Saint-Martin / Saint-Pierre-et-Miquelon, outside the COG of communes
    assert reasons == {"commune introuvable ou incohérente": 5,
                       "collectivité d'outre-mer hors du référentiel géographique (Saint-Pierre-et-Miquelon, "
                       "Saint-Martin, Saint-Barthélemy, Pacifique)": 6}


def test_siae_of_rodez(siae):
    service = siae["services"]["siae--33918926800040-ai-012"]
    assert service["nom"] == "Emploi en insertion (AI)"
    assert (service["commune"], service["code_insee"], service["code_postal"]) == ("Rodez", "12202", "12000")
    assert "trouver-un-emploi--repondre-a-des-offres-demploi" in service["thematiques"]
    assert not any(t.startswith("remobilisation--") for t in service["thematiques"])  # AI: not an ACI
    assert service["type"] == "accompagnement" and service["frais"] == "gratuit"
    assert service["publics"] == ["demandeurs-emploi", "beneficiaires-des-minimas-sociaux"]
    assert "association intermédiaire" in service["description"].lower()
    assert "Autre mise à disposition de ressources humaines (code NAF 7830Z)" in service["description"]
    structure = siae["structures"][service["structure_id"]]
    assert structure["nom"] == "ASSOC ASAC" and structure["reseaux_porteurs"] == ["ai"]
    assert structure["courriel"] is None  # a named staff address in the source: never stored
    assert structure["telephone"] == "+33565426750"


def test_one_structure_several_mesures(siae):
    structure = siae["structures"]["siae--48048342900043"]  # Régie de territoire Progress, Rodez: ACI + EI
    assert structure["reseaux_porteurs"] == ["aci", "ei"]
    aci = siae["services"]["siae--48048342900043-aci-012"]
    ei = siae["services"]["siae--48048342900043-ei-012"]
    assert "remobilisation--bien-etre-confiance-en-soi" in aci["thematiques"]
    assert "remobilisation--bien-etre-confiance-en-soi" not in ei["thematiques"]


def test_jobs_of_the_additional_file(siae):
    service = siae["services"]["siae--41221545100029-aci-062"]  # ASSOC CAMPAGNES SERVICES (62)
    assert service["extra"]["metiers"] == [{"rome": "A1203", "appellation": "Ouvrier / Ouvrière des espaces verts"},
                                           {"rome": "F1704", "appellation": "Manoeuvre bâtiment"}]
    assert "Manoeuvre bâtiment" in service["extra"]["mots_cles"] and "F1704" in service["extra"]["mots_cles"]
    assert "Métiers proposés : Ouvrier / Ouvrière des espaces verts (A1203)" in service["description"]
    # 118 of the 228 rows of the jobs file name at least one job; their SIAE hold 132 conventions
    with_jobs = [sv for sv in siae["services"].values() if sv["extra"].get("metiers")]
    assert len(with_jobs) == 132


def test_jobs_attached_whatever_the_order_of_the_files(tmp_path):
    out = run(SiaeConnector(), tmp_path, [SIAE_LIST, SIAE_JOBS])
    assert len([sv for sv in out["services"].values() if sv["extra"].get("metiers")]) == 132


def test_renamed_commune_rule(siae):
    """A 2019 name now merged under a longer one, same postal code: placed there, with a note."""
    placed = [sv for sv in siae["services"].values() if sv["commune"] == "Mansle-les-Fontaines"]
    assert placed
    notes = siae["structures"][placed[0]["structure_id"]]["extra"]["corrections"]
    assert any("MANSLE" in n and "Mansle-les-Fontaines" in n for n in notes)


def test_siae_levers_and_vocabularies(siae):
    assert fed_levers(siae["services"]) == set(SiaeConnector.leviers)
    for sv in siae["services"].values():
        assert set(sv["thematiques"]) <= voc.THEMATIQUES and set(sv["publics"]) <= voc.PUBLICS
    assert {r for st in siae["structures"].values() for r in st["reseaux_porteurs"]} == {"aci", "ei", "ai", "etti"}


PERSONAL = re.compile(r"^(?P<first>[a-z]+)[._-](?P<last>[a-z]{2,})\d*@")


def assert_no_personal_email(data) -> None:
    """No stored mailbox, of a structure or a service, is a person's (services judged in their structure's context)."""
    rows = list(data["structures"].values())
    rows += [{**data["structures"][sv["structure_id"]], "courriel": sv["courriel"]} for sv in data["services"].values()]
    for row in rows:
        email = row["courriel"]
        if not email:
            continue
        m = PERSONAL.match(email)
        assert not (m and m["first"] in FIRST_NAMES), email
        kind = email_kind(email, row.get("nom"), row.get("commune"), row.get("adresse"))
        assert kind != "personnelle", email
        if m and len(m["first"]) == 1:  # an initial: only before a function word (c.insertion@…)
            assert kind == "institutionnelle", email


def test_no_personal_email_stored(siae, geiq):
    for data in (siae, geiq):
        assert_no_personal_email(data)
    kept = [st["courriel"] for st in siae["structures"].values() if st["courriel"]]
    assert len(kept) > 1000  # institutional mailboxes are kept (contact@…, direction@…, asls12@…)
    assert siae["structures"]["siae--39295892200016"]["courriel"] == "direction_tpe@orange.fr"


@pytest.mark.parametrize("path,connector", [(SIAE_LIST, SiaeConnector), (GEIQ_LIST, GeiqConnector)])
def test_bundled_copy_holds_no_staff_email(path, connector):
    """The copy in data/offers/ had its staff e-mails blanked: every one left is institutional."""
    records = [r for r in connector().parse(path.read_bytes()) if "__error__" not in r.data]
    column = column_key("MAIL_SIAE" if connector is SiaeConnector else "EMAIL")
    left = [(r.data[column], connector.mail_context(r.data)) for r in records if r.data[column].strip()]
    assert left
    assert all(email_kind(email, *context) == "institutionnelle" for email, context in left)


def test_email_rules():
    assert email_kind("h.marty@cc-exemple.fr", "COMMUNAUTE DE COMMUNES") == "personnelle"
    assert email_kind("laurence@lerelais.fr", "ASSOC LE RELAIS") == "personnelle"
    assert email_kind("emploi-partage.barbara.x@orange.fr", "EMPLOI & PARTAGE") == "personnelle"
    assert email_kind("severinemberna@yahoo.fr", "ADERMAS") == "personnelle"
    assert email_kind("mburnet@trialp.com", "TRIALP") == "incertaine"
    assert email_kind("reseau.adel@gmail.com", "ASSOC ADEL") == "institutionnelle"
    assert email_kind("contact@geiq12.com", "GEIQ BTP 12") == "institutionnelle"
    assert email_kind("asls12@wanadoo.fr", "ANTENNE SOLIDARITE LEVEZOU SEGALA") == "institutionnelle"
    assert email_kind("recycleriedurouergue@orange.fr", "LA RECYCLERIE DU ROUERGUE") == "institutionnelle"
    assert email_kind("pas une adresse", "X") == "invalide"


# --------------------------------------------------------------------------------------------- damaged SIAE copies

def test_damaged_rows_are_quarantined_and_the_others_go_in(siae, tmp_path):
    """One copy, three damaged rows: cut short, shifted by an extra ';', an absurd postal code and commune
    (rule: a postal code and commune that match no commune nor each other are quarantined, not guessed)."""
    damaged = tmp_path / "liste.csv"

    def absurd(line):
        cells = line.split(";")
        cells[3], cells[4], cells[11], cells[12] = "99999", "NULLE PART", "99999", "NULLE PART"
        return ";".join(cells)
    rewrite(SIAE_LIST, damaged, {";ASSOC ASAC;": lambda line: ";".join(line.split(";")[:6]),
                                 ";ASSOC CHORUS;": lambda line: line.replace(";ASSOC CHORUS;", ";ASSOC;CHORUS;"),
                                 ";ASSOC ADEL;": absurd})
    out = run(SiaeConnector(), tmp_path / "db", [SIAE_JOBS, damaged])
    new = sorted(set(out["quarantine_rows"]) - set(siae["quarantine_rows"]))
    assert [reason for _, reason in new] == [
        "colonnes décalées ou ligne tronquée : ligne de 6 colonnes, l'en-tête en a 15 (début : 'AI | 012 | AVEYRON')",
        "commune introuvable ou incohérente : code postal '99999', commune 'NULLE PART'",
        "colonnes décalées ou ligne tronquée : ligne de 16 colonnes, l'en-tête en a 15 (début : 'AI | 012 | AVEYRON')"]
    assert set(siae["services"]) - set(out["services"]) == {
        "siae--33918926800040-ai-012", "siae--40338118900030-ai-012", "siae--53974631300011-ai-012"}
    assert len(out["services"]) == len(siae["services"]) - 3


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_reencoded_file_gives_the_same_offers(siae, tmp_path, encoding):
    for source in (SIAE_LIST, SIAE_JOBS):
        text = source.read_bytes().decode("utf-8")
        (tmp_path / source.name).write_bytes(text.replace("œ", "oe").encode(encoding))
    out = run(SiaeConnector(), tmp_path / "db", [tmp_path / SIAE_JOBS.name, tmp_path / SIAE_LIST.name])
    assert len(out["services"]) == len(siae["services"])
    assert per_departement(out["services"]) == {"11": 29, "12": 15, "81": 27}
    assert out["structures"]["siae--33918926800040"]["extra"]["nature_juridique"] == "Association intermédiaire"
    assert out["structures"]["siae--38393256300034"]["extra"]["nature_juridique"] == "Association déclarée"
    assert "Métiers proposés" in out["services"]["siae--41221545100029-aci-062"]["description"]


def test_contradicting_postal_code_is_not_guessed():
    rodez, _ = locate("12000", "RODEZ")
    assert rodez.code_insee == "12202"
    assert locate("10000", "Bourg-en-Bresse") == (None, None)  # Troyes' code, Ain's commune
    assert locate("99999", "RODEZ") == (None, None)


@pytest.mark.parametrize("payload", [b"", random.Random(7).randbytes(20000)], ids=["empty", "random-bytes"])
def test_unreadable_inputs_fail_the_run(tmp_path, payload):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(payload)
    for connector in (SiaeConnector(), GeiqConnector()):
        with pytest.raises(RunFailed):
            run(connector, tmp_path / connector.name, [bad])


def test_another_csv_is_not_taken_for_the_siae_list(tmp_path):
    with pytest.raises(RunFailed, match="colonnes attendues absentes"):
        run(SiaeConnector(), tmp_path, [GEIQ_LIST])


def test_header_only_fails_instead_of_retiring_everything(tmp_path):
    only_header = tmp_path / "liste.csv"
    only_header.write_bytes(SIAE_LIST.read_bytes().split(b"\n")[0] + b"\n")
    with pytest.raises(RunFailed, match="aucune ligne de données"):
        run(SiaeConnector(), tmp_path / "db", [only_header])


# --------------------------------------------------------------------------------------------- GEIQ

def test_geiq_counts_and_known_record(geiq):
    assert geiq["report"].read == 171
    assert per_departement(geiq["services"]) == {"11": 0, "12": 1, "81": 1}
    assert len(geiq["services"]) == 170
    service = geiq["services"]["geiq--50163193100018-alternance"]  # GEIQ BTP 12
    assert (service["commune"], service["code_insee"]) == ("Onet-le-Château", "12176")
    assert {"se-former--trouver-sa-formation", "trouver-un-emploi--repondre-a-des-offres-demploi"} <= set(service["thematiques"])
    assert "bâtiment" in service["extra"]["secteurs"]
    structure = geiq["structures"][service["structure_id"]]
    assert structure["reseaux_porteurs"] == ["geiq"] and structure["courriel"] == "contact@geiq12.com"
    assert structure["adresse"] == "Chambre des Métiers et de l'Artisanat de l'Aveyron"
    assert fed_levers(geiq["services"]) == set(GeiqConnector.leviers)


def test_geiq_quarantine(geiq):
    assert geiq["quarantine_rows"] == [(18, "commune introuvable ou incohérente : code postal '95725', "
                                        "commune 'ROISSY CDG Cedex'")]


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_geiq_reencoded(geiq, tmp_path, encoding):
    copy = tmp_path / "geiq.csv"
    copy.write_bytes(GEIQ_LIST.read_bytes().decode("utf-8").encode(encoding))
    out = run(GeiqConnector(), tmp_path / "db", [copy])
    assert len(out["services"]) == len(geiq["services"])
    assert out["structures"]["geiq--50163193100018"]["adresse"] == "Chambre des Métiers et de l'Artisanat de l'Aveyron"


def test_geiq_damaged_rows(geiq, tmp_path):
    damaged = tmp_path / "geiq.csv"
    rewrite(GEIQ_LIST, damaged, {"GEIQ BTP 12;": lambda line: line.replace("GEIQ BTP 12;", "GEIQ BTP;12;"),
                                 "GEIQ BTP 81;": lambda line: line.replace(";LAVAUR;81500;", ";NULLE PART;99999;")})
    out = run(GeiqConnector(), tmp_path / "db", [damaged])
    reasons = sorted(r.split(" (début")[0] for _, r in out["quarantine_rows"])
    assert reasons == ["colonnes décalées ou ligne tronquée : ligne de 13 colonnes, l'en-tête en a 12",
                       "commune introuvable ou incohérente : code postal '95725', commune 'ROISSY CDG Cedex'",
                       "commune introuvable ou incohérente : code postal '99999', commune 'NULLE PART'"]
    assert len(out["services"]) == len(geiq["services"]) - 2


# --------------------------------------------------------------------------------------------- declarations, runs

@pytest.mark.parametrize("connector", [SiaeConnector, GeiqConnector])
def test_declarations(connector):
    assert connector.name in {"siae", "geiq"} and connector.label and connector.licence and connector.format
    assert set(connector.leviers) <= {lv.value for lv in voc.leviers()}
    assert all(p.is_file() and "data/offers/siae/" in p.as_posix() for p in connector().default_paths())


@pytest.mark.parametrize("connector", [SiaeConnector, GeiqConnector])
def test_incremental_runs(connector, tmp_path):
    """Same input again: nothing new or updated (ids and contents are stable); a failed run keeps the
    offers; a copy without one record retires exactly that record's service."""
    db = tmp_path / "db"
    first = run(connector(), db)
    again = run(connector(), db)["report"]
    assert (again.new, again.updated, again.unchanged, again.retired) == (0, 0, len(first["services"]), 0)
    (tmp_path / "vide.csv").write_bytes(b"")
    with pytest.raises(RunFailed):
        run(connector(), db, [tmp_path / "vide.csv"])
    assert sum(stored(db).values()) == len(first["services"])
    paths = connector().default_paths()
    target = paths[-1]
    needle = ";ASSOC ASAC;" if connector is SiaeConnector else "GEIQ BTP 12;"
    shorter = tmp_path / target.name
    shorter.write_bytes(b"\n".join(line for line in target.read_bytes().split(b"\n") if needle.encode() not in line))
    report = run(connector(), db, paths[:-1] + [shorter])["report"]
    assert report.retired == 1 and report.new == 0
    assert sum(stored(db).values()) == len(first["services"]) - 1
