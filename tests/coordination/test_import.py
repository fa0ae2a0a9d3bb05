"""An admin uploads a producer spreadsheet, reads its validation report, then ingests it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.coordination import users as accounts
from tests.coordination.conftest import PASSWORD, csrf_token, login

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def fresh_app(tmp_path_factory):
    """An app on an empty instance of its own (the ingestion must not touch the shared database)."""
    from app.factory import create_app
    from config import load_settings

    instance = tmp_path_factory.mktemp("coordination-import")
    flask_app = create_app(load_settings(environ={}, instance_dir=str(instance)))
    flask_app.config["TESTING"] = True
    accounts.create_user(flask_app.config["REPERES"].database_url, "admin@import.test", PASSWORD, "admin")
    accounts.create_user(flask_app.config["REPERES"].database_url, "coord@import.test", PASSWORD, "coordinator")
    return flask_app


def test_upload_validate_then_ingest(fresh_app):
    client = fresh_app.test_client()
    assert login(client, "admin@import.test").status_code == 302
    page = client.get("/coordination/import")
    assert page.status_code == 200
    mapping = re.search(r'<option value="([^"]*exemple-departement.yaml)"', page.text).group(1)
    data = {"csrf_token": csrf_token(page.text), "correspondance": mapping,
            "fichier": ((DATA / "offers" / "csv" / "exemple-aveyron.csv").open("rb"), "exemple-aveyron.csv")}
    response = client.post("/coordination/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    report = client.get(response.headers["Location"])
    assert report.status_code == 200
    assert "Rapport de validation" in report.text and "lignes sans erreur" in report.text
    assert "Ingérer ce fichier" in report.text
    token = response.headers["Location"].rsplit("/", 1)[1]
    # nothing ingested yet
    assert "Aucune exécution enregistrée" in client.get("/coordination/qualite/csv").text
    # the ingestion is a POST with its token
    assert client.post(f"/coordination/import/{token}/ingerer").status_code == 400
    response = client.post(f"/coordination/import/{token}/ingerer", data={"csrf_token": csrf_token(report.text)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/coordination/qualite/csv")
    detail = client.get("/coordination/qualite/csv")
    assert detail.status_code == 200 and "Fichier ingéré" in detail.text
    assert re.search(r'coord-figure__value">\s*5\d\s*<', detail.text)  # the 57 Aveyron places, or nearly


def test_upload_without_csrf_or_as_coordinator_is_refused(fresh_app):
    client = fresh_app.test_client()
    assert login(client, "coord@import.test").status_code == 302
    assert client.get("/coordination/import").status_code == 403
    admin = fresh_app.test_client()
    assert login(admin, "admin@import.test").status_code == 302
    data = {"correspondance": "exemple-departement.yaml",
            "fichier": ((DATA / "offers" / "csv" / "exemple-aveyron.csv").open("rb"), "exemple-aveyron.csv")}
    assert admin.post("/coordination/import", data=data, content_type="multipart/form-data").status_code == 400
