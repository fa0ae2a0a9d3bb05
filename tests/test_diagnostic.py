"""The needs diagnostic's rules (app/core/diagnostic.py, data/diagnostic/regles.yaml): pure, no app."""
from __future__ import annotations

import copy

import pytest
import yaml

from app.core import diagnostic as diag
from app.core import vocabularies as voc


def needs_of(**answers) -> dict[str, diag.Need]:
    return {n.levier.value: n for n in diag.diagnose(answers).needs}


# -- barriers → lever and sub-themes -----------------------------------------------------------
BARRIERS = {
    # barrier: (lever, sub-themes that must be searched)
    "sans-hebergement": ("hebergement", {"logement-hebergement--rechercher-une-solution-dhebergement-temporaire"}),
    "impayes-loyer": ("logement", {"logement-hebergement--reduire-les-impayes-de-loyer",
                                   "logement-hebergement--se-maintenir-dans-le-logement"}),
    "logement": ("logement", {"logement-hebergement--louer-un-logement"}),
    "sante": ("sante", {"sante--acces-aux-soins"}),
    "sante-mentale": ("sante", {"sante--sante-mentale"}),
    "addictions": ("sante", {"sante--addictions"}),
    "garde-enfants": ("garde-enfants", {"famille--garde-denfants"}),
    "permis": ("mobilite", {"mobilite--preparer-un-permis"}),
    "vehicule": ("mobilite", {"mobilite--acceder-a-un-vehicule", "mobilite--entretenir-reparer-son-vehicule"}),
    "transport": ("mobilite", {"mobilite--mobilite-douce-partagee-collective"}),
    "francais": ("formation", {"lecture-ecriture-calcul--maitriser-le-francais"}),
    "lire-ecrire-compter": ("formation", {"lecture-ecriture-calcul--maitriser-le-francais",
                                          "lecture-ecriture-calcul--maitriser-le-calcul"}),
    "numerique-equipement": ("numerique", {"numerique--acquerir-un-equipement",
                                           "numerique--acceder-a-une-connexion-internet"}),
    "numerique-usages": ("numerique", {"numerique--maitriser-les-fondamentaux-du-numerique"}),
    "demarches": ("acces-aux-droits", {"difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"}),
    "argent": ("acces-aux-droits", {"difficultes-financieres--situation-dendettement-surendettement"}),
}


def test_every_barrier_of_the_questionnaire_is_specified_here():
    assert set(diag.load_rules().question("freins").values) == set(BARRIERS)


@pytest.mark.parametrize("barrier", sorted(BARRIERS))
def test_each_barrier_maps_to_its_lever_and_sub_themes(barrier):
    lever, expected = BARRIERS[barrier]
    result = diag.diagnose({"freins": [barrier]})
    assert [n.levier.value for n in result.needs] == [lever]
    need = result.needs[0]
    assert expected <= set(need.thematiques)
    # only sub-themes of that lever: a service found for the need is filed under it in the selection
    assert set(need.thematiques) <= set(voc.levier(lever).thematiques)
    assert need.rang == 1 and need.pourquoi


PROJECTS = {
    "trouver-emploi": ("emploi", set(voc.levier("emploi").thematiques)),
    "choisir-metier": ("immersion", {"choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite"}),
    "se-former": ("formation", {"se-former--trouver-sa-formation", "se-former--monter-son-dossier-de-formation"}),
    "creer-entreprise": ("creation-entreprise", {"creer-une-entreprise--definir-son-projet-de-creation-dentreprise"}),
}


@pytest.mark.parametrize("project", sorted(PROJECTS))
def test_each_project_maps_to_its_lever(project):
    lever, expected = PROJECTS[project]
    (need,) = diag.diagnose({"projet": [project]}).needs
    assert need.levier.value == lever
    assert expected <= set(need.thematiques)
    assert not set(need.thematiques) & {"lecture-ecriture-calcul--maitriser-le-francais"}


