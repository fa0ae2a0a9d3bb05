"""The needs diagnostic in a real browser: questionnaire → plan → selection holding several needs → one PDF."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import pdf_text

pytestmark = pytest.mark.browser

SECTIONS = "section.besoin-plan"
NEEDS = {"garde-enfants": "Garde d'enfants", "mobilite": "Mobilité", "formation": "Formation"}


def tick(page, field_id: str):
    page.locator(f"label[for='{field_id}']").click()
    assert page.locator(f"#{field_id}").is_checked()


def test_diagnostic_to_plan_to_one_pdf(new_page, screenshots):
    page = new_page("/")
    page.get_by_role("link", name=re.compile("Diagnostic des besoins")).click()
    page.wait_for_url(re.compile(r"/diagnostic$"))
    assert page.locator("h1").count() == 1

    # A person in Millau: no driving licence, no childcare, wants to train.
    page.locator("#lieu").press_sequentially("Millau", delay=40)
    option = page.locator("#lieu-suggestions [role='option']").first
    option.wait_for(state="visible")
    assert "Millau" in option.inner_text()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.locator("input[name='code_commune']").input_value() == "12145"
    tick(page, "age-26-49")
    tick(page, "situation-demandeur-emploi")
    tick(page, "freins-permis")
    tick(page, "freins-garde-enfants")
    tick(page, "projet-se-former")
    page.fill("#metier", "aide-soignante")
    page.get_by_role("button", name="Voir les besoins et les solutions").click()
    page.wait_for_url(re.compile(r"/diagnostic/plan\?"))

    query = parse_qs(urlsplit(page.url).query)
    assert query["code_commune"] == ["12145"] and set(query["freins"]) == {"permis", "garde-enfants"}
    assert page.locator("h1").count() == 1 and "Millau" in page.locator("h1").inner_text()
    sections = page.locator(SECTIONS)
    assert sections.evaluate_all("els => els.map(e => e.dataset.levier)") == list(NEEDS)
    assert "aide-soignante" in page.locator("#reponses-titre + ul").inner_text()
    screenshots(page, "05-diagnostic-plan")

    # One offer of each need into the selection.
    chosen = {}
    for lever in NEEDS:
        section = page.locator(f"{SECTIONS}[data-levier='{lever}']")
        cards = section.locator("article.fiche[data-service-id]")
        assert cards.count() >= 1, f"no offer for {lever} around Millau"
        taken = {i for i, _ in chosen.values()}
        # the first offer not already chosen for another need (the button toggles)
        card = next(cards.nth(i) for i in range(cards.count())
                    if cards.nth(i).get_attribute("data-service-id") not in taken)
        chosen[lever] = (card.get_attribute("data-service-id"), card.get_attribute("data-nom"))
        card.locator("[data-action='ajouter-selection']").click()
    assert page.locator("[data-selection-compte]").first.inner_text() == "3"
    stored = page.evaluate("() => JSON.parse(localStorage.getItem('reperes.selection.v1'))")
    assert {x["levier"] for x in stored} == set(NEEDS)
    assert not any("aide-soignante" in str(x) or "permis" in str(x) for x in stored)  # no answer kept

    # The selection holds the three needs, each service under the need it was added for.
    page.get_by_role("link", name="Ouvrir ma sélection").click()
    page.wait_for_url(re.compile(r"/selection\?ids="))
    assert "besoins=" in page.url
    for lever, (service_id, _) in chosen.items():
        group = page.locator(f"section.groupe-besoin[aria-labelledby='besoin-{lever}']")
        assert group.locator(f"article[data-service-id='{service_id}']").count() == 1, lever
        assert NEEDS[lever] in group.locator("h2").inner_text()
    assert page.locator("#selection-partagee").is_hidden()
    screenshots(page, "06-diagnostic-selection")

    # … and prints as one PDF.
    pdf_href = page.get_by_role("link", name="Télécharger en PDF").get_attribute("href")
    response = page.request.get(pdf_href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    text = re.sub(r"\s+", " ", pdf_text(body)).replace("’", "'")
    for lever, (_, name) in chosen.items():
        assert NEEDS[lever] in text
        assert re.sub(r"\s+", " ", name) in text
    assert "aide-soignante" not in text  # the answers stay on the plan page, not in the shared selection


def test_diagnostic_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False, base_url=live_server)
    try:
        page = context.new_page()
        page.goto("/diagnostic")
        page.fill("#lieu", "Millau")
        page.locator("label[for='freins-vehicule']").click()
        page.locator("label[for='freins-garde-enfants']").click()
        page.locator("label[for='projet-se-former']").click()
        page.get_by_role("button", name="Voir les besoins et les solutions").click()
        page.wait_for_url(re.compile(r"/diagnostic/plan\?"))
        found = page.locator(SECTIONS)
        assert [found.nth(i).get_attribute("data-levier") for i in range(found.count())] == list(NEEDS)
        for lever in NEEDS:
            assert page.locator(f"{SECTIONS}[data-levier='{lever}'] article.fiche").count() >= 1
        assert page.locator("[data-action='ajouter-selection']").first.is_hidden()  # needs JavaScript: no dead button
    finally:
        context.close()
