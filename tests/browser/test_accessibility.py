"""axe-core on the main pages (no serious or critical violation) and keyboard journeys."""
from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.browser

RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = {"serious", "critical"}


def run_axe(page) -> list[dict]:
    page.wait_for_load_state("networkidle")
    report = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
        return {passes: r.passes.length, incomplete: r.incomplete.map(v => v.id),
                violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))};
    }""", RULES)
    assert report["passes"] > 20, report  # axe really ran over the page
    print(f"axe: {report['passes']} rules passed, to review by hand: {report['incomplete']}")
    result = report["violations"]
    for v in result:
        print(f"axe {v['impact']}: {v['id']} — {v['help']} — {v['nodes']}")
    return [v for v in result if v["impact"] in BLOCKING]


def first_ids(client, n=2):
    html = client.get("/recherche?code_commune=12202&thematiques=numerique").get_data(as_text=True)
    return re.findall(r'<article class="fr-card fiche" data-service-id="([^"]+)"', html)[:n]


@pytest.mark.parametrize("name,path", [
    ("accueil", "/"),
    ("resultats", "/recherche?code_commune=12202&levier=numerique&frais=gratuit"),
    ("service", None),
    ("formation", "/services/lheo--07_10--07_123324"),  # kind-specific facts, past sessions collapsed
    ("signaler", None),
    ("selection", None),
    ("catalogue", "/catalogue/12/numerique"),
    ("diagnostic", "/diagnostic"),
    ("plan", "/diagnostic/plan?lieu=Millau&code_commune=12145&freins=permis&freins=garde-enfants&projet=se-former"),
])
def test_no_serious_axe_violation(new_page, client, name, path):
    ids = first_ids(client)
    if name == "service":
        path = f"/services/{ids[0]}"
    elif name == "signaler":
        path = f"/signaler-une-erreur?service={ids[0]}"
    elif name == "selection":
        path = "/selection?ids=" + ",".join(ids)
    page = new_page(path, axe=True)
    if name == "resultats":
        page.locator("#carte .leaflet-marker-icon").first.wait_for()
    if name in ("service", "signaler"):  # the feedback forms are part of what axe checks
        assert page.locator("form[data-formulaire=avis]" if name == "service"
                            else "form[data-formulaire=signalement]").count() == 1
    if name == "formation":  # open the collapsed past sessions so that axe checks them too
        page.locator("details.faits__passes summary").click()
        page.get_by_text("Du 30 octobre 2017 au 1er juin 2018").wait_for()
    blocking = run_axe(page)
    assert not blocking, json.dumps(blocking, ensure_ascii=False, indent=1)


def tab_until(page, predicate_js: str, limit: int = 300) -> int:
    """Press Tab until the focused element matches; returns the number of presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!(el && ({predicate_js})); }}"):
            return presses
    raise AssertionError(f"Tab never reached: {predicate_js}")


def test_keyboard_through_results_and_selection(new_page):
    page = new_page("/recherche?code_commune=12202&levier=numerique")
    page.locator("#carte .leaflet-marker-icon").first.wait_for()
    # Tab reaches the first card's link, then its "ajouter" button; Enter on the button adds it.
    tab_until(page, "el.matches('article.fiche .fr-card__title a')")
    first_card = page.evaluate("() => document.activeElement.closest('article').dataset.serviceId")
    tab_until(page, "el.matches('[data-action=\"ajouter-selection\"]')", limit=10)
    assert page.evaluate("() => document.activeElement.closest('article').dataset.serviceId") == first_card
    page.keyboard.press("Enter")
    assert page.locator("[data-selection-compte]").first.inner_text() == "1"
    # Next card's link, then Enter follows it (opens the service page).
    tab_until(page, "el.matches('article.fiche .fr-card__title a') && el.closest('article').dataset.serviceId !== "
                    + json.dumps(first_card), limit=10)
    second_card = page.evaluate("() => document.activeElement.closest('article').dataset.serviceId")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/services/"))
    assert page.locator(f"article[data-service-id='{second_card}']").count() == 1
    tab_until(page, "el.matches('[data-action=\"ajouter-selection\"]')")
    page.keyboard.press("Enter")
    assert page.locator("[data-selection-compte]").first.inner_text() == "2"

    # The selection: Tab reaches each item's link and its button; Enter on "Retirer" removes it.
    page.goto("/selection")
    page.wait_for_url(re.compile(r"/selection\?ids="))
    assert page.locator(".selection article[data-service-id]").count() == 2
    tab_until(page, "el.matches('.selection article h3 a')")
    tab_until(page, "el.matches('.selection article [data-action=\"ajouter-selection\"]')", limit=10)
    assert "Retirer" in page.evaluate("() => document.activeElement.textContent")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".selection article[data-service-id]").count() == 1
