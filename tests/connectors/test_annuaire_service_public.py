"""Annuaire de l'administration (Service-Public.fr, 2019) connector, on the real bundled file and damaged copies."""
from __future__ import annotations

import json
import random
import re

import pytest

from app.core import vocabularies as voc
from indexer.connectors.annuaire_service_public import TYPES_FILE, ServicePublicConnector, annuaire_types
from indexer.connectors.siae import FIRST_NAMES, email_kind
from indexer.run import RunFailed
from tests.connectors.helpers import per_departement, rewrite_lines, run, stored

ANNUAIRE = ServicePublicConnector().default_paths()[0]
MISSION_LOCALE_RODEZ = "mission_locale-12202-01,"


def rewrite(target, changes: dict) -> None:
    """A copy of the annuaire (CRLF lines) with some lines changed."""
    rewrite_lines(ANNUAIRE, target, changes, newline="\r\n")


@pytest.fixture(scope="module")
def annuaire(tmp_path_factory):
    return run(ServicePublicConnector(), tmp_path_factory.mktemp("annuaire"))


def test_types_file_is_v1():
    types = annuaire_types()
    raw = json.loads(TYPES_FILE.read_text(encoding="utf-8"))["types"]
    assert set(types) == set(raw) and len(types) == 32
    assert [t for t, spec in types.items() if spec is None] == ["ddcs", "ddcspp"]
    assert types["maison_handicapees"]["publics"] == ["personnes-en-situation-de-handicap"]
    assert "sante--constituer-un-dossier-mdph-invalidite" in types["maison_handicapees"]["thematiques"]
    assert types["mission_locale"]["publics"] == ["jeunes"]


def test_counts_per_departement(annuaire):
    report = annuaire["report"]
    assert report.read == 6519
    # SOURCES.md: 67 / 57 / 65 rows; one DDCSPP per département is skipped (no public desk)
    assert per_departement(annuaire["services"]) == {"11": 66, "12": 56, "81": 64}
    skipped = 50 + 46  # ddcs + ddcspp
    assert len(annuaire["services"]) == 6519 - skipped - report.quarantined


def test_quarantine_of_the_real_file(annuaire):
    # New Caledonia, French Polynesia, Wallis-et-Futuna, Saint-Pierre-et-Miquelon: outside the COG of communes
    assert len(annuaire["quarantine"]) == 6
    assert all(r.startswith("collectivité d'outre-mer hors du référentiel géographique") for r in annuaire["quarantine"])


def test_mission_locale_of_rodez(annuaire):
    service = annuaire["services"]["service-public--mission_locale-12202-01-accueil"]
    assert service["nom"] == "Accompagnement des jeunes de 16 à 25 ans — Mission locale"
    assert (service["commune"], service["code_insee"], service["code_postal"]) == ("Rodez", "12202", "12000")
    assert service["publics"] == ["jeunes"] and service["type"] == "accompagnement"
    assert {"trouver-un-emploi--repondre-a-des-offres-demploi", "se-former--trouver-sa-formation",
            "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",
            "sante--acces-aux-soins"} <= set(service["thematiques"])
    assert service["telephone"] == "+33565738585" and service["courriel"] == "rodez@mlaveyron.org"
    structure = annuaire["structures"][service["structure_id"]]
    assert structure["reseaux_porteurs"] == ["mission-locale"]
    assert structure["adresse"] == "Maison commune emploi formation - 41-43 rue Béteille"


def test_mapping_of_other_types(annuaire):
    mdph = annuaire["services"]["service-public--maison_handicapees-12202-01-accueil"]
    assert "sante--constituer-un-dossier-mdph-invalidite" in mdph["thematiques"]
    assert mdph["publics"] == ["personnes-en-situation-de-handicap"]
    pmi = annuaire["services"]["service-public--pmi-12202-01-accueil"]
    assert {"famille--soutien-a-la-parentalite-et-a-leducation", "sante--acces-aux-soins"} <= set(pmi["thematiques"])
    # the PMI approves and lists the assistants maternels: it is a childcare (garde d'enfants) desk too
    assert "famille--garde-denfants" in pmi["thematiques"] and "assistants maternels" in pmi["description"]
    cci = annuaire["services"]["service-public--cci-12202-01-accueil"]
    assert cci["thematiques"][0].startswith("creer-une-entreprise--") and cci["frais"] is None
    adil = annuaire["services"]["service-public--adil-12202-01-accueil"]
    assert "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement" in adil["thematiques"]
    assert not any(sid.startswith("service-public--ddcspp-") for sid in annuaire["services"])