def test_answers_on_one_lever_make_one_need_with_every_reason():
    needs = needs_of(freins=["permis", "vehicule"])
    assert list(needs) == ["mobilite"]
    mobilite = needs["mobilite"]
    assert {"mobilite--preparer-un-permis", "mobilite--acceder-a-un-vehicule"} <= set(mobilite.thematiques)
    assert len(mobilite.thematiques) == len(set(mobilite.thematiques))
    assert mobilite.pourquoi == ("Pas de permis de conduire", "Pas de véhicule, ou véhicule en panne")


def test_language_barrier_and_training_project_share_the_training_need():
    (need,) = diag.diagnose({"freins": ["francais"], "projet": ["se-former"]}).needs
    assert need.levier.value == "formation"
    assert {"lecture-ecriture-calcul--maitriser-le-francais", "se-former--trouver-sa-formation"} <= set(need.thematiques)
    assert need.priorite == 2  # the barrier's priority wins over the project's


# -- situation → publics -----------------------------------------------------------------------
SITUATIONS = {
    "demandeur-emploi": "demandeurs-emploi",
    "rsa": "beneficiaires-des-minimas-sociaux",
    "handicap": "personnes-en-situation-de-handicap",
    "parent": "familles",
    "femme": "femmes",
    "en-emploi": "actifs",
    "etudiant": "etudiants",
    "exile": "personnes-exilees",
    "qpv": "residents-qpv-frr",
    "justice": "personnes-en-situation-juridique-specifique",
}


@pytest.mark.parametrize("situation", sorted(SITUATIONS))
def test_situation_gives_publics_and_no_need(situation):
    result = diag.diagnose({"situation": [situation]})
    assert result.publics == (SITUATIONS[situation],)
    assert result.needs == ()


def test_age_bands_give_publics():
    assert diag.diagnose({"age": "moins-de-26"}).publics == ("jeunes",)
    assert diag.diagnose({"age": "50-et-plus"}).publics == ("seniors",)
    assert diag.diagnose({"age": "26-49"}).publics == ()


def test_needs_carry_the_person_s_publics_and_their_own():
    result = diag.diagnose({"age": "moins-de-26", "situation": ["rsa"], "freins": ["garde-enfants", "permis"]})
    assert set(result.publics) == {"jeunes", "beneficiaires-des-minimas-sociaux"}
    needs = {n.levier.value: n for n in result.needs}
    assert set(needs["garde-enfants"].publics) == {"jeunes", "beneficiaires-des-minimas-sociaux", "familles"}
    assert set(needs["mobilite"].publics) == {"jeunes", "beneficiaires-des-minimas-sociaux"}
    assert all(set(n.publics) <= voc.PUBLICS for n in result.needs)


# -- priorities --------------------------------------------------------------------------------
def test_urgent_then_barriers_then_project():
    result = diag.diagnose({"freins": ["permis", "sans-hebergement"], "projet": ["trouver-emploi"]})
    assert [n.levier.value for n in result.needs] == ["hebergement", "mobilite", "emploi"]
    assert [n.priorite for n in result.needs] == [1, 2, 3]
    assert [n.rang for n in result.needs] == [1, 2, 3]
    labels = diag.load_rules().priorities
    assert [n.priorite_label for n in result.needs] == [labels[1], labels[2], labels[3]]


def test_same_priority_follows_the_rules_order_not_the_answers_order():
    a = diag.diagnose({"freins": ["argent", "numerique-usages", "sante"]})
    b = diag.diagnose({"freins": ["sante", "argent", "numerique-usages"]})
    assert [n.levier.value for n in a.needs] == [n.levier.value for n in b.needs] == \
        ["sante", "numerique", "acces-aux-droits"]


def test_childcare_comes_first_when_training_or_work_depends_on_it():
    alone = needs_of(freins=["garde-enfants", "permis"])
    assert [v for v in alone] == ["garde-enfants", "mobilite"] and alone["garde-enfants"].priorite == 2
    result = diag.diagnose({"freins": ["permis", "garde-enfants"], "projet": ["se-former"]})
    assert [n.levier.value for n in result.needs] == ["garde-enfants", "mobilite", "formation"]
    garde = result.needs[0]
    assert garde.priorite == 1 and len(garde.pourquoi) == 2


