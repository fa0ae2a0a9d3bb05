"""Kind-specific facts (app.core.facts) on real bundled records, read through the connectors, and on odd values."""
from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache

import pytest

from app.core.facts import Fact, FactGroup, facts_for, searchable_words
from app.core.models import Service
from indexer.connectors import get

NBSP = "\u00a0"
TODAY = dt.date(2026, 3, 1)


@lru_cache(maxsize=None)
def bundled(source: str) -> dict[str, Service]:
    """Every service of a source's bundled files, as an unsaved ``Service`` keyed by our id."""
    connector = get(source)
    out = {}
    for path in connector.default_paths():
        for record in connector.parse(connector.fetch(path)):
            try:
                offers = connector.to_offer(record)
            except Exception:  # quarantined records are not what this test is about
                continue
            for offer in offers if isinstance(offers, list) else [offers] if offers else []:
                for s in offer.services:
                    sid = f"{source}--{s.local_id}"
                    out[sid] = Service(id=sid, source=source, nom=s.nom, type=s.type, extra=s.extra)
    return out


def group(groups: list[FactGroup], key: str) -> FactGroup:
    found = [g for g in groups if g.key == key]
    assert len(found) == 1, [g.key for g in groups]
    return found[0]


# -- LHEO trainings ------------------------------------------------------------------------------
def test_lheo_training_sessions_funders_certification_cpf_duration_jobs():
    service = bundled("lheo")["lheo--07_10--07_123324"]  # Titre professionnel plaquiste, AFPA de Veigné
    groups = facts_for(service, today=TODAY)
    assert [g.key for g in groups] == ["sessions", "formation"]
    sessions = group(groups, "sessions")
    assert sessions.title == "Sessions de formation"
    assert sessions.facts == ()  # the only session ended in 2018: collapsed under "sessions passées"
    assert [f.text for f in sessions.past] == ["Du 30 octobre 2017 au 1er juin 2018 — Veigné (37)"]
    assert sessions.past_title == "Sessions passées (1)"
    assert "Aucune session à venir" in sessions.note
    texts = group(groups, "formation").texts
    assert "Financeurs : Collectivité territoriale - Conseil régional (5 places financées)" in texts
    assert "Programme : Programme régional 2017 : Parcours métiers" in texts
    assert ("Certification : Formation certifiante (RNCP 320, Certif Info 80735), niveau de sortie : "
            "niveau V (CAP, BEP, CFPA du premier degré)") in texts
    assert "Éligible au CPF (compte personnel de formation)" in texts
    assert f"Durée : 697{NBSP}heures" in texts
    assert "Enseignement : Formation entièrement présentielle" in texts
    assert "Métiers visés : Montage d'agencements (F1604)" in texts


def test_lheo_session_still_to_come_says_recruitment_and_registration():
    service = bundled("lheo")["lheo--07_10--07_123324"]
    sessions = group(facts_for(service, today=dt.date(2017, 9, 1)), "sessions")
    assert sessions.past == () and sessions.note is None
    assert [f.text for f in sessions.facts] == [
        "Du 30 octobre 2017 au 1er juin 2018 — Veigné (37) · recrutement ouvert, inscriptions jusqu'au 22 mai 2018"]


def test_lheo_published_place_name_and_registration_elsewhere():
    lheo = bundled("lheo")
    # code INSEE 61325 is now part of Belforêt-en-Perche: the published name stays, the département is added
    paysan = group(facts_for(lheo["lheo--04_A815385--04_74056"], today=dt.date(2018, 1, 1)), "sessions")
    assert paysan.facts[0].text.startswith("Du 27 février 2018 au 19 octobre 2018 — La Perrière (61) · ")
    assert "inscription à Rouen (76)" in paysan.facts[0].text
    # an upper-case commune in the file reads in the COG's spelling
    bts = group(facts_for(lheo["lheo--9436_18706--9436_18706"], today=TODAY), "sessions")
    assert bts.past[0].text == "Du 1er septembre 2015 au 31 août 2017 — Quimperlé (29)"
    training = group(facts_for(lheo["lheo--04_A815385--04_74056"]), "formation").texts
    assert "Certification : Formation non certifiante" in training
    assert f"Durée : 40{NBSP}heures (5 jours)" in training


