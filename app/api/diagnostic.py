"""``/api/v1/diagnostic``: the needs diagnostic method for other tools (stateless, nothing stored).

``GET`` gives the questionnaire (questions, answers, what each answer means); ``POST`` a person's
answers and returns the prioritised needs (lever, sub-themes, publics, priority, why). The rules are
``data/diagnostic/regles.yaml`` (docs/diagnostic.md). Routes are added to the ``api_v1`` blueprint
of :mod:`app.api.routes`, so they share its error handling and its OpenAPI tag.
"""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from app.api.routes import blp
from app.core import diagnostic

_RULES = diagnostic.load_rules()


def _choice(name: str):
    question = _RULES.question(name)
    return validate.OneOf(question.values, error=f"{{input}} n'est pas une réponse de « {name} ».")


class DiagnosticAnswers(Schema):
    """A person's answers; every field is optional, unknown fields and answers are refused (422)."""

    age = fields.String(load_default=None, allow_none=True, validate=_choice("age"),
                        metadata={"description": "Une seule réponse."})
    situation = fields.List(fields.String(validate=_choice("situation")), load_default=list,
                            validate=validate.Length(max=50), metadata={"description": "Donne les publics de la personne."})
    freins = fields.List(fields.String(validate=_choice("freins")), load_default=list,
                         validate=validate.Length(max=50), metadata={"description": "Freins périphériques à l'emploi."})
    projet = fields.List(fields.String(validate=_choice("projet")), load_default=list,
                         validate=validate.Length(max=50))


class NeedSchema(Schema):
    levier = fields.String(metadata={"description": "Levier SPIE (`/api/v1/doc/leviers`)."})
    libelle = fields.String()
    rang = fields.Integer(metadata={"description": "1 = à traiter en premier."})
    priorite = fields.Integer(metadata={"description": "Niveau de priorité (1 le plus urgent)."})
    priorite_libelle = fields.String()
    thematiques = fields.List(fields.String(), metadata={"description": "Sous-thématiques v1 à chercher."})
    publics = fields.List(fields.String(), metadata={"description": "Publics de la personne pour ce besoin."})
    pourquoi = fields.List(fields.String(), metadata={"description": "Les réponses qui font ce besoin."})


class DiagnosisSchema(Schema):
    publics = fields.List(fields.String())
    besoins = fields.List(fields.Nested(NeedSchema))


class OptionSchema(Schema):
    value = fields.String()
    label = fields.String()
    groupe = fields.String(allow_none=True)
    levier = fields.String(allow_none=True)
    thematiques = fields.List(fields.String())
    publics = fields.List(fields.String())
    priorite = fields.Integer(allow_none=True)


class QuestionSchema(Schema):
    name = fields.String()
    label = fields.String()
    hint = fields.String()
    multiple = fields.Boolean()
    options = fields.List(fields.Nested(OptionSchema))


class QuestionnaireSchema(Schema):
    questions = fields.List(fields.Nested(QuestionSchema))
    priorites = fields.Dict(keys=fields.String(), values=fields.String())


@blp.route("/diagnostic")
class Diagnostic(MethodView):
    @blp.response(200, QuestionnaireSchema)
    def get(self):
        """Le questionnaire du diagnostic des besoins : questions, réponses et ce que chacune signifie."""
        return {
            "questions": [{
                "name": q.name, "label": q.label, "hint": q.hint, "multiple": q.multiple,
                "options": [{"value": o.value, "label": o.label, "groupe": g.label or None, "levier": o.levier,
                             "thematiques": list(o.thematiques), "publics": list(o.publics), "priorite": o.priorite}
                            for g in q.groups for o in g.options],
            } for q in _RULES.questions],
            "priorites": {str(k): v for k, v in _RULES.priorities.items()},
        }

    @blp.arguments(DiagnosticAnswers, location="json", as_kwargs=False)
    @blp.response(200, DiagnosisSchema)
    def post(self, answers):
        """Besoins priorisés pour les réponses d'une personne (rien n'est enregistré ni journalisé).

        Chaque besoin : levier SPIE, sous-thématiques v1 à chercher, publics, priorité, rang et
        pourquoi. Les réponses inconnues sont refusées (422 nommant le champ)."""
        try:
            result = diagnostic.diagnose({k: v for k, v in answers.items() if v is not None}, _RULES)
        except diagnostic.InvalidAnswer as error:  # e.g. two answers to a one-choice question
            abort(422, errors={"json": {error.field: [error.message]}})
        return result.as_dict()
