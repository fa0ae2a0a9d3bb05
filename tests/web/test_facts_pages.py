"""Kind-specific facts (app.core.facts) on real service pages: a training, an SIAE, a GEIQ, an aid, housing."""
from __future__ import annotations

import html as htmllib
import re

import pytest


def page(client, service_id: str) -> str:
    res = client.get(f"/services/{service_id}")
    assert res.status_code == 200, service_id
    return res.get_data(as_text=True)


def section(body: str, key: str) -> str:
    """The text of one facts section, tags removed, entities decoded, spaces collapsed."""
    m = re.search(rf'<section class="faits[^"]*"[^>]*data-faits="{key}">(.*?)</section>', body, re.S)
    assert m, f"no facts section {key!r}"
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", m.group(1)))).replace("\u00a0", " ")


def headings(body: str) -> list[int]:
    return [int(n) for n in re.findall(r"<h([1-6])[\s>]", body)]


def test_training_page_shows_sessions_funders_certification_cpf(client):
    body = page(client, "lheo--07_10--07_123324")
    sessions = section(body, "sessions")
    assert "Sessions de formation" in sessions and "Aucune session à venir" in sessions
    # the 2017–2018 session is past: listed, collapsed, under a summary
    assert re.search(r'<details class="faits__passes">\s*<summary>Sessions passées \(1\)</summary>', body)
    assert "Du 30 octobre 2017 au 1er juin 2018 — Veigné (37)" in sessions
    formation = section(body, "formation")
    for text in ("Financeurs : Collectivité territoriale - Conseil régional (5 places financées)",
                 "Certification : Formation certifiante (RNCP 320", "Éligible au CPF", "Durée : 697 heures",
                 "Métiers visés : Montage d'agencements (F1604)"):
        assert text in formation
    # the facts come after the description and before "Pour qui"; headings stay in order
    assert body.index(">Description</h2>") < body.index('id="faits-sessions"') < body.index(">Pour qui</h2>")
    levels = headings(body)
    assert levels.count(1) == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:]))
    assert "<script>" not in body and "style=" not in body


def test_siae_page_shows_measure_and_jobs(client):
    iae = section(page(client, "siae--41273578900023-ei-062"), "iae")
    assert "Insertion par l'activité économique" in iae
    assert "Entreprise d'insertion (EI)" in iae
    assert "Conventionnée pour : Pas-de-Calais (62)" in iae
    assert "Métiers proposés : Chaudronnier / Chaudronnière (H2902)" in iae


def test_geiq_page_shows_sectors(client):
    geiq = section(page(client, "geiq--48267194800040-alternance"), "geiq")
    assert "Secteurs : BTP, bâtiment, travaux publics" in geiq and "Engins de chantier (F13)" in geiq


def test_aid_page_shows_amount_age_and_link(client):
    body = page(client, "aides-jeunes--aide-au-bafa-pour-une-session-dapprofondissement-ou-de-"
                        "qualification-caf-de-la-haute-savoie")
    aide = section(body, "aide")
    assert "Aide financière" in aide
    assert "Montant : jusqu'à 109 €" in aide and "Âge : à partir de 16 ans" in aide
    assert ('<a href="https://www.caf.fr/sites/default/files/medias/741/Enfance-jeunesse/BAFA_032016.pdf" '
            'rel="noopener external">Formulaire de demande</a>') in body


def test_emergency_housing_page_says_115(client):
    housing = section(page(client, "soliguide--3--62221eb15fe7a848e82a9229"), "hebergement")
    assert "Hébergement d'urgence — appeler le 115" in housing and "jeu de données de test" in housing


@pytest.mark.parametrize("service_id", ["france-services--1--demarches"])
def test_no_empty_facts_section(client, service_id):
    body = page(client, service_id)
    assert "data-faits=" not in body  # a fixed site without appointment: nothing kind-specific to say