def test_combination_adds_the_mdph_file_only_with_both_answers():
    mdph = "sante--constituer-un-dossier-mdph-invalidite"
    assert mdph in needs_of(situation=["handicap"], freins=["sante-mentale"])["sante"].thematiques
    assert mdph not in needs_of(freins=["sante-mentale"])["sante"].thematiques
    assert "sante" not in needs_of(situation=["handicap"])  # a combination refines a need, it does not invent one


def test_as_dict_is_the_api_shape():
    data = diag.diagnose({"freins": ["permis"]}).as_dict()
    assert data["besoins"][0] == {
        "levier": "mobilite", "libelle": "Mobilité", "rang": 1, "priorite": 2,
        "priorite_libelle": diag.load_rules().priorities[2],
        "thematiques": ["mobilite--financer-ma-mobilite", "mobilite--preparer-un-permis"],
        "publics": [], "pourquoi": ["Pas de permis de conduire"]}


# -- answers refused ---------------------------------------------------------------------------
@pytest.mark.parametrize("answers,field", [
    ({"freins": ["permis", "teleportation"]}, "freins"),
    ({"situation": "millionnaire"}, "situation"),
    ({"age": "12-ans"}, "age"),
    ({"age": ["moins-de-26", "50-et-plus"]}, "age"),  # one choice only
    ({"humeur": ["bonne"]}, "humeur"),
    ({"projet": [3]}, "projet"),
])
def test_unknown_answers_are_rejected_naming_the_question(answers, field):
    with pytest.raises(diag.InvalidAnswer) as error:
        diag.diagnose(answers)
    assert error.value.field == field


def test_comma_separated_answers_and_no_answers():
    assert [n.levier.value for n in diag.diagnose({"freins": "permis,garde-enfants"}).needs] == ["garde-enfants", "mobilite"]
    empty = diag.diagnose({})
    assert empty.needs == () and empty.publics == ()


# -- the rules file is checked at load ---------------------------------------------------------
def _raw():
    return yaml.safe_load(diag.RULES_PATH.read_text(encoding="utf-8"))


def _first_barrier(raw):
    return next(q for q in raw["questions"] if q["name"] == "freins")["groups"][0]["options"][0]


@pytest.mark.parametrize("change,message", [
    (lambda o: o.update(levier="teleportation"), "unknown lever"),
    (lambda o: o.update(thematiques=["mobilite--preparer-un-permis"]), "outside the lever"),
    (lambda o: o.update(thematiques=["pas-un-theme"]), "outside the lever"),
    (lambda o: o.update(publics=["martiens"]), "unknown publics"),
    (lambda o: o.pop("priorite"), "needs a `priorite`"),
    (lambda o: o.update(priorite=9), "unknown priority"),
])
def test_rules_with_a_wrong_reference_are_refused(change, message):
    raw = copy.deepcopy(_raw())
    change(_first_barrier(raw))
    with pytest.raises(diag.InvalidRules, match=message):
        diag.parse_rules(raw)


def test_rules_refuse_unknown_answers_in_combinations_and_duplicate_options():
    raw = copy.deepcopy(_raw())
    raw["combinaisons"][0]["si"]["freins"] = ["inconnu"]
    with pytest.raises(diag.InvalidRules, match="unknown answers"):
        diag.parse_rules(raw)
    raw = copy.deepcopy(_raw())
    group = next(q for q in raw["questions"] if q["name"] == "freins")["groups"][0]
    group["options"].append(dict(group["options"][0]))
    with pytest.raises(diag.InvalidRules, match="given twice"):
        diag.parse_rules(raw)


def test_the_bundled_rules_load_and_every_question_is_asked():
    rules = diag.load_rules()
    assert [q.name for q in rules.questions] == list(diag.QUESTIONS)
    assert not rules.question("age").multiple and rules.question("freins").multiple
    assert diag.load_rules(diag.RULES_PATH) == rules
