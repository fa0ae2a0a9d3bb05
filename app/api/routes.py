"""Routes of ``/api/v1``: thin views — validate with a schema, call a service, serialise."""
from __future__ import annotations

import orjson
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from app import services
from app.api.schemas import (
    ListServicesArgs, ListStructuresArgs, SearchPageSchema, SearchServicesArgs, ServicePageSchema,
    ServiceSchema, SourceSchema, StructureDetailSchema, StructurePageSchema, TermSchema,
)
from app.core import vocabularies as voc
from app.core.geo import geography
from app.search import SearchQuery

blp = Blueprint("api_v1", __name__, url_prefix="/api/v1",
                description="Offre d'insertion au schéma data·inclusion v1.")

DOC_NAMES = sorted([*voc.VOCABULARIES, "leviers"])


@blp.before_request
def _refuse_nul_characters():
    """PostgreSQL refuses NUL in text: name the field in a 422 instead of failing in the database."""
    bad = sorted({key for key, value in request.args.items(multi=True) if "\x00" in key + value})
    if bad:
        abort(422, errors={"query": {key.replace("\x00", "") or "?": ["Caractère nul interdit."] for key in bad}})


def _size(args) -> int:
    size = args["size"] or services.settings().default_page_size
    limit = services.settings().max_page_size
    if size > limit:
        abort(422, errors={"query": {"size": [f"Au plus {limit} éléments par page."]}})
    return size


def _departements(code_departement: str | None, code_region: str | None) -> tuple[str, ...]:
    if code_departement:
        return (code_departement,)
    if code_region:
        return tuple(d.code for d in geography().departements.values() if d.code_region == code_region) or ("--",)
    return ()


def _words(args) -> str | None:
    words = " ".join(w for w in (args.get("q"), args.get("recherche_public")) if w)
    return words or None


_SERVICE_KEYS = tuple(k for k in ServiceSchema().fields if k != "structure")
_STRUCTURE_DETAIL_KEYS = tuple(k for k in StructureDetailSchema().fields if k not in ("services", "doublons"))


def _service_dict(service) -> dict:
    data = {k: getattr(service, k) for k in _SERVICE_KEYS}
    data["structure"] = service.structure
    return data


_SERVICE_SCHEMA = ServiceSchema()


def dump_service(service) -> dict:
    """A service with its structure, as the API shows it (the fragment cache's serialiser)."""
    return _SERVICE_SCHEMA.dump(_service_dict(service))


def _number(value):
    return None if value is None else float(value)


@blp.route("/search/services")
class SearchServices(MethodView):
    @blp.arguments(SearchServicesArgs, location="query", as_kwargs=False)
    @blp.response(200, SearchPageSchema)
    def get(self, args):
        """Chercher des services autour d'une commune ou d'un point.

        Éligibilité (`zone_eligibilite` nulle ou contenant la commune, son EPCI, son département,
        `france`), proximité (dans `rayon_km`, 50 par défaut, ou accessible `a-distance`). Sans `q`,
        tri par distance croissante (inconnues en dernier) puis par id ; avec `q`, tri par pertinence.
        """
        size = _size(args)
        place = services.place_for(args["code_commune"], args["lat"], args["lon"])
        query = SearchQuery(
            q=_words(args), thematiques=tuple(args["thematiques"]), publics=tuple(args["publics"]),
            frais=tuple(args["frais"]), modes_accueil=tuple(args["modes_accueil"]), types=tuple(args["types"]),
            sources=tuple(args["sources"]), score_qualite_minimum=args["score_qualite_minimum"], place=place,
            rayon_km=args["rayon_km"] or services.settings().default_radius_km,
            exclure_doublons=args["exclure_doublons"], page=args["page"], size=size)
        result = services.run_search(query)
        # ready-made service JSON (app/api/fragments.py); the envelope mirrors SearchPageSchema
        bodies = current_app.extensions["reperes.api_json"].get_many(
            services.settings().database_url, [h.id for h in result.hits])
        items = [{"service": orjson.Fragment(bodies[hit.id]),
                  "distance": None if hit.distance_km is None else int(hit.distance_km),
                  "distance_km": _number(hit.distance_km), "score": _number(hit.score),
                  "explication": None if hit.explanation is None else str(hit.explanation)}
                 for hit in result.hits if hit.id in bodies]  # an indexed id gone from the database is skipped
        page = services.Page(items, result.total, args["page"], size)
        body = {"total": page.total, "page": page.page, "size": page.size, "pages": page.pages,
                "items": items, "facettes": result.facets,
                "besoins_deduits": list(result.inferred_thematiques)}
        return current_app.response_class(orjson.dumps(body), mimetype="application/json")


