"""Aidants Connect and conseillers numériques connectors, on the real bundled files and damaged copies."""
from __future__ import annotations

import random

import pytest

from app.core import vocabularies as voc
from indexer.connectors.mediation_numerique import AidantsConnectConnector, ConseillersNumeriquesConnector
from indexer.run import RunFailed
from tests.connectors.helpers import fed_levers, per_departement, rewrite_lines, run, stored

AIDANTS = AidantsConnectConnector().default_paths()[0]
CNFS = ConseillersNumeriquesConnector().default_paths()[0]
SAINT_SANTIN = "France services Saint Santin,1861,"
MILLAU = "COMMUNE DE MILLAU;Millau;"


def rewrite(source, target, changes: dict) -> None:
    rewrite_lines(source, target, changes)


@pytest.fixture(scope="module")
def aidants(tmp_path_factory):
    return run(AidantsConnectConnector(), tmp_path_factory.mktemp("aidants"))


@pytest.fixture(scope="module")
def cnfs(tmp_path_factory):
    return run(ConseillersNumeriquesConnector(), tmp_path_factory.mktemp("cnfs"))


# --------------------------------------------------------------------------------------------- Aidants Connect

def test_aidants_connect_counts(aidants):
    report = aidants["report"]
    assert report.read == 5227
    assert len(aidants["services"]) + report.quarantined == 5181  # the 46 inactive structures are skipped
    # SOURCES.md (11: 40, 12: 45, 81: 36) counts rows by code INSEE only; 225 rows have none and are
    # placed from their postal code and city, e.g. Laguiole, Bozouls, Réquista, Capdenac in Aveyron
    assert per_departement(aidants["services"]) == {"11": 40, "12": 51, "81": 39}


def test_aidants_connect_quarantine(aidants):
    # "Saint-Brieuc" (22) under the Finistère postal code 29830 and no code INSEE: not guessed
    assert aidants["quarantine"] == ["commune introuvable ou incohérente : code postal '29830', commune 'Saint-Brieuc'"]


def test_france_services_saint_santin(aidants):
    service = aidants["services"]["aidants-connect--1861-aidants-connect"]
    assert (service["commune"], service["code_insee"]) == ("Almont-les-Junies", "12004")
    assert service["extra"]["demarches"] == {"travail": 2305, "famille": 60, "social": 15, "argent": 4, "transport": 1}
    assert service["extra"]["demarche_principale"] == "travail" and service["extra"]["usagers_uniques"] == 83
    # travail is 96 % of its démarches: job-search procedures become a sub-theme; famille (2.5 %) does not
    assert set(service["thematiques"]) == {
        "numerique--acceder-a-des-services-en-ligne",
        "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
        "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi"}
    structure = aidants["structures"][service["structure_id"]]
    assert structure["reseaux_porteurs"] == ["aidants-connect", "france-service"]
    assert structure["siret"] == "21120246000013"  # "21120246000013.0" in the file
    assert "travail (2305)" in service["description"]


def test_aidants_connect_without_insee_code_and_wrong_insee_code(aidants):
    laguiole = aidants["services"]["aidants-connect--5124-aidants-connect"]  # no code INSEE in the file
    assert (laguiole["commune"], laguiole["code_insee"]) == ("Laguiole", "12119")
    # 328 démarches: travail 191, transport 52, argent 34 (each ≥ 10 %), papier 29, social 12 (< 10 %)
    assert set(laguiole["thematiques"]) - {"numerique--acceder-a-des-services-en-ligne",
                                           "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"} == {
        "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi",
        "mobilite--etre-accompagne-dans-son-parcours-mobilite",
        "difficultes-financieres--prevenir-une-degradation-de-la-situation-financiere"}
    campagnac = [st for st in aidants["structures"].values() if st["nom"] == "France services Campagnac Lot et Serre"]
    assert campagnac and campagnac[0]["code_insee"].startswith("12")  # 97116 in the file, 12560 campagnac: address wins


def test_inactive_structures_are_not_offers(aidants):
    lines = AIDANTS.read_bytes().decode("utf-8")
    assert ",3,fedf6e6e-5f40-4369-8be3-2c7bf429dae6,false," in lines  # La Palette, inactive
    assert "aidants-connect--3" not in aidants["structures"]


def test_aidants_connect_levers(aidants):
    assert fed_levers(aidants["services"]) == set(AidantsConnectConnector.leviers)


