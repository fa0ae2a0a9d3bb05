"""``/api/v1/metiers``: resolve a métier (ROME code or words) and list the training, immersion and
employer offer that leads to it near a place (docs/metiers.md). Registered on the ``api_v1``
blueprint by :func:`app.api.register_api`."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from app import metiers as svc
from app import services
from app.api.routes import blp
from app.api.schemas import ServiceSchema
from app.core.geo import geography


class MetierArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(
                          min=1, max=200, error="Indiquez un code ROME ou des mots (200 caractères au plus)."),
                      metadata={"description": "Code ROME (`K2204`, `K22`, `K`) ou mots d'un métier "
                                               "(« plaquiste », « aide soignant », « net loc »)."})
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))

    @validates("q")
    def _not_blank(self, value, **_):
        if not value.strip():
            raise ValidationError("Indiquez un code ROME ou des mots.")


class MetierSchema(Schema):
    code = fields.String()
    libelle = fields.String()
    niveau = fields.String(metadata={"description": "`fiche`, `domaine` ou `grand-domaine`."})


class SuggestionSchema(MetierSchema):
    appellation = fields.String(allow_none=True, metadata={"description": "L'appellation qui a correspondu."})
    score = fields.Float()


class MetierDetailSchema(MetierSchema):
    parents = fields.List(fields.Nested(MetierSchema))
    enfants = fields.List(fields.Nested(MetierSchema))
    appellations = fields.List(fields.String())
    codes_lies = fields.List(fields.String(), metadata={
        "description": "Codes qu'un service peut déclarer pour être lié à ce métier (filtre `codes_rome`)."})


class OffresArgs(Schema):
    code_commune = fields.String(load_default=None, validate=validate.Length(max=10))
    lat = fields.Float(load_default=None, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(load_default=None, validate=validate.Range(min=-180, max=180))
    rayon_km = fields.Float(load_default=None, validate=validate.Range(min=0.1, max=1000))
    size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))

    @validates("code_commune")
    def _commune_exists(self, value, **_):
        if value is not None and geography().commune(value) is None:
            raise ValidationError(f"Commune inconnue : {value!r} (code INSEE attendu, ex. 11069).")

    @validates_schema
    def _lat_lon_together(self, data, **_):
        if (data.get("lat") is None) != (data.get("lon") is None):
            missing = "lon" if data.get("lon") is None else "lat"
            raise ValidationError(f"`lat` et `lon` vont ensemble : `{missing}` manque.", missing)


class OffreItemSchema(Schema):
    service = fields.Nested(ServiceSchema)
    distance_km = fields.Float(allow_none=True)
    codes_rome = fields.List(fields.String(), metadata={"description": "Codes du service qui le lient au métier."})


class SectionSchema(Schema):
    total = fields.Integer()
    items = fields.List(fields.Nested(OffreItemSchema))


class OffresSchema(Schema):
    metier = fields.Nested(MetierSchema)
    rayon_km = fields.Float()
    code_commune = fields.String(allow_none=True)
    formations = fields.Nested(SectionSchema)
    immersions = fields.Nested(SectionSchema)
    decouvrir = fields.Nested(SectionSchema)


def _metier(code: str):
    try:
        return svc.metier_or_error(code)
    except svc.UnknownMetier as exc:
        abort(404, message=str(exc))


@blp.route("/metiers")
class Metiers(MethodView):
    @blp.arguments(MetierArgs, location="query", as_kwargs=False)
    @blp.response(200, SuggestionSchema(many=True))
    def get(self, args):
        """Trouver les codes ROME d'un métier (autocomplétion).

        Un code existant (`K2204`) vient en premier ; des mots sont cherchés dans les libellés du ROME v3
        (fiches, domaines, grands domaines) et dans les appellations courantes (« plaquiste » → F1604).
        Liste vide si rien ne correspond."""
        return [s.as_dict() for s in svc.rome().suggest(args["q"], limit=args["limit"])]


@blp.route("/metiers/<string:code>")
class MetierDetail(MethodView):
    @blp.response(200, MetierDetailSchema)
    def get(self, code: str):
        """Un métier du ROME : libellé, niveau, parents, enfants, appellations. 404 pour un code inconnu."""
        m = _metier(code)
        r = svc.rome()
        return {**m.as_dict(), "parents": [p.as_dict() for p in r.parents(m.code)],
                "enfants": [c.as_dict() for c in r.children(m.code)],
                "appellations": r.appellations_of(m.code), "codes_lies": list(r.expand(m.code))}


@blp.route("/metiers/<string:code>/offres")
class MetierOffres(MethodView):
    @blp.arguments(OffresArgs, location="query", as_kwargs=False)
    @blp.response(200, OffresSchema)
    def get(self, args, code: str):
        """Formations, immersions et employeurs, et lieux pour découvrir un métier, autour d'une commune.

        `formations` : services de type formation déclarant un code du métier ; `immersions` : autres
        services déclarant un code du métier (SIAE, GEIQ) ; `decouvrir` : services des sous-thématiques
        « découvrir un métier » et « confirmer son choix de métier », les dispositifs d'immersion (PMSMP) en tête. Formations et
        immersions sont triées par distance."""
        m = _metier(code)
        place = services.place_for(args["code_commune"], args["lat"], args["lon"])
        rayon = args["rayon_km"] or services.settings().default_radius_km
        offer = svc.offer(m, place, rayon, size=args["size"])
        body = {"metier": m.as_dict(), "rayon_km": rayon, "code_commune": place.code_insee if place else None}
        for key, section in offer.sections.items():
            items = [{"service": _service_dict(service), "distance_km": hit.distance_km,
                      "codes_rome": [c.code for c in svc.matching_codes(service, m)]}
                     for hit, service in section.rows()]
            body[key] = {"total": section.total, "items": items}
        return body


def _service_dict(service) -> dict:
    data = {k: getattr(service, k) for k in ServiceSchema().fields if k != "structure"}
    data["structure"] = service.structure
    return data
