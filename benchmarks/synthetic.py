"""A national-scale synthetic offer: services spread over communes by population.

Deterministic (seeded). Each service gets a realistic mix: a main need drawn from national
weights, sometimes a second sub-theme of the same or another category, 8 % remote-only,
5 % with a département eligibility zone, a name and description from templates, a point near
its commune centre. Used by ``make bench`` for the search and ingestion figures.
"""
from __future__ import annotations

import datetime as dt
import random
from typing import Iterator

import numpy as np

from app.core import vocabularies as voc
from app.core.geo import geography
from app.search.documents import document_stems

# Rough national shares of offers per category (data·inclusion's open data, 2025, rounded).
CATEGORY_WEIGHTS = {
    "numerique": 14, "trouver-un-emploi": 12, "preparer-sa-candidature": 9, "difficultes-administratives-ou-juridiques": 10,
    "se-former": 7, "famille": 8, "logement-hebergement": 7, "sante": 6, "mobilite": 5, "equipement-et-alimentation": 6,
    "remobilisation": 5, "choisir-un-metier": 4, "creer-une-entreprise": 2, "difficultes-financieres": 3,
    "lecture-ecriture-calcul": 2, "souvrir-a-linternational": 0.5,
}
NAMES = {
    "numerique": ["Atelier numérique", "Point d'accès numérique", "Conseiller numérique", "Espace public numérique"],
    "trouver-un-emploi": ["Accompagnement vers l'emploi", "Club emploi", "Job dating", "Chantier d'insertion"],
    "preparer-sa-candidature": ["Atelier CV", "Préparer sa candidature", "Coaching entretien"],
    "difficultes-administratives-ou-juridiques": ["Aide aux démarches", "Point justice", "Accès aux droits"],
    "se-former": ["Formation qualifiante", "Remise à niveau", "Préparation à l'apprentissage"],
    "famille": ["Crèche", "Relais petite enfance", "Soutien à la parentalité", "Multi-accueil"],
    "logement-hebergement": ["Hébergement d'urgence", "Accès au logement", "Résidence sociale", "Foyer"],
    "sante": ["Permanence d'accès aux soins", "Centre médico-psychologique", "Point écoute santé"],
    "mobilite": ["Auto-école sociale", "Garage solidaire", "Location de scooters", "Plateforme mobilité"],
    "equipement-et-alimentation": ["Épicerie solidaire", "Distribution alimentaire", "Vestiaire solidaire"],
    "remobilisation": ["Atelier confiance en soi", "Lieu d'accueil", "Activités sportives"],
    "choisir-un-metier": ["Découverte des métiers", "Immersion en entreprise", "Bilan d'orientation"],
    "creer-une-entreprise": ["Couveuse d'entreprises", "Accompagnement à la création"],
    "difficultes-financieres": ["Point conseil budget", "Aide au surendettement"],
    "lecture-ecriture-calcul": ["Cours de français", "Atelier savoirs de base"],
    "souvrir-a-linternational": ["Mobilité internationale"],
}
SOURCES = ["dora", "france-services", "soliguide", "mediation-numerique", "monenfant", "france-travail", "cd"]


def generate(n: int, seed: int = 7) -> Iterator[dict]:
    """``n`` search documents shaped like :func:`app.search.documents.service_document`."""
    rng = random.Random(seed)
    geo = geography()
    communes = [c for c in geo.communes.values() if c.code_parent is None]
    weights = np.array([max(c.population, 50) for c in communes], dtype=float)
    weights /= weights.sum()
    picks = np.random.default_rng(seed).choice(len(communes), size=n, p=weights)
    cats = list(CATEGORY_WEIGHTS)
    cat_w = list(CATEGORY_WEIGHTS.values())
    subs = {c: sorted(t for t in voc.THEMATIQUES if voc.category_of(t) == c) for c in cats}
    publics = sorted(voc.PUBLICS - {voc.TOUS_PUBLICS})
    today = dt.date(2026, 11, 1)
    for i, pick in enumerate(picks):
        commune = communes[pick]
        cat = rng.choices(cats, cat_w)[0]
        th = {rng.choice(subs[cat])}
        if rng.random() < 0.35:
            th.add(rng.choice(subs[rng.choices(cats, cat_w)[0]]))
        remote_only = rng.random() < 0.08
        modes = ["a-distance"] if remote_only else (["a-distance", "en-presentiel"] if rng.random() < 0.1
                                                    else ["en-presentiel"])
        pubs = [voc.TOUS_PUBLICS] if rng.random() < 0.55 else rng.sample(publics, rng.randint(1, 2))
        zone = [commune.code_departement] if rng.random() < 0.05 else None
        nom = f"{rng.choice(NAMES[cat])} — {commune.nom}"
        thematiques = sorted(th)
        labels = [voc.label("thematiques", t) for t in thematiques] + [voc.label("publics", p) for p in pubs]
        body = f"{nom}. Service proposé à {commune.nom} pour {labels[0].lower()}."
        located = not remote_only or rng.random() < 0.5
        lat = commune.lat + rng.uniform(-0.03, 0.03) if located else None
        lon = commune.lon + rng.uniform(-0.03, 0.03) if located else None
        sid = f"{rng.choice(SOURCES)}--{i}"
        yield {
            "id": sid, "source": sid.split("--")[0], "structure_id": f"s--{i // 2}", "nom": nom,
            "structure_nom": None, "type": rng.choice(sorted(voc.TYPES)), "thematiques": thematiques,
            "categories": sorted({voc.category_of(t) for t in thematiques}), "publics": sorted(pubs),
            "frais": [rng.choice(["gratuit", "gratuit", "payant"])], "modes_accueil": sorted(modes),
            "zone_eligibilite": zone, "score_qualite": round(rng.uniform(0.3, 1.0), 2),
            # about one service in fifteen is of a structure that is not its duplicate cluster's best
            # (documents.best_duplicates): exclure_doublons leaves it out
            "best_duplicate": rng.random() >= 0.07,
            "date_maj": (today - dt.timedelta(days=rng.randint(0, 900))).isoformat(),
            "lat": lat, "lon": lon, "code_insee": commune.code_insee, "code_departement": commune.code_departement,
            "text_names": document_stems(nom), "text_labels": document_stems(" ".join(labels)),
            "text_body": document_stems(body), "names": nom, "labels": " ".join(labels), "body": body,
        }


def query_mix(count: int, seed: int = 11) -> list[dict]:
    """Queries as advisers make them: a commune (weighted by population), two sub-themes, words."""
    rng = random.Random(seed)
    geo = geography()
    communes = [c for c in geo.communes.values() if c.code_parent is None]
    weights = [max(c.population, 50) for c in communes]
    words = ["faire garder mon enfant", "passer le permis", "apprendre à lire", "trouver un travail",
             "aide aux démarches", "je dors dans ma voiture", "atelier numérique", "cv", "logement", "formation"]
    themes = sorted(voc.THEMATIQUES)
    out = []
    for _ in range(count):
        commune = rng.choices(communes, weights)[0]
        out.append({"commune": commune.code_insee, "thematiques": tuple(rng.sample(themes, 2)), "q": rng.choice(words)})
    return out
