"""A search engine outage is a 503, never an empty page pretending there is no offer."""
from __future__ import annotations

from app.factory import create_app


def test_missing_index_gives_503(settings, ingested, tmp_path):
    broken = settings.with_overrides(search_index_path=str(tmp_path / "absent.sqlite3"))
    client = create_app(broken).test_client()
    api = client.get("/api/v1/search/services?code_commune=12202")
    assert api.status_code == 503
    assert api.json["code"] == 503 and "indisponible" in api.json["message"]
    page = client.get("/recherche?lieu=Rodez")
    assert page.status_code == 503
    assert "momentanément indisponible" in page.get_data(as_text=True)
    assert client.get("/healthz").status_code == 503


def test_opensearch_down_gives_503(settings, ingested):
    down = settings.with_overrides(search_url="http://127.0.0.1:9", opensearch_timeout=1.0)
    client = create_app(down).test_client()
    res = client.get("/api/v1/search/services?code_commune=12202")
    assert res.status_code == 503 and res.is_json