def test_aidants_damaged_rows(aidants, tmp_path):
    """One copy, four damaged rows: cut short (Saint Santin), shifted by an extra ',' (Point Info Séniors),
    an unknown postal code + city under a valid code INSEE (CCAS Millau: rule, the code INSEE wins and the
    service sits at that commune's centre, noted) and all three absurd (UDAF 12: quarantined)."""
    damaged = tmp_path / "aidants.csv"
    rewrite(AIDANTS, damaged, {
        SAINT_SANTIN: lambda line: ",".join(line.split(",")[:8]),
        "Point Info Séniors (CLIC),1151,": lambda line: line.replace("(CLIC),1151,", "(CLIC),,1151,"),
        "CCAS MILLAU,1270,": lambda line: line.replace(",12100,", ",99999,").replace(",Millau,", ",Nulle Part,"),
        "UDAF 12,1733,": lambda line: line.replace(",12202,", ",99999,").replace(",12000,", ",99999,")
        .replace(",Rodez,", ",Nulle Part,")})
    out = run(AidantsConnectConnector(), tmp_path / "db", [damaged])
    new = [r.split(" (début")[0] for r in out["quarantine"] if r not in aidants["quarantine"]]
    assert sorted(new) == [
        "colonnes décalées ou ligne tronquée : ligne de 24 colonnes, l'en-tête en a 23",
        "colonnes décalées ou ligne tronquée : ligne de 8 colonnes, l'en-tête en a 23",
        "commune introuvable ou incohérente : code postal '99999', commune 'Nulle Part', code INSEE '99999'"]
    assert set(aidants["structures"]) - set(out["structures"]) == {
        "aidants-connect--1861", "aidants-connect--1151", "aidants-connect--1733"}
    millau = out["structures"]["aidants-connect--1270"]
    assert millau["code_insee"] == "12145"
    assert millau["extra"]["corrections"] == ["« Nulle Part » introuvable : centre de la commune Millau (code INSEE)"]
    assert len(out["services"]) == len(aidants["services"]) - 3


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_aidants_reencoded(aidants, tmp_path, encoding):
    # "→" (column names), "’", "–" and "œ" do not exist in Latin-1: such an export writes "?"
    copy = tmp_path / "aidants.csv"
    copy.write_bytes(AIDANTS.read_bytes().decode("utf-8").encode(encoding, errors="replace"))
    out = run(AidantsConnectConnector(), tmp_path / "db", [copy])
    assert len(out["services"]) == len(aidants["services"])
    assert per_departement(out["services"]) == {"11": 40, "12": 51, "81": 39}
    assert out["structures"]["aidants-connect--1151"]["nom"] == "Point Info Séniors (CLIC)"
    assert out["services"]["aidants-connect--1861-aidants-connect"]["extra"]["demarches"]["travail"] == 2305


@pytest.mark.parametrize("payload", [b"", random.Random(11).randbytes(20000)], ids=["empty", "random-bytes"])
def test_unreadable_inputs_fail_the_run(tmp_path, payload):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(payload)
    for connector in (AidantsConnectConnector(), ConseillersNumeriquesConnector()):
        with pytest.raises(RunFailed):
            run(connector, tmp_path / connector.name, [bad])


def test_files_are_not_swapped(tmp_path):
    with pytest.raises(RunFailed, match="colonnes attendues absentes"):
        run(AidantsConnectConnector(), tmp_path / "a", [CNFS])
    with pytest.raises(RunFailed, match="colonnes attendues absentes"):
        run(ConseillersNumeriquesConnector(), tmp_path / "c", [AIDANTS])


# --------------------------------------------------------------------------------------------- conseillers numériques

def test_cnfs_counts(cnfs):
    report = cnfs["report"]
    assert report.read == 2877  # 2 889 decisions, those of one SIRET and declared postal code merged
    assert per_departement(cnfs["services"]) == {"11": 24, "12": 23, "81": 25}
    assert len(cnfs["services"]) == 2874
    assert all(r.startswith("collectivité d'outre-mer") for r in cnfs["quarantine"]) and len(cnfs["quarantine"]) == 3


def test_cnfs_of_millau_and_levers(cnfs):
    service = cnfs["services"]["conseillers-numeriques--21120145400017-12100"]
    assert (service["commune"], service["code_insee"]) == ("Millau", "12145")
    assert set(service["thematiques"]) == {"numerique--maitriser-les-fondamentaux-du-numerique",
                                           "numerique--acceder-a-des-services-en-ligne"}
    assert service["publics"] == ["tous-publics"] and service["extra"]["nombre_conseillers"] == 1
    structure = cnfs["structures"][service["structure_id"]]
    assert structure["adresse"] == "17 AV DE LA REPUBLIQUE" and structure["reseaux_porteurs"] == ["conseillers-numeriques"]
    assert fed_levers(cnfs["services"]) == set(ConseillersNumeriquesConnector.leviers)
    onet = cnfs["structures"]["conseillers-numeriques--21120176900018"]
    assert onet["reseaux_porteurs"] == ["conseillers-numeriques", "france-service"]