@blp.route("/services")
class Services(MethodView):
    @blp.arguments(ListServicesArgs, location="query", as_kwargs=False)
    @blp.response(200, ServicePageSchema)
    def get(self, args):
        """Lister les services, filtrés sur la commune du service lui-même (ordre des id)."""
        size = _size(args)
        query = SearchQuery(
            q=_words(args), thematiques=tuple(args["thematiques"]), publics=tuple(args["publics"]),
            frais=tuple(args["frais"]), modes_accueil=tuple(args["modes_accueil"]), types=tuple(args["types"]),
            sources=tuple(args["sources"]), score_qualite_minimum=args["score_qualite_minimum"],
            departements=_departements(args["code_departement"], args["code_region"]),
            communes=(args["code_commune"],) if args["code_commune"] else (),
            page=args["page"], size=size, facets=False)
        result, rows = services.search(query)
        items = [_service_dict(rows[h.id]) for h in result.hits if h.id in rows]
        page = services.Page(items, result.total, args["page"], size)
        return {"items": items, "total": page.total, "page": page.page, "size": size, "pages": page.pages}


@blp.route("/services/<path:service_id>")
class ServiceDetail(MethodView):
    @blp.response(200, ServiceSchema)
    def get(self, service_id: str):
        """Un service, avec sa structure."""
        service = services.get_service(service_id)
        if service is None:
            abort(404, message=f"Service inconnu : {service_id}")
        return _service_dict(service)


@blp.route("/structures")
class Structures(MethodView):
    @blp.arguments(ListStructuresArgs, location="query", as_kwargs=False)
    @blp.response(200, StructurePageSchema)
    def get(self, args):
        """Lister les structures."""
        size = _size(args)
        page = services.list_structures(
            sources=args["sources"], reseaux_porteurs=args["reseaux_porteurs"],
            departements=_departements(args["code_departement"], args["code_region"]),
            code_commune=geography().commune(args["code_commune"]).code_insee if args["code_commune"] else None,
            exclure_doublons=args["exclure_doublons"], page=args["page"], size=size)
        return {"items": page.items, "total": page.total, "page": page.page, "size": size, "pages": page.pages}


@blp.route("/structures/<path:structure_id>")
class StructureDetail(MethodView):
    @blp.response(200, StructureDetailSchema)
    def get(self, structure_id: str):
        """Une structure, avec ses services et ses doublons (même groupe de dédoublonnage)."""
        structure, doublons = services.get_structure(structure_id)
        if structure is None:
            abort(404, message=f"Structure inconnue : {structure_id}")
        data = {k: getattr(structure, k) for k in _STRUCTURE_DETAIL_KEYS}
        data["services"] = [s for s in structure.services if s.retired_at is None]
        data["doublons"] = doublons
        return data


@blp.route("/sources")
class Sources(MethodView):
    @blp.response(200, SourceSchema(many=True))
    def get(self):
        """Les sources : licence, format, nombre de services, dernière exécution."""
        return services.sources_overview()


@blp.route("/doc/<string:name>")
class Vocabulary(MethodView):
    @blp.response(200, TermSchema(many=True))
    def get(self, name: str):
        """Un référentiel : thematiques, categories, publics, frais, modes-accueil, modes-mobilisation,
        personnes-mobilisatrices, types-services, reseaux-porteurs, leviers."""
        if name == "leviers":
            return [lv.as_dict() for lv in voc.leviers()]
        terms = voc.VOCABULARIES.get(name)
        if terms is None:
            abort(404, message=f"Référentiel inconnu : {name}. Connus : {', '.join(DOC_NAMES)}")
        return [t.as_dict() for t in terms]
