"""Marshmallow schemas of the public API: query arguments (validated, 422 naming the field)
and responses (data·inclusion v1 shapes)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from app.core import vocabularies as voc
from app.core.geo import geography
from app.core.models import SERVICE_FIELDS, STRUCTURE_FIELDS


class ListArg(fields.List):
    """A list query argument given repeated (``?x=a&x=b``) or comma-separated (``?x=a,b``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = [value]
        split = [part.strip() for item in value for part in str(item).split(",") if part.strip()]
        return super()._deserialize(split, attr, data, **kwargs)


def _one_of(values, name: str):
    return validate.OneOf(sorted(values), error=f"{{input}} n'est pas une valeur de « {name} ».")


THEMATIQUE_VALUES = voc.THEMATIQUES | voc.CATEGORIES


class PaginationArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    size = fields.Integer(load_default=None, validate=validate.Range(min=1, max=10_000),
                          metadata={"description": "Taille de page (défaut 50, maximum 10 000)."})


class CommonServiceFilters(PaginationArgs):
    sources = ListArg(fields.String(validate=validate.Length(max=100)), load_default=list)
    thematiques = ListArg(fields.String(validate=_one_of(THEMATIQUE_VALUES, "thematiques")), load_default=list,
                          metadata={"description": "Sous-thématiques ou catégories (une catégorie vaut toutes ses sous-thématiques)."})
    frais = ListArg(fields.String(validate=_one_of(voc.FRAIS, "frais")), load_default=list)
    publics = ListArg(fields.String(validate=_one_of(voc.PUBLICS, "publics")), load_default=list,
                      metadata={"description": "Publics ; `tous-publics` est toujours inclus."})
    modes_accueil = ListArg(fields.String(validate=_one_of(voc.MODES_ACCUEIL, "modes_accueil")), load_default=list)
    types = ListArg(fields.String(validate=_one_of(voc.TYPES, "types")), load_default=list)
    recherche_public = fields.String(load_default=None, validate=validate.Length(max=200),
                                     metadata={"description": "Mots décrivant le public, ajoutés à la recherche plein texte."})
    score_qualite_minimum = fields.Float(load_default=None, validate=validate.Range(min=0, max=1))
    code_commune = fields.String(load_default=None, validate=validate.Length(max=10))

    @validates("code_commune")
    def _commune_exists(self, value, **_):
        if value is not None and geography().commune(value) is None:
            raise ValidationError(f"Commune inconnue : {value!r} (code INSEE attendu, ex. 12202).")


class SearchServicesArgs(CommonServiceFilters):
    lat = fields.Float(load_default=None, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(load_default=None, validate=validate.Range(min=-180, max=180))
    q = fields.String(load_default=None, validate=validate.Length(max=300),
                      metadata={"description": "Mots du quotidien : « faire garder mon enfant », « passer le permis »…"})
    rayon_km = fields.Float(load_default=None, validate=validate.Range(min=0.1, max=1000),
                            metadata={"description": "Rayon autour du lieu, en km (défaut 50)."})
    exclure_doublons = fields.Boolean(load_default=False)

    @validates_schema
    def _lat_lon_together(self, data, **_):
        if (data.get("lat") is None) != (data.get("lon") is None):
            missing = "lon" if data.get("lon") is None else "lat"
            raise ValidationError(f"`lat` et `lon` vont ensemble : `{missing}` manque.", missing)


class ListServicesArgs(CommonServiceFilters):
    code_departement = fields.String(load_default=None, validate=validate.Regexp(r"^(\d{2}|2A|2B|97\d)$"))
    code_region = fields.String(load_default=None, validate=validate.Regexp(r"^\d{2}$"))


class ListStructuresArgs(PaginationArgs):
    sources = ListArg(fields.String(validate=validate.Length(max=100)), load_default=list)
    reseaux_porteurs = ListArg(fields.String(validate=_one_of(voc.RESEAUX_PORTEURS, "reseaux_porteurs")),
                               load_default=list)
    code_departement = fields.String(load_default=None, validate=validate.Regexp(r"^(\d{2}|2A|2B|97\d)$"))
    code_region = fields.String(load_default=None, validate=validate.Regexp(r"^\d{2}$"))
    code_commune = fields.String(load_default=None, validate=validate.Length(max=10))
    exclure_doublons = fields.Boolean(load_default=False)

    @validates("code_commune")
    def _commune_exists(self, value, **_):
        if value is not None and geography().commune(value) is None:
            raise ValidationError(f"Commune inconnue : {value!r}.")


# -- responses ---------------------------------------------------------------------------------
_LISTS = {"thematiques", "publics", "modes_accueil", "zone_eligibilite", "modes_mobilisation",
          "mobilisable_par", "reseaux_porteurs"}
_FLOATS = {"latitude", "longitude", "score_qualite", "volume_horaire_hebdomadaire"}


def _field_for(name: str):
    if name in _LISTS:
        return fields.List(fields.String(), allow_none=True)
    if name in _FLOATS:
        return fields.Float(allow_none=True)
    if name == "nombre_semaines":
        return fields.Integer(allow_none=True)
    if name == "date_maj":
        return fields.Date(allow_none=True)
    return fields.String(allow_none=True)


StructureBase = Schema.from_dict({n: _field_for(n) for n in STRUCTURE_FIELDS}, name="StructureBase")
ServiceBase = Schema.from_dict({n: _field_for(n) for n in SERVICE_FIELDS}, name="ServiceBase")


class StructureSchema(StructureBase):
    pass


class ServiceSchema(ServiceBase):
    structure = fields.Nested(StructureSchema)


class StructureDetailSchema(StructureBase):
    services = fields.List(fields.Nested(ServiceBase))
    doublons = fields.List(fields.Nested(StructureBase))


class SearchItemSchema(Schema):
    service = fields.Nested(ServiceSchema)
    distance = fields.Integer(allow_none=True, metadata={"description": "Distance en km (entier), "
                              "seulement pour un accueil en présentiel dans le rayon."})
    distance_km = fields.Float(allow_none=True)
    score = fields.Float(allow_none=True, metadata={"description": "Pertinence (avec `q`)."})
    explication = fields.String(allow_none=True, metadata={"description": "Pourquoi ce résultat."})


class PageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    size = fields.Integer()
    pages = fields.Integer()


class SearchPageSchema(PageSchema):
    items = fields.List(fields.Nested(SearchItemSchema))
    facettes = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer()))
    besoins_deduits = fields.List(fields.String())


class ServicePageSchema(PageSchema):
    items = fields.List(fields.Nested(ServiceSchema))


class StructurePageSchema(PageSchema):
    items = fields.List(fields.Nested(StructureSchema))


class TermSchema(Schema):
    value = fields.String()
    label = fields.String()
    description = fields.String(allow_none=True)
    thematiques = fields.List(fields.String())


class SourceSchema(Schema):
    slug = fields.String()
    nom = fields.String()
    licence = fields.String()
    format = fields.String()
    origine = fields.String()
    leviers = fields.List(fields.String())
    services = fields.Integer()
    derniere_execution = fields.Dict(allow_none=True)