def test_lheo_sessions_sorted_past_ones_apart():
    extra = {"sessions": [
        {"debut": "2026-09-01", "fin": "2027-06-30", "lieu": {"commune": "Rodez", "code_insee": "12202"}},
        {"debut": "2025-01-06", "fin": "2025-06-30", "lieu": {"commune": "Albi", "code_postal": "81000"}},
        {"debut": "2026-01-12", "fin": "2026-06-30", "lieu": {"commune": "VEIGNE", "code_insee": "37266"},
         "etat_recrutement": "ouvert"},
        {"debut": "2024-09-02", "fin": "2025-02-28"},
    ], "a_distance": True, "modalites_enseignement": "formation mixte", "eligible_cpf": False}
    groups = facts_for(Service(id="lheo--x", source="lheo", extra=extra), today=TODAY)
    sessions = group(groups, "sessions")
    assert [f.text for f in sessions.facts] == [
        "Du 12 janvier 2026 au 30 juin 2026 — Veigné (37) · recrutement ouvert",  # under way: not past
        "Du 1er septembre 2026 au 30 juin 2027 — Rodez (12)",
    ]
    assert [f.text for f in sessions.past] == ["Du 2 septembre 2024 au 28 février 2025",
                                               "Du 6 janvier 2025 au 30 juin 2025 — Albi (81)"]
    assert sessions.note is None
    texts = group(groups, "formation").texts
    assert "Formation à distance (formation mixte)" in texts
    assert not any("CPF" in t for t in texts)


def test_lheo_words_worth_indexing():
    words = searchable_words(bundled("lheo")["lheo--07_10--07_123324"])
    for expected in ("formation certifiante", "RNCP 320", "éligible au CPF",
                     "Collectivité territoriale - Conseil régional", "Montage d'agencements"):
        assert expected in words
    assert len(words) == len({w.casefold() for w in words})
    paysan = searchable_words(bundled("lheo")["lheo--04_A815385--04_74056"])
    assert "OPCO" in paysan and "Autre" not in paysan and "formation certifiante" not in paysan


# -- SIAE and GEIQ -------------------------------------------------------------------------------
def test_siae_measure_department_and_declared_jobs():
    service = bundled("siae")["siae--41273578900023-ei-062"]
    iae = group(facts_for(service), "iae")
    assert iae.title == "Insertion par l'activité économique"
    assert iae.texts == ["Entreprise d'insertion (EI)", "Conventionnée pour : Pas-de-Calais (62)",
                         "Métiers proposés : Chaudronnier / Chaudronnière (H2902)"]
    words = searchable_words(service)
    assert {"Entreprise d'insertion", "EI", "insertion par l'activité économique", "Chaudronnier / Chaudronnière",
            "Chaudronnerie - tôlerie"} <= set(words)


def test_siae_jobs_from_the_activity_are_said_to_be_probable():
    iae = group(facts_for(bundled("siae")["siae--52382301100011-ei-001"]), "iae")
    assert ("Métiers probables (d'après l'activité de la structure) : Assistance auprès d'adultes (K1302), "
            "Services domestiques (K1304)") in iae.texts


def test_every_bundled_siae_shows_its_measure():
    services = bundled("siae")
    assert len(services) > 3000
    labels = {"ACI": "Atelier et chantier d'insertion (ACI)", "EI": "Entreprise d'insertion (EI)",
              "AI": "Association intermédiaire (AI)", "ETTI": "Entreprise de travail temporaire d'insertion (ETTI)"}
    seen = set()
    for service in services.values():
        first = group(facts_for(service), "iae").facts[0].text
        assert first == labels[service.extra["mesure"]], service.id
        seen.add(service.extra["mesure"])
    assert seen == set(labels)


def test_geiq_sectors_and_jobs():
    service = bundled("geiq")["geiq--48267194800040-alternance"]
    geiq = group(facts_for(service), "geiq")
    assert geiq.texts[0] == "Groupement d'employeurs pour l'insertion et la qualification (GEIQ)"
    assert "Secteurs : BTP, bâtiment, travaux publics" in geiq.texts
    assert ("Métiers probables (d'après le secteur du groupement) : Engins de chantier (F13), Montage de "
            "structures (F15), Second oeuvre (F16), Travaux et gros oeuvre (F17)") in geiq.texts
    assert {"GEIQ", "alternance", "bâtiment", "Engins de chantier"} <= set(searchable_words(service))


# -- aides-jeunes ----------------------------------------------------------------------------------
def test_aid_amount_frequency_age_and_form():
    service = bundled("aides-jeunes")[
        "aides-jeunes--aide-au-bafa-pour-une-session-dapprofondissement-ou-de-qualification-caf-de-la-haute-savoie"]
    aide = group(facts_for(service), "aide")
    assert aide.title == "Aide financière"
    assert aide.texts[:3] == [f"Montant : jusqu'à 109{NBSP}€", "Versement : en une fois",
                              "Âge : à partir de 16 ans"]
    form = aide.facts[3]
    assert form == Fact("Formulaire de demande",
                        url="https://www.caf.fr/sites/default/files/medias/741/Enfance-jeunesse/BAFA_032016.pdf")
    assert searchable_words(service) == ["aide financière"]


