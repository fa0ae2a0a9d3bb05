"""France Travail agencies (2019 Pôle emploi sites), on the real bundled file and damaged copies of it."""
from __future__ import annotations

import random

import pytest

from app.core import vocabularies as voc
from indexer.connectors.france_travail import FranceTravailConnector, agency_name
from indexer.run import RunFailed
from tests.connectors.helpers import per_departement, rewrite_lines, run, stored

AGENCIES = FranceTravailConnector().default_paths()[0]
RODEZ_LINE = "OCC0030005880,RODEZ,12235,ALE"


def rewrite(target, changes: dict) -> None:
    """A copy of the agencies file with some lines changed."""
    rewrite_lines(AGENCIES, target, changes)


@pytest.fixture(scope="module")
def agencies(tmp_path_factory):
    return run(FranceTravailConnector(), tmp_path_factory.mktemp("ft"))


def test_only_local_agencies_counts(agencies):
    report = agencies["report"]
    assert report.read == 959
    # 852 ALE; the 107 DDA/DRA (directions, not open to the public) are skipped, not quarantined
    assert len(agencies["services"]) + report.quarantined == 852
    # SOURCES.md counts every site (11: 6, 12: 4, 81: 7): minus "Carcassonne La Conte" (DDA, its agency
    # has an ALE row too) and "DT MIDI PYRENEES EST / ALBITECH"
    assert per_departement(agencies["services"]) == {"11": 5, "12": 4, "81": 6}
    assert not any(st["extra"]["type_site"] != "ALE" for st in agencies["structures"].values())


def test_quarantine_of_the_real_file(agencies):
    assert len(agencies["quarantine"]) == 2
    assert all(r.startswith("collectivité d'outre-mer hors du référentiel géographique") for r in agencies["quarantine"])


def test_rodez_agency(agencies):
    service = agencies["services"]["france-travail-agences--12235-accompagnement"]
    assert service["nom"] == "Accompagnement vers l'emploi — France Travail"
    assert (service["commune"], service["code_insee"]) == ("Rodez", "12202")
    assert (service["latitude"], service["longitude"]) == (44.362692, 2.559709)  # "44,362692" read as a decimal
    assert {"trouver-un-emploi--repondre-a-des-offres-demploi", "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",
            "choisir-un-metier--connaitre-les-opportunites-demploi", "se-former--monter-son-dossier-de-formation"} <= set(service["thematiques"])
    assert "demandeurs-emploi" in service["publics"]
    assert "Pôle emploi" in service["description"] and "2019" in service["description"]
    structure = agencies["structures"][service["structure_id"]]
    assert structure["nom"] == "France Travail Rodez" and structure["reseaux_porteurs"] == ["france-travail"]
    assert structure["adresse"] == "245 rue du docteur Théodor Mathieu" and structure["geo_precision"] == "source"


def test_names_and_levers(agencies):
    assert agency_name("APE MILLAU", "Millau") == "Millau"
    assert agency_name("PE LEZIGNAN", "Lézignan-Corbières") == "Lézignan-Corbières"
    assert agency_name("AUSSILLON MAZAMET", "Aussillon") == "Aussillon Mazamet"
    names = {st["nom"] for st in agencies["structures"].values()}
    assert {"France Travail Lézignan-Corbières", "France Travail Castres", "France Travail Carcassonne La Conte"} <= names
    fed = {lv.value for lv in voc.leviers() for sv in agencies["services"].values() if set(lv.thematiques) & set(sv["thematiques"])}
    assert fed == set(FranceTravailConnector.leviers)


def test_damaged_rows(agencies, tmp_path):
    """One copy, four damaged rows: cut short (Rodez), shifted by an extra ',' (Millau), unreadable
    coordinates (Albi: dropped, commune centre) and an absurd postal code + commune (Castres: coordinates do
    not rescue a place that matches nothing, the row is quarantined)."""
    damaged = tmp_path / "agences.csv"
    rewrite(damaged, {RODEZ_LINE: lambda line: ",".join(line.split(",")[:7]),
                      "OCC0029005344,APE MILLAU,": lambda line: line.replace(",APE MILLAU,", ",APE,MILLAU,"),
                      "OCC0023002583,ALBI,": lambda line: line.replace('"43,927481"', '"quarante-trois"'),
                      "OCC0024006095,CASTRES,": lambda line: line.replace(",81100,CASTRES,", ",99999,NULLE PART,")})
    out = run(FranceTravailConnector(), tmp_path / "db", [damaged])
    assert sorted(set(out["quarantine"]) - set(agencies["quarantine"])) == [
        "colonnes décalées ou ligne tronquée : ligne de 14 colonnes, l'en-tête en a 13 (début : 'OCC0029005344 | APE | MILLAU')",
        "colonnes décalées ou ligne tronquée : ligne de 7 colonnes, l'en-tête en a 13 (début : 'OCC0030005880 | RODEZ | 12235')",
        "commune introuvable ou incohérente : code postal '99999', commune 'NULLE PART'"]
    assert set(agencies["services"]) - set(out["services"]) == {
        f"france-travail-agences--{safir}-accompagnement" for safir in ("12235", "12220", "81734")}
    albi = out["structures"]["france-travail-agences--81711"]
    assert albi["geo_precision"] == "commune"  # centre of Albi
    assert any("coordonnées illisibles" in c for c in albi["extra"]["corrections"])


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_reencoded_file_gives_the_same_offers(agencies, tmp_path, encoding):
    copy = tmp_path / "agences.csv"
    copy.write_bytes(AGENCIES.read_bytes().decode("utf-8").encode(encoding))
    out = run(FranceTravailConnector(), tmp_path / "db", [copy])
    assert len(out["services"]) == len(agencies["services"])
    assert per_departement(out["services"]) == {"11": 5, "12": 4, "81": 6}
    assert out["structures"]["france-travail-agences--12235"]["adresse"] == "245 rue du docteur Théodor Mathieu"
    assert out["structures"]["france-travail-agences--11504"]["adresse"] == "Bvd Irène et Frédéric Joliot Curie"


@pytest.mark.parametrize("payload", [b"", random.Random(3).randbytes(20000)], ids=["empty", "random-bytes"])
def test_unreadable_inputs_fail_the_run(tmp_path, payload):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(payload)
    with pytest.raises(RunFailed):
        run(FranceTravailConnector(), tmp_path / "db", [bad])


def test_declarations():
    c = FranceTravailConnector
    assert c.name == "france-travail-agences" and "France Travail" in c.label and c.licence and c.format
    assert set(c.leviers) <= {lv.value for lv in voc.leviers()}
    assert all(p.is_file() for p in c().default_paths())


def test_incremental_runs(tmp_path):
    db = tmp_path / "db"
    first = run(FranceTravailConnector(), db)
    again = run(FranceTravailConnector(), db)["report"]
    assert (again.new, again.updated, again.unchanged, again.retired) == (0, 0, len(first["services"]), 0)
    (tmp_path / "vide.csv").write_bytes(b"")
    with pytest.raises(RunFailed):
        run(FranceTravailConnector(), db, [tmp_path / "vide.csv"])
    assert sum(stored(db).values()) == len(first["services"])
    shorter = tmp_path / "agences.csv"
    shorter.write_bytes(b"\n".join(line for line in AGENCIES.read_bytes().split(b"\n")
                                    if not line.startswith(RODEZ_LINE.encode())))
    report = run(FranceTravailConnector(), db, [shorter])["report"]
    assert report.retired == 1 and not stored(db)["france-travail-agences--12235-accompagnement"]