def test_cnfs_decisions_of_one_structure_are_merged(cnfs):
    service = cnfs["services"]["conseillers-numeriques--82917522300033-84200"]  # Fabrique Gare Numérique, 2 decisions
    assert service["extra"]["nombre_conseillers"] == 3
    assert service["extra"]["dates_validation"] == ["2021-06-16", "2023-04-05"]


def test_cnfs_declared_departement_rule(cnfs):
    """Rule: a SIRENE address outside the declared département is the head office: the service is
    placed at the centre of the declared postal code's commune (Harmonie Mutuelle: Paris -> Albi)."""
    service = cnfs["services"]["conseillers-numeriques--53851847303163-81000"]
    assert (service["commune"], service["code_postal"]) == ("Albi", "81000")
    assert cnfs["structures"][service["structure_id"]]["code_insee"] == "75115"
    assert any("hors du département déclaré 81" in c for c in service["extra"]["corrections"])


def test_cnfs_damaged_rows(cnfs, tmp_path):
    """One copy, three damaged rows: cut short (Millau), shifted by an extra ';' (Espalion) and a place
    that matches nothing (Rodez: code INSEE, postal code and address absurd -> quarantined)."""
    damaged = tmp_path / "cnfs.csv"
    rewrite(CNFS, damaged, {
        MILLAU: lambda line: ";".join(line.split(";")[:6]),
        "COMMUNE D ESPALION;": lambda line: line.replace("COMMUNE D ESPALION;", "COMMUNE;D ESPALION;"),
        "COMMUNE DE RODEZ;": lambda line: line.replace(";12202;12000;", ";99999;99999;")
        .replace("12000 RODEZ", "99999 NULLE PART").replace(";Rodez;", ";Nulle Part;")})
    out = run(ConseillersNumeriquesConnector(), tmp_path / "db", [damaged])
    new = [r.split(" (début")[0] for r in out["quarantine"] if r not in cnfs["quarantine"]]
    assert sorted(new) == [
        "colonnes décalées ou ligne tronquée : ligne de 17 colonnes, l'en-tête en a 16",
        "colonnes décalées ou ligne tronquée : ligne de 6 colonnes, l'en-tête en a 16",
        "commune introuvable ou incohérente : code postal '99999', commune 'Nulle Part', code INSEE '99999'"]
    assert set(cnfs["services"]) - set(out["services"]) == {
        "conseillers-numeriques--21120145400017-12100", "conseillers-numeriques--21120096900015-12500",
        "conseillers-numeriques--21120202300019-12000"}


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_cnfs_reencoded(cnfs, tmp_path, encoding):
    copy = tmp_path / "cnfs.csv"
    copy.write_bytes(CNFS.read_bytes().decode("utf-8").encode(encoding, errors="replace"))
    out = run(ConseillersNumeriquesConnector(), tmp_path / "db", [copy])
    assert len(out["services"]) == len(cnfs["services"])
    assert per_departement(out["services"]) == {"11": 24, "12": 23, "81": 25}
    structure = out["structures"]["conseillers-numeriques--83794855300016"]  # PINGPONG COWORK, Millau
    assert structure["description"] == "Structure d'accueil de conseillers numériques France Services (structure privée)."


# --------------------------------------------------------------------------------------------- declarations, runs

@pytest.mark.parametrize("connector", [AidantsConnectConnector, ConseillersNumeriquesConnector])
def test_declarations(connector):
    assert connector.name in {"aidants-connect", "conseillers-numeriques"} and connector.label and connector.licence
    assert set(connector.leviers) <= {lv.value for lv in voc.leviers()}
    assert all(p.is_file() for p in connector().default_paths())


@pytest.mark.parametrize("connector,path,starts", [(AidantsConnectConnector, AIDANTS, SAINT_SANTIN),
                                                   (ConseillersNumeriquesConnector, CNFS, MILLAU)])
def test_incremental_runs(connector, path, starts, tmp_path):
    db = tmp_path / "db"
    first = run(connector(), db)
    again = run(connector(), db)["report"]
    assert (again.new, again.updated, again.unchanged, again.retired) == (0, 0, len(first["services"]), 0)
    (tmp_path / "vide.csv").write_bytes(b"")
    with pytest.raises(RunFailed):
        run(connector(), db, [tmp_path / "vide.csv"])
    assert sum(stored(db).values()) == len(first["services"])
    shorter = tmp_path / path.name
    shorter.write_bytes(b"\n".join(line for line in path.read_bytes().split(b"\n")
                                    if not line.startswith(starts.encode())))
    report = run(connector(), db, [shorter])["report"]
    assert report.retired == 1 and sum(stored(db).values()) == len(first["services"]) - 1