def test_aid_monthly_amount_age_range_and_online_service():
    aids = bundled("aides-jeunes")
    monthly = group(facts_for(aids["aides-jeunes--bretagne-jeune-international"]), "aide")
    assert monthly.texts[0] == f"Montant : jusqu'à 200{NBSP}€ par mois"
    assert not any(t.startswith("Versement") for t in monthly.texts)  # the period is in the amount
    assert monthly.facts[-1].value == "Faire la demande en ligne"
    assert monthly.facts[-1].url.startswith("https://extranets.region-bretagne.fr/")
    ranged = [s for s in aids.values() if (s.extra or {}).get("conditions_age") == {">=": 16, "<=": 25}]
    assert len(ranged) > 10
    for service in ranged:
        assert "Âge : de 16 à 25 ans" in group(facts_for(service), "aide").texts


# -- France Services, Soliguide, Service-Public, data·inclusion typologies -------------------------
def test_france_services_itinerant_and_appointment():
    fs = bundled("france-services")
    bus = group(facts_for(fs["france-services--3--demarches"]), "france-services")
    assert "France Services itinérante (bus) : vérifier les lieux et jours de passage" in bus.texts
    assert "France Services itinérante" in searchable_words(fs["france-services--3--demarches"])
    rdv = [s for s in fs.values() if (s.extra or {}).get("prise_rdv")]
    assert rdv and "Prise de rendez-vous possible" in group(facts_for(rdv[0]), "france-services").texts
    plain = [s for s in fs.values() if s.extra == {"type_fs": "Principal", "format_fs": "Fixe",
                                                   "labellisation": "Espace labellisé 01/01/2020"}]
    assert plain and facts_for(plain[0]) == []  # nothing worth saying: no empty section


def test_soliguide_emergency_housing_saturation_and_test_data():
    soliguide = bundled("soliguide")
    service = soliguide["soliguide--3--62221eb15fe7a848e82a9229"]
    housing = group(facts_for(service), "hebergement")
    assert housing.title == "Hébergement"
    assert housing.texts[0] == "Hébergement d'urgence — appeler le 115 (numéro gratuit, 24 h/24)"
    assert "Saturation (selon Soliguide) : faible" in housing.texts
    assert "Catégorie Soliguide : Hébergement d'urgence" in housing.texts
    assert "jeu de données de test" in housing.note
    assert {"hébergement d'urgence", "115"} <= {w.casefold() for w in searchable_words(service)}
    meal = group(facts_for(soliguide["soliguide--23--62223172648e268010fcf31a"]), "soliguide")
    assert "Service : à emporter" in meal.texts and not any("115" in t for t in meal.texts)


def test_service_public_type_and_data_inclusion_typologies():
    ml = bundled("service-public")["service-public--mission_locale-01004-01-accueil"]
    assert group(facts_for(ml), "annuaire").texts == ["Type de lieu : Mission locale"]
    assert searchable_words(ml) == ["Mission locale"]
    aci = Service(id="data-inclusion--x--aci", source="data-inclusion",
                  extra={"origine": "typologie", "typologie": "ACI"})
    assert group(facts_for(aci), "iae").texts[0].startswith("Atelier et chantier d'insertion (ACI) — d'après le")
    chu = Service(id="data-inclusion--x--chu", source="data-inclusion",
                  extra={"origine": "typologie", "typologie": "CHU"})
    assert "appeler le 115" in group(facts_for(chu), "hebergement").texts[0]
    ccas = Service(id="data-inclusion--x--ccas", source="data-inclusion",
                   extra={"origine": "typologie", "typologie": "CCAS"})
    assert facts_for(ccas) == [] and searchable_words(ccas) == []


# -- odd values ------------------------------------------------------------------------------------
@pytest.mark.parametrize("source", ["lheo", "siae", "geiq", "aides-jeunes", "france-services", "soliguide",
                                    "service-public", "data-inclusion", "inconnue"])
