"""The v0 -> v1 correspondence (data/vocabularies/v0-to-v1.json, app/core/v0_to_v1.py)."""
from __future__ import annotations

import json

import pytest

from app.core import v0_to_v1 as v0
from app.core import vocabularies as voc

V0_DIR = v0.V0_DIR


def v0_values(name: str) -> set[str]:
    return {item["value"] for item in json.loads((V0_DIR / f"{name}.json").read_text(encoding="utf-8"))}


def test_every_v0_value_has_an_entry_and_every_target_is_v1():
    m = v0.mapping()  # validates at load; raises MappingError otherwise
    assert set(m.thematiques) == v0_values("thematiques") and len(m.thematiques) == 168
    assert set(m.publics) == v0_values("profils") and len(m.publics) == 28
    assert set(m.types) == v0_values("typologies-de-services")
    assert set(m.frais) == v0_values("frais") and len(m.frais) == 5
    assert set(m.reseaux_typologie) >= v0_values("typologies-de-structures")
    assert len(v0_values("typologies-de-structures")) == 92
    for targets in m.thematiques.values():
        assert set(targets) <= voc.THEMATIQUES
    for targets in m.publics.values():
        assert set(targets) <= voc.PUBLICS
    for targets in (*m.reseaux_typologie.values(), *m.reseaux_labels.values()):
        assert set(targets) <= voc.RESEAUX_PORTEURS


def test_a_wrong_target_is_refused():
    with pytest.raises(v0.MappingError, match="not v1 values"):
        v0._check("thematiques", {"mobilite": ["mobilite--louer-une-voiture"]}, None, voc.THEMATIQUES)
    with pytest.raises(v0.MappingError, match="without entry"):
        v0._check("frais", {"gratuit": "gratuit"}, {"gratuit", "payant"}, voc.FRAIS)


def test_a_v0_category_maps_to_the_sub_themes_of_its_v1_category():
    assert v0.thematiques_v1(["mobilite"]) == sorted(t for t in voc.THEMATIQUES if t.startswith("mobilite--"))
    assert v0.thematiques_v1(["gestion-financiere"]) == sorted(t for t in voc.THEMATIQUES
                                                                if t.startswith("difficultes-financieres--"))
    assert v0.thematiques_v1(["acces-aux-droits-et-citoyennete"]) == sorted(
        t for t in voc.THEMATIQUES if t.startswith("difficultes-administratives-ou-juridiques--"))


@pytest.mark.parametrize("value, expected", [
    ("numerique--prendre-en-main-un-ordinateur", ["numerique--maitriser-les-fondamentaux-du-numerique"]),
    ("mobilite--preparer-un-permis-de-conduire", ["mobilite--preparer-un-permis"]),
    ("remobilisation--discrimination",
     ["difficultes-administratives-ou-juridiques--connaitre-ses-droits-face-a-une-discrimination"]),
    ("gestion-financiere--obtenir-une-aide-alimentaire", ["equipement-et-alimentation--alimentation"]),
    ("famille--violences-intrafamiliales", ["famille--surmonter-conflits-separation-violence"]),
    ("apprendre-francais--communiquer-vie-tous-les-jours", ["lecture-ecriture-calcul--maitriser-le-francais"]),
    ("logement-hebergement--etre-accompagne-en cas-de-difficultes-financieres",  # the v0 value has a space
     ["logement-hebergement--reduire-les-impayes-de-loyer", "logement-hebergement--se-maintenir-dans-le-logement"]),
    ("acces-aux-droits-et-citoyennete--developpement-durable", []),
    ("handicap", []),
])
def test_documented_theme_mappings(value, expected):
    assert v0.thematiques_v1([value]) == sorted(expected)


def test_v1_values_pass_through_and_unknown_values_are_dropped():
    v1 = "famille--garde-denfants"
    assert v0.thematiques_v1([v1, "pas-une-thematique", None, ""]) == [v1]
    assert v0.unknown_thematiques([v1, "pas-une-thematique", "mobilite"]) == ["pas-une-thematique"]
    # DORA's "<category>--autre" stands for the category
    assert v0.thematiques_v1(["numerique--autre"]) == v0.thematiques_v1(["numerique"])


def test_themes_that_became_publics():
    assert v0.publics_from_thematiques(["handicap--faire-reconnaitre-un-handicap"]) == [
        "personnes-en-situation-de-handicap"]
    assert v0.publics_from_thematiques(["acces-aux-droits-et-citoyennete--demandeurs-dasile-et-naturalisation"]) == [
        "personnes-exilees"]
    assert v0.publics_from_thematiques(["mobilite"]) == []