def test_msap_description_says_france_services(annuaire):
    msap = [sv for sv in annuaire["services"].values() if "-msap-" in sv["structure_id"]]
    assert len(msap) > 1000
    assert all("France Services" in sv["description"] and "2019" in sv["description"] for sv in msap)
    assert {"difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"} <= set(msap[0]["thematiques"])


def test_place_rules(annuaire):
    # id under Albi's code INSEE, address in Castres: the address wins (as the source advises)
    cidff = annuaire["structures"]["service-public--cidf-81004-01"]
    assert (cidff["commune"], cidff["code_insee"]) == ("Castres", "81065")
    assert cidff["extra"]["corrections"] == [
        "code INSEE de l'identifiant (81004, Albi) différent de l'adresse : Castres (81065) retenue"]
    # "01140 Axat": a 4-digit postal code padded into Ain; the id's code INSEE (Axat, 11) agrees with the name
    axat = annuaire["structures"]["service-public--msap-11021-01"]
    assert (axat["commune"], axat["code_insee"], axat["code_postal"]) == ("Axat", "11021", "11140")
    assert axat["extra"]["corrections"] == ["code postal 01140 hors de Axat (CEDEX ou erreur) : 11140 retenu"]
    # CEDEX postal code: the commune by name, the CEDEX code kept for mail
    anah = annuaire["structures"]["service-public--anah-12202-01"]
    assert (anah["commune"], anah["code_postal"]) == ("Rodez", "12033")
    # the one row whose address was not split upstream: read from "notes"
    nanterre = annuaire["structures"]["service-public--direccte_ut-92050-01"]
    assert (nanterre["commune"], nanterre["adresse"]) == ("Nanterre", "11 boulevard des Bouvets, CS 70146")


def test_cp1252_punctuation_is_repaired(annuaire):
    cio = annuaire["structures"]["service-public--cio-12202-01"]
    assert cio["nom"] == "Centre d’information et d’orientation (CIO) - Rodez"
    assert not any(re.search("[\x80-\x9f]", st["nom"]) for st in annuaire["structures"].values())


def test_no_personal_email(annuaire):
    for st in annuaire["structures"].values():
        email = st["courriel"]
        if email:
            first = re.match(r"^([a-z]+)[._-][a-z]{2,}@", email)
            assert not (first and first.group(1) in FIRST_NAMES), email
            assert email_kind(email, st["nom"], st["commune"], st["adresse"]) != "personnelle", email
    # the bundled copy was blanked: every e-mail left in it is an institutional mailbox
    records = [r.data for r in ServicePublicConnector().parse(ANNUAIRE.read_bytes())]
    left = [(r["request email"], ServicePublicConnector.mail_context(r)) for r in records if r["request email"]]
    assert len(left) > 5000
    assert all(email_kind(e, *ctx) == "institutionnelle" for e, ctx in left)


def test_levers(annuaire):
    fed = {lv.value for lv in voc.leviers() for sv in annuaire["services"].values() if set(lv.thematiques) & set(sv["thematiques"])}
    assert fed == set(ServicePublicConnector.leviers)