@pytest.mark.parametrize("extra", [
    None, {}, [], "texte", 42,
    {"sessions": "x", "financeurs": {"a": 1}, "certification": [1], "rome": "F1604", "codes_rome": None,
     "mesure": 3, "metiers": ["K2204", None, {"rome": 7}], "secteurs": "BTP", "montant": float("nan"),
     "conditions_age": [16], "teleservice": 12, "saturation": {"x": 1}, "specifiques": "x", "type_annuaire": ["x"],
     "horaires_texte": 5, "itinerant": "oui", "typologie": None, "origine": "typologie", "clef_inconnue": object()},
    {"sessions": [None, 3, "2025-01-01", {"debut": "9999-99-99", "fin": 20250101, "lieu": "Rodez"}],
     "financeurs": [None, "x", {"libelle": None}, {"libelle": 5, "places": True}], "duree_heures": "beaucoup",
     "montant": True, "unite": ["€"], "precision_montant": None, "conditions_age": {">=": "seize", "<": None},
     "metiers": [{"rome": "Z9999", "appellation": None}], "codes_rome": ["??", 12, "K2204"],
     "departement_conventionnement": {"code": "01"}, "places_hebergement": "40", "categorie_libelle": ["x"]},
])
def test_odd_values_never_raise(source, extra, caplog):
    service = Service(id=f"{source}--bizarre", source=source, extra=extra)
    with caplog.at_level(logging.WARNING, logger="app.core.facts"):
        groups = facts_for(service, today=TODAY)
        words = searchable_words(service)
    assert not caplog.records  # handled by the readers, not by the last-resort guard
    assert all(isinstance(g, FactGroup) and (g.facts or g.past or g.note) for g in groups)
    assert all(isinstance(f.text, str) and f.text for g in groups for f in (*g.facts, *g.past))
    assert all(isinstance(w, str) and w for w in words)


def test_odd_values_are_skipped_and_the_good_ones_kept():
    extra = {
        "sessions": [None, {"debut": "0000-00-00", "fin": "bientôt", "lieu": {"commune": None}},
                     {"debut": "2026-02-02", "lieu": {"commune": "Rodez", "code_insee": "12202"}}],
        "financeurs": [None, "Région", {"libelle": None}, {"libelle": "Région", "places": "dix"},
                       {"libelle": "France Travail", "places": 3}],
        "certification": {"certifiante": "oui", "rncp": None},
        "duree_heures": float("inf"), "duree_indicative": "  ",
        "rome": [{"code": "f 1604"}, {"code": "ZZZ"}], "codes_rome": ["F1604", None],
        "champ_futur": {"a": [1, 2]},
    }
    groups = facts_for(Service(id="lheo--odd", source="lheo", extra=extra), today=TODAY)
    sessions = group(groups, "sessions")
    # unreadable dates: kept as "not given", listed after the dated ones; a session under way is not past
    assert [f.text for f in sessions.facts] == ["À partir du 2 février 2026 — Rodez (12)", "Dates non précisées"]
    assert group(groups, "formation").texts == ["Financeurs : Région, France Travail (3 places financées)",
                                                "Métiers visés : Montage d'agencements (F1604)"]


def test_odd_aid_values():
    def texts(**extra):
        groups = facts_for(Service(id="aides-jeunes--x", source="aides-jeunes", type="aide-financiere", extra=extra))
        return groups[0].texts if groups else []

    assert texts(montant="1000", unite="€", precision_montant="Maximum") == [
        f"Montant : jusqu'à 1\u202f000{NBSP}€"]
    assert texts(montant=12.5, unite="%", precision_montant="du prix du permis") == [
        f"Montant : 12,5{NBSP}% du prix du permis"]
    assert texts(montant=-5, conditions_age={">": 17, "<": 26}) == ["Âge : de 18 à 25 ans"]
    assert texts(conditions_age={">=": 30, "<=": 18}) == []  # contradictory: nothing rather than nonsense
    assert texts(conditions_age={"<=": "25"}) == ["Âge : jusqu'à 25 ans"]
    assert texts(teleservice="javascript:alert(1)", formulaire="https://exemple.fr/a b") == []
    assert texts(periodicite="autre") == []
    online = "https://exemple.fr/demande"
    assert [f.url for f in facts_for(Service(id="aides-jeunes--y", source="aides-jeunes",
                                             extra={"teleservice": online, "formulaire": online}))[0].facts] == [online]


def test_nothing_for_sources_without_kind_facts():
    for source, extra in (("data-inclusion", {"source_amont": "dora", "score_qualite_amont": 0.5}),
                          ("csv", {"mesure": "EI"}), ("mobiville", {"type_mobiville": "Aide financière"})):
        service = Service(id=f"{source}--x", source=source, extra=extra)
        assert facts_for(service) == [] and searchable_words(service) == []


def test_a_builder_that_fails_costs_its_groups_not_the_page(monkeypatch, caplog):
    import app.core.facts as facts

    def broken(value):
        raise RuntimeError("unforeseen shape")

    monkeypatch.setattr(facts, "_certification", broken)
    service = bundled("lheo")["lheo--07_10--07_123324"]
    with caplog.at_level(logging.WARNING, logger="app.core.facts"):
        assert facts_for(service, today=TODAY) == []
    assert "lheo--07_10--07_123324" in caplog.text
    assert "RNCP 320" in searchable_words(service)  # the words do not go through the failed builder
