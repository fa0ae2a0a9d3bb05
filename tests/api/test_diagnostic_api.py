"""/api/v1/diagnostic: the needs diagnostic for other tools (stateless)."""
from __future__ import annotations

from app.core import vocabularies as voc


def test_post_returns_prioritised_needs(client):
    res = client.post("/api/v1/diagnostic", json={
        "age": "moins-de-26", "situation": ["demandeur-emploi"],
        "freins": ["transport", "garde-enfants", "sans-hebergement"], "projet": ["se-former"]})
    assert res.status_code == 200, res.json
    body = res.json
    assert set(body["publics"]) == {"jeunes", "demandeurs-emploi"}
    needs = body["besoins"]
    assert [n["levier"] for n in needs] == ["hebergement", "garde-enfants", "mobilite", "formation"]
    assert [n["rang"] for n in needs] == [1, 2, 3, 4]
    assert [n["priorite"] for n in needs] == sorted(n["priorite"] for n in needs)
    for need in needs:
        lever = voc.levier(need["levier"])
        assert need["libelle"] == lever.label
        assert need["thematiques"] and set(need["thematiques"]) <= set(lever.thematiques)
        assert {"jeunes", "demandeurs-emploi"} <= set(need["publics"]) <= voc.PUBLICS
        assert need["pourquoi"] and need["priorite_libelle"]
    assert "famille--garde-denfants" in needs[1]["thematiques"]
    assert "personnes-en-situation-durgence" in needs[0]["publics"]


def test_no_answer_no_need(client):
    res = client.post("/api/v1/diagnostic", json={})
    assert res.status_code == 200 and res.json == {"publics": [], "besoins": []}


def test_bad_input_is_a_422_naming_the_field(client):
    cases = [
        ({"freins": ["permis", "licorne"]}, "freins"),
        ({"age": "centenaire"}, "age"),
        ({"projet": "se-former"}, "projet"),  # a list is expected
        ({"humeur": "bonne"}, "humeur"),
        ({"situation": [42]}, "situation"),
    ]
    for payload, field in cases:
        res = client.post("/api/v1/diagnostic", json=payload)
        assert res.status_code == 422, (payload, res.json)
        assert field in res.json["errors"]["json"], res.json


def test_questionnaire_lists_the_answers_with_their_meaning(client):
    res = client.get("/api/v1/diagnostic")
    assert res.status_code == 200
    questions = {q["name"]: q for q in res.json["questions"]}
    assert list(questions) == ["age", "situation", "freins", "projet"]
    permis = next(o for o in questions["freins"]["options"] if o["value"] == "permis")
    assert permis["levier"] == "mobilite" and permis["groupe"] == "Mobilité"
    assert "mobilite--preparer-un-permis" in permis["thematiques"]
    # what GET lists, POST accepts
    every = {name: [o["value"] for o in q["options"]] for name, q in questions.items() if q["multiple"]}
    assert client.post("/api/v1/diagnostic", json=every).status_code == 200


def test_endpoint_is_in_the_openapi(client):
    spec = client.get("/api/openapi.json").json
    operations = spec["paths"]["/api/v1/diagnostic"]
    assert {"get", "post"} <= set(operations)
    post = operations["post"]
    assert "requestBody" in post and "422" in post["responses"]
    schemas = spec["components"]["schemas"]
    assert {"age", "situation", "freins", "projet"} <= set(schemas["DiagnosticAnswers"]["properties"])
