"""Generic spreadsheet connector (CSV/XLSX + YAML mapping) and the row-by-row validator."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import create_schema, engine_for
from app.core.models import QuarantinedRow, Service, Structure
from indexer.connectors.base import OFFERS_DIR
from indexer.connectors.csv_mapping import DEFAULT_MAPPING, CsvMappingConnector, Mapping, MappingError
from indexer.run import RunFailed, ingest
from indexer.validate import ERREUR, validate_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CSV = OFFERS_DIR / "csv" / "exemple-aveyron.csv"
XLSX = OFFERS_DIR / "csv" / "exemple-aveyron.xlsx"
DI_DATASET = FIXTURES / "data-inclusion-valideur-dataset.xlsx"
DI_MAPPING = FIXTURES / "valideur-data-inclusion.yaml"


@pytest.fixture
def engine(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path}/t.sqlite3")
    create_schema(engine)
    return engine


def test_aveyron_example_csv(engine, tmp_path):
    with Session(engine) as s:
        report = ingest(CsvMappingConnector(), s, instance_dir=tmp_path)
        assert report.status == "ok" and report.read == 57 and report.new == 57 and report.quarantined == 0
        services = s.scalars(select(Service)).all()
        assert all(sv.zone_eligibilite == ["12"] for sv in services)
        assert all(sv.code_insee and sv.code_insee.startswith("12") for sv in services), "every row placed in 12"
        ml = s.get(Service, "csv--mission_locale-12145-01")
        assert ml.nom == "Mission locale"
        assert ml.structure.commune == "Millau" and ml.structure.code_postal == "12101"  # a CEDEX code, kept
        assert "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi" in ml.thematiques
        assert "se-former--trouver-sa-formation" in ml.thematiques
        assert ml.publics == ["jeunes"] and ml.type == "accompagnement" and ml.frais == "gratuit"
        assert ml.telephone and ml.telephone.startswith("+335")
        laissac = s.get(Service, "csv--msap-12120-01")
        assert laissac.code_insee == "12120", "merged commune resolved through the 'Code commune' column"
        courriels = [st.courriel for st in s.scalars(select(Structure)) if st.courriel]
        assert courriels and not any(c.startswith(("a.roques", "robert.garrigues")) for c in courriels)


def test_xlsx_gives_the_same_offers(engine, tmp_path):
    with Session(engine) as s:
        ingest(CsvMappingConnector(), s, instance_dir=tmp_path, paths=[CSV])
        from_csv = {sv.id: (sv.nom, sv.code_insee, tuple(sv.thematiques)) for sv in s.scalars(select(Service))}
    engine2 = engine_for(f"sqlite:///{tmp_path}/t2.sqlite3")
    create_schema(engine2)
    with Session(engine2) as s:
        report = ingest(CsvMappingConnector(), s, instance_dir=tmp_path, paths=[XLSX])
        assert report.new == 57
        from_xlsx = {sv.id: (sv.nom, sv.code_insee, tuple(sv.thematiques)) for sv in s.scalars(select(Service))}
    assert from_csv == from_xlsx


def test_latin1_csv_keeps_its_accents(engine, tmp_path):
    path = tmp_path / "export-tableur.csv"
    path.write_bytes(CSV.read_text(encoding="utf-8").encode("cp1252"))
    with Session(engine) as s:
        report = ingest(CsvMappingConnector(), s, instance_dir=tmp_path, paths=[path])
        assert report.new == 57
        st = s.get(Structure, "csv--msap-12223-01")
        assert st.nom == "Maison de services au public - Sainte-Geneviève-sur-Argence"
        cidff = s.get(Service, "csv--cidf-12202-01")
        assert "Centre d'information sur les droits des femmes" in cidff.nom
        assert sorted(cidff.publics) == ["familles", "femmes"]
        assert "Thèmes : Droit, Famille" in cidff.description
        cio = s.get(Structure, "csv--cio-12089-01")
        assert cio.nom.startswith("Centre d’information et d’orientation (CIO)")  # cp1252 0x92 → U+2019


def test_one_bad_row_is_quarantined_the_others_go_in(engine, tmp_path):
    lines = CSV.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    bad = lines[5].split(";")
    bad[header.index("Nom de la structure")] = ""
    lines[5] = ";".join(bad)
    lines[8] = lines[8].replace("msap-", "", 1) + ";une cellule de trop"
    path = tmp_path / "abime.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Session(engine) as s:
        report = ingest(CsvMappingConnector(), s, instance_dir=tmp_path, paths=[path])
        assert report.read == 57 and report.quarantined == 2 and report.new == 55
        reasons = {r.row_number: r.reason for r in s.scalars(select(QuarantinedRow))}
        assert reasons[6] == "nom de la structure manquant"
        assert "plus que les colonnes" in reasons[9]


@pytest.mark.parametrize("payload, message", [
    (b"", "fichier vide"),
    (bytes(range(256)) * 8, "binaire"),
    (b"une seule colonne\nligne\n", "séparateur"),
    (b"PK\x03\x04pas vraiment un classeur", "XLSX illisible"),
])
def test_unreadable_inputs_fail_the_run(engine, tmp_path, payload, message):
    path = tmp_path / "in.csv"
    path.write_bytes(payload)
    with Session(engine) as s:
        with pytest.raises(RunFailed, match=message):
            ingest(CsvMappingConnector(), s, instance_dir=tmp_path, paths=[path])


def test_mapping_source_names_the_ids(engine, tmp_path):
    mapping = Mapping.load(DEFAULT_MAPPING)
    mapping.source = "cd12"
    connector = CsvMappingConnector(mapping)
    assert connector.name == "cd12"
    with Session(engine) as s:
        ingest(connector, s, instance_dir=tmp_path)
        assert s.get(Service, "cd12--mission_locale-12145-01") is not None


def test_mapping_errors_are_french():
    with pytest.raises(MappingError, match="champs inconnus"):
        Mapping.load({"source": "x-y", "structure": {"columns": {"nom_structure": "Nom"}}})
    with pytest.raises(MappingError, match="nom de source invalide"):
        Mapping.load({"source": "Avec Espaces", "structure": {"columns": {"nom": "Nom"}}})


# -- validator ---------------------------------------------------------------------------------
def test_validator_on_data_inclusion_fixture_reports_injected_errors_on_their_rows():
    report = validate_file(DI_DATASET, DI_MAPPING, today=dt.date(2026, 6, 1))
    assert report.lignes == 3  # help and example rows (__ignore__) skipped: 1 structure, 2 services

    def messages(sheet, line):
        return {(i.colonne, i.message) for i in report.for_row(line, sheet) if i.niveau == ERREUR}

    structure = messages("Structures", 4)
    assert ("courriel", "courriel invalide") in structure                      # "pas une adresse"
    assert ("site_web", "URL invalide") in structure                           # "pas une url !"
    assert ("code_postal", "code postal invalide (5 chiffres attendus)") in structure  # 750121
    assert ("nom", "le nom ne doit pas se terminer par un point") in structure
    service = messages("Services", 4)
    assert ("thematiques", "thématique inconnue : logement-hebergement--louer-un-appartement. "
                           "Vouliez-vous dire « logement-hebergement--louer-un-logement » ?") in service
    assert ("mobilisable_par", "personne mobilisatrice inconnue : autres") in service
    assert any(col == "nombre_semaines" for col, _ in service)                  # "beaucoup"
    assert ("code_insee", "code commune inconnu : 59999") in messages("Services", 5)
    assert not any("code commune" in m for _, m in service), "59350 (Lille) is a real commune"
    file_level = {i.message for i in report.issues if i.ligne is None}
    assert "colonne non reconnue : colonne en trop (ignorée)" in file_level
    assert "colonne en double : lien_source (seule la première est lue)" in file_level
    assert any(m.startswith("en-tête de colonne invalide : une date") for m in file_level)
    summary = report.summary()
    assert summary["lignes_en_erreur"] == 3 and summary["erreurs"] == report.erreurs > 0
    assert summary["par_message"]["courriel invalide"] == 1
    as_json = json.loads(json.dumps(report.to_dict(), ensure_ascii=False, default=str))
    first = as_json["problemes"][0]
    assert set(first) == {"ligne", "colonne", "champ", "valeur", "message", "niveau", "feuille"}
    text = report.as_text()
    assert "Structures ligne 4, colonne « courriel » [pas une adresse] : courriel invalide" in text


def test_validator_on_the_aveyron_example_has_no_error():
    for path in (CSV, XLSX):
        report = validate_file(path, DEFAULT_MAPPING)
        assert report.lignes == 57 and report.erreurs == 0 and report.lignes_valides == 57
        assert any("CEDEX" in i.message for i in report.issues)  # 12033 Rodez Cedex 9: a warning


def test_validator_row_messages(tmp_path):
    header = "Identifiant;Nom de la structure;Type de structure;Thème;Public;Adresse;CP;Ville;Téléphone;Courriel;Site internet"
    rows = [
        "a-1;ML;Mission locale;Emploi;Jeunes;1 rue X;12000;Rodez;05 65 00 00 00;contact@ml.fr;https://ml.fr",
        "a-2;Mission locale du Ruthénois;Mission locale;Jardinage;Jeunes, Tous publics;1 rue X;1200;Rodez;abc;pas@;ml.fr",
        "a-2;Autre structure;Mission locale;Emploi;Jeunes;1 rue X;12000;Rodez;;jean.dupont@ml.fr;",
    ]
    path = tmp_path / "t.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    report = validate_file(path, DEFAULT_MAPPING)
    row2 = {i.message for i in report.for_row(2)}
    assert "nom trop court (3 caractères minimum)" in row2
    row3 = {i.message for i in report.for_row(3)}
    assert "thématique inconnue : Jardinage" in row3
    assert "tous-publics ne peut pas être combiné avec d'autres publics" in row3
    assert "courriel invalide" in row3 and "numéro de téléphone invalide" in row3
    assert "code postal invalide (5 chiffres attendus)" not in row3  # 4 digits: 01200 → valid shape
    assert any(m.startswith("URL invalide (sera corrigée en https://ml.fr)") for m in row3)
    row4 = {i.message for i in report.for_row(4)}
    assert "identifiant en double : a-2 (déjà ligne 3)" in row4
    assert any(m.startswith("courriel nominatif") for m in row4)


def test_validator_future_date(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Nom;CP;Mis à jour le\nCentre social;12000;31/12/2099\n", encoding="utf-8")
    report = validate_file(path, {"source": "t-1", "structure": {"columns": {
        "nom": "Nom", "code_postal": "CP", "date_maj": "Mis à jour le"}}})
    assert [i.message for i in report.for_row(2)] == ["date de mise à jour dans le futur"]
    report = validate_file(path, {"source": "t-1", "structure": {"columns": {"nom": "Nom", "code_postal": "CP"}}})
    assert "colonne non reconnue : Mis à jour le (ignorée)" in {i.message for i in report.issues}