def test_damaged_rows(annuaire, tmp_path):
    """One copy, five damaged rows: cut short (Mission locale), shifted by an extra ',' (PIJ), an address
    that matches nothing under a valid id (PMI: rule, the id's code INSEE gives the commune, noted), an
    address and id both absurd (ADIL: quarantined), an unknown annuaire type (CIO: quarantined)."""
    damaged = tmp_path / "annuaire.csv"
    rewrite(damaged, {
        MISSION_LOCALE_RODEZ: lambda line: line.split(',"Adresse')[0],
        "cij-12202-01,": lambda line: line.replace("cij-12202-01,", "cij-12202-01,,"),
        "pmi-12202-01,": lambda line: line.replace(",12000,Rodez,", ",99999,Nulle Part,"),
        "adil-12202-01,": lambda line: line.replace(",12000,Rodez,", ",99999,Nulle Part,")
        .replace(",12202,12,", ",99999,99,").replace("adil-12202-01", "adil-99999-01"),
        "cio-12202-01,": lambda line: line.replace(",cio,12202,", ",tresorerie,12202,")})
    out = run(ServicePublicConnector(), tmp_path / "db", [damaged])
    new = [r.split(" (début")[0] for r in out["quarantine"] if r not in annuaire["quarantine"]]
    assert sorted(new) == [
        "colonnes décalées ou ligne tronquée : ligne de 14 colonnes, l'en-tête en a 13",
        "colonnes décalées ou ligne tronquée : ligne de 3 colonnes, l'en-tête en a 13",
        "commune introuvable ou incohérente : code postal '99999', commune 'Nulle Part', code INSEE '99999'",
        "type d'annuaire inconnu : 'tresorerie'"]
    assert set(annuaire["services"]) - set(out["services"]) == {
        f"service-public--{rid}-accueil" for rid in ("mission_locale-12202-01", "cij-12202-01", "adil-12202-01",
                                                       "cio-12202-01")}
    pmi = out["structures"]["service-public--pmi-12202-01"]
    assert (pmi["commune"], pmi["code_postal"]) == ("Rodez", "12000")
    assert "« Nulle Part » introuvable : centre de la commune Rodez (code INSEE)" in pmi["extra"]["corrections"]


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_reencoded_file_gives_the_same_offers(annuaire, tmp_path, encoding):
    text = ANNUAIRE.read_bytes().decode("utf-8")
    if encoding == "cp1252":  # a real CP1252 export holds ’ and œ as such, not as C1 controls
        text = re.sub("[\x80-\x9f]", lambda m: bytes([ord(m.group())]).decode("cp1252"), text)
    copy = tmp_path / "annuaire.csv"
    copy.write_bytes(text.encode(encoding))
    out = run(ServicePublicConnector(), tmp_path / "db", [copy])
    assert len(out["services"]) == len(annuaire["services"])
    assert per_departement(out["services"]) == {"11": 66, "12": 56, "81": 64}
    assert out["structures"]["service-public--cio-12202-01"]["nom"] == "Centre d’information et d’orientation (CIO) - Rodez"
    assert out["structures"]["service-public--mission_locale-12202-01"]["adresse"] == \
        "Maison commune emploi formation - 41-43 rue Béteille"


@pytest.mark.parametrize("payload", [b"", random.Random(5).randbytes(20000)], ids=["empty", "random-bytes"])
def test_unreadable_inputs_fail_the_run(tmp_path, payload):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(payload)
    with pytest.raises(RunFailed):
        run(ServicePublicConnector(), tmp_path / "db", [bad])


def test_declarations():
    c = ServicePublicConnector
    assert c.name == "service-public" and c.label and c.licence.startswith("Licence Ouverte") and c.format
    assert set(c.leviers) <= {lv.value for lv in voc.leviers()}
    assert all(p.is_file() for p in c().default_paths())


def test_incremental_runs(tmp_path):
    db = tmp_path / "db"
    first = run(ServicePublicConnector(), db)
    again = run(ServicePublicConnector(), db)["report"]
    assert (again.new, again.updated, again.unchanged, again.retired) == (0, 0, len(first["services"]), 0)
    (tmp_path / "vide.csv").write_bytes(b"")
    with pytest.raises(RunFailed):
        run(ServicePublicConnector(), db, [tmp_path / "vide.csv"])
    assert sum(stored(db).values()) == len(first["services"])
    shorter = tmp_path / "annuaire.csv"
    shorter.write_bytes(b"\r\n".join(line for line in ANNUAIRE.read_bytes().split(b"\r\n")
                                     if not line.startswith(MISSION_LOCALE_RODEZ.encode())))
    report = run(ServicePublicConnector(), db, [shorter])["report"]
    assert report.retired == 1 and not stored(db)["service-public--mission_locale-12202-01-accueil"]