def test_publics():
    assert v0.publics_v1(["beneficiaires-rsa", "demandeurs-demploi"]) == ["beneficiaires-des-minimas-sociaux",
                                                                          "demandeurs-emploi"]
    assert v0.publics_v1(["surdite", "deficience-visuelle"]) == ["personnes-en-situation-de-handicap"]
    assert v0.publics_v1(["sortants-de-detention"]) == ["personnes-en-situation-juridique-specifique"]
    # "adultes" with only age/household groups means everyone; with a specific public it adds nothing
    assert v0.publics_v1(["adultes", "jeunes", "seniors-65", "familles-enfants"]) == ["tous-publics"]
    assert v0.publics_v1(["adultes"]) == ["tous-publics"]
    assert v0.publics_v1(["adultes", "femmes"]) == ["femmes"]
    # tous-publics cannot be combined with other publics (v1 rule)
    assert v0.publics_v1(["tous-publics", "jeunes"]) == ["tous-publics"]
    assert v0.publics_v1(["locataires"]) is None and v0.publics_v1([]) is None and v0.publics_v1(None) is None
    assert v0.conditions_from_profils(["locataires"]) == "Le bénéficiaire doit être locataire."


def test_type_frais_and_mobilisation():
    assert v0.type_v1(["information", "accompagnement"]) == "accompagnement"
    assert v0.type_v1(["numerique"]) is None
    assert v0.type_v1(["delegation"]) == "accompagnement"
    assert v0.frais_v1(["gratuit", "payant"]) == "payant"
    assert v0.frais_v1(["gratuit-sous-conditions"]) == "gratuit"
    assert v0.frais_v1(["adhesion"]) == "payant"
    assert v0.frais_v1([]) is None
    assert v0.frais_precisions_v1(["gratuit-sous-conditions"]) == "Gratuit sous conditions."
    modes, par = v0.mobilisation_v1(["envoyer-un-mail-avec-une-fiche-de-prescription"], ["se-presenter", "telephoner"])
    assert modes == ["envoyer-un-courriel", "se-presenter", "telephoner"]
    assert par == ["professionnels", "usagers"]
    assert v0.mobilisation_v1(None, None) == (None, None)


@pytest.mark.parametrize("typologie, expected", [
    ("ML", ["mission-locale"]), ("CCAS", ["ccas-cias"]), ("CIAS", ["ccas-cias"]), ("CHRS", ["chrs"]),
    ("ACI", ["aci"]), ("CAP_EMPLOI", ["cap-emploi-reseau-cheops"]), ("PLIE", ["plie"]), ("AFPA", ["afpa"]),
    ("CIDFF", ["cidff"]), ("UDAF", ["departements", "unaf"]), ("RFS", ["france-service"]),
    ("RS_FJT", ["residences-fjt"]),
    ("FT", ["france-travail"]), ("PE", ["france-travail"]), ("ASSO", None), ("Autre", None), (None, None),
])
def test_reseaux_porteurs_from_typologie(typologie, expected):
    assert v0.reseaux_porteurs_v1(typologie) == expected


def test_reseaux_porteurs_from_labels_as_values_or_labels():
    assert v0.reseaux_porteurs_v1(None, ["CNFS", "France Services"]) == ["conseillers-numeriques", "france-service"]
    assert v0.reseaux_porteurs_v1("ML", ["aidants-connect"]) == ["aidants-connect", "mission-locale"]


def test_v0_labels_are_understood():
    assert v0.v0_value("profils", "Personnes en situation d'illettrisme") == "personnes-en-situation-illettrisme"
    text = "Gratuit sous condition : La gratuité est conditionnée…"
    assert v0.v0_value("frais", text) == "gratuit-sous-conditions"
    assert v0.v0_value("thematiques", "Prendre en main un ordinateur") == "numerique--prendre-en-main-un-ordinateur"
    assert v0.v0_label("typologies-de-structures", "ML") == "Mission Locale"


def test_typology_services_are_valid_and_honest():
    services = v0.typology_services()
    ml = services["ML"][0]
    assert ml["nom"] == "Accompagnement des jeunes vers l'emploi et la formation"
    assert ml["publics"] == ["jeunes"] and "trouver-un-emploi--repondre-a-des-offres-demploi" in ml["thematiques"]
    assert services["CHRS"][0]["publics"] == ["personnes-en-situation-durgence"]
    assert services["CAP_EMPLOI"][0]["publics"] == ["personnes-en-situation-de-handicap"]
    assert {s["key"] for s in services["CCAS"]} == {"ccas-acces-aux-droits", "ccas-aides-facultatives"}
    # no services invented for typologies whose offer is not defined by a mission
    for generic in ("ASSO", "Autre", "OF", "MUNI", "CS", "MJC", "ESS"):
        assert generic not in services


def test_typologie_from_name():
    assert v0.typologie_from_name("MISSION LOCALE EMPLOI INSERTION AVEYRON MLD", "ASSO") == "ML"
    assert v0.typologie_from_name("ADPEPA-CAP EMPLOI 12", "ASSO") == "CAP_EMPLOI"
    assert v0.typologie_from_name("Centre Communal d'Action Sociale (CCAS)", None) == "CCAS"
    assert v0.typologie_from_name("ALT C.C.A.S. DE LA CIOTAT", None) is None  # a housing unit, not the CCAS
    assert v0.typologie_from_name("Mission locale du Tarn", "OF") is None  # a precise typologie is kept
