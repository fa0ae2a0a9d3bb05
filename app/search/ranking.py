"""The relevance blend, shared by both backends so they rank alike.

With words (``q``) an item's score is a weighted sum of four parts in [0, 1]:

* text — BM25 of the expanded query over names (×3), labels (×2) and descriptions (×1),
  divided by the best text score of the result set;
* need — 1 when the item carries a sub-theme inferred from the words (``besoins.txt``);
* proximity — 1 at the place, 0 at the radius; remote-only services count as 0.4;
* quality — ``score_qualite``.

Without words, items are ordered by distance (nulls last) then id, as data·inclusion does.
"""
from __future__ import annotations

WEIGHTS = {"text": 0.45, "need": 0.30, "proximity": 0.15, "quality": 0.10}
FIELD_BOOSTS = {"names": 3.0, "labels": 2.0, "body": 1.0}
REMOTE_PROXIMITY = 0.4


def proximity(distance_km: float | None, rayon_km: float, remote: bool) -> float:
    if distance_km is not None:
        return max(0.0, 1.0 - distance_km / rayon_km)
    return REMOTE_PROXIMITY if remote else 0.0


def blend(text: float, need: float, prox: float, quality: float) -> float:
    return (WEIGHTS["text"] * text + WEIGHTS["need"] * need + WEIGHTS["proximity"] * prox
            + WEIGHTS["quality"] * quality)


def explain(*, words: list[str], need_labels: list[str], distance_km: float | None, remote: bool,
            quality: float | None) -> str:
    """A short French sentence: why this item is here."""
    parts = []
    if words:
        parts.append("mots trouvés : " + ", ".join(words[:4]))
    if need_labels:
        parts.append("répond au besoin « " + need_labels[0] + " »")
    if distance_km is not None:
        parts.append(f"à {distance_km:.0f} km" if distance_km >= 1 else "à moins d'1 km")
    elif remote:
        parts.append("accessible à distance")
    if quality is not None:
        parts.append(f"fiche complète à {round(quality * 100)} %")
    text = " · ".join(parts)
    return text[:1].upper() + text[1:] if text else ""
