"""Métiers: the ROME v3 referential, and a resolver from what an adviser types to ROME codes.

Pure and Flask-free. The referential is read from bundled files (``data/metiers/SOURCES.md``):

* ``data/metiers/rome-arborescence.csv``: the ROME v3 tree — 14 *grands domaines* (``K``),
  110 *domaines professionnels* (``K22``) and 532 *fiches métiers* (``K2204 Nettoyage de locaux``);
* ``data/metiers/appellations.csv``: everyday job names (« plaquiste », « aide-soignant ») → fiches;
* the jobs file of the SIAE list (``data/offers/siae/2019_07_liste_siae_additional_data.csv``):
  ROME codes with the appellations the SIAE used.

A *code* is any of the three levels. A service declares the codes it leads to
(``extra["codes_rome"]``, set by the connectors, see docs/metiers.md); :func:`Referentiel.expand`
turns an asked code into the codes a service may declare to be relevant to it:

* a fiche ``K2204`` → ``K2204``, its domaine ``K22`` and grand domaine ``K`` (a GEIQ « propreté »
  declares ``K22``: it recruits for every fiche of the domaine);
* a domaine ``K22`` → ``K22``, ``K`` and every fiche of ``K22``;
* a grand domaine ``K`` → everything under ``K``.

:func:`Referentiel.suggest` is made for autocompletion: every typed word must start a word of a
label (« net loc » finds « Nettoyage de locaux »), or share its stem (« soignante » → « aide-soignant »).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from app.core.text import STOPWORDS, stem, words

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
METIERS_DIR = DATA_DIR / "metiers"
SIAE_JOBS = DATA_DIR / "offers" / "siae" / "2019_07_liste_siae_additional_data.csv"

#: a ROME v3 code of any level: K, K22, K2204 (letters A to N)
CODE_RE = re.compile(r"^[A-N](?:\d{2}(?:\d{2})?)?$")
NIVEAUX = {1: "grand-domaine", 3: "domaine", 5: "fiche"}
NIVEAU_LABELS = {"grand-domaine": "grand domaine", "domaine": "domaine professionnel", "fiche": "fiche métier"}


def normalise_code(value: str | None) -> str | None:
    """'k 2204' -> 'K2204', 'K22' -> 'K22'; None when it is not shaped like a ROME v3 code."""
    text = re.sub(r"[\s.\-]", "", (value or "")).upper()
    return text if CODE_RE.match(text) else None


@dataclass(frozen=True)
class Metier:
    code: str
    libelle: str

    @property
    def niveau(self) -> str:
        return NIVEAUX[len(self.code)]

    @property
    def niveau_label(self) -> str:
        return NIVEAU_LABELS[self.niveau]

    def as_dict(self) -> dict:
        return {"code": self.code, "libelle": self.libelle, "niveau": self.niveau}


@dataclass(frozen=True)
class Suggestion:
    metier: Metier
    #: the everyday name that matched (« Plaquiste »), None when the ROME label itself did
    appellation: str | None
    score: float

    @property
    def code(self) -> str:
        return self.metier.code

    @property
    def libelle(self) -> str:
        return self.metier.libelle

    def as_dict(self) -> dict:
        return {**self.metier.as_dict(), "appellation": self.appellation, "score": round(self.score, 3)}


def _label_words(text: str) -> tuple[str, ...]:
    return tuple(w for w in words(text) if w not in STOPWORDS and len(w) > 1)


def _query_words(text: str) -> tuple[str, ...]:
    return tuple(w for w in words(text) if w not in STOPWORDS)


def _word_matches(typed: str, word: str) -> bool:
    """A typed word (possibly cut: autocompletion) matches a label word."""
    if word.startswith(typed):
        return True
    s = stem(typed)
    return len(s) >= 4 and (word.startswith(s) or stem(word) == s)


@dataclass
class _Entry:
    metier: Metier
    label: str
    words: tuple[str, ...]
    appellation: str | None
    weight: float


@dataclass
class Referentiel:
    metiers: dict[str, Metier]
    #: appellation -> codes of fiches (order kept)
    appellations: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._children: dict[str, list[str]] = {}
        for code in self.metiers:
            if len(code) > 1:
                self._children.setdefault(code[:1] if len(code) == 3 else code[:3], []).append(code)
        entries: list[_Entry] = []
        for m in self.metiers.values():
            weight = {"fiche": 1.0, "domaine": 0.8, "grand-domaine": 0.5}[m.niveau]
            entries.append(_Entry(m, m.libelle, _label_words(m.libelle), None, weight))
        for label, codes in self.appellations.items():
            for code in codes:
                if code in self.metiers:
                    entries.append(_Entry(self.metiers[code], label, _label_words(label), label, 0.95))
        self._entries = entries

    # -- lookup --------------------------------------------------------------------------------
    def get(self, code: str | None) -> Metier | None:
        norm = normalise_code(code)
        return self.metiers.get(norm) if norm else None

    def __contains__(self, code: str) -> bool:
        return self.get(code) is not None

    def parents(self, code: str) -> list[Metier]:
        """Grand domaine then domaine of a code (those above it)."""
        m = self.get(code)
        if m is None:
            return []
        return [self.metiers[c] for c in (m.code[:1], m.code[:3]) if len(c) < len(m.code) and c in self.metiers]

    def children(self, code: str) -> list[Metier]:
        m = self.get(code)
        return [self.metiers[c] for c in sorted(self._children.get(m.code, []))] if m else []

    def fiches(self, code: str) -> list[Metier]:
        """Every fiche under a code (itself for a fiche)."""
        m = self.get(code)
        if m is None:
            return []
        return [x for c, x in self.metiers.items() if len(c) == 5 and c.startswith(m.code)]

    def expand(self, code: str) -> tuple[str, ...]:
        """The codes a service may declare to be relevant to ``code`` (see the module docstring)."""
        m = self.get(code)
        if m is None:
            return ()
        above = [c for c in (m.code[:3], m.code[:1]) if len(c) < len(m.code) and c in self.metiers]
        below = sorted(c for c in self.metiers if c.startswith(m.code) and c != m.code)
        return tuple(dict.fromkeys([m.code, *above, *below]))

    def appellations_of(self, code: str) -> list[str]:
        m = self.get(code)
        if m is None:
            return []
        return sorted(label for label, codes in self.appellations.items() if m.code in codes)

    def known(self, codes) -> list[str]:
        """The given codes that exist, normalised, deduplicated, in order."""
        out = [normalise_code(c) for c in codes or ()]
        return list(dict.fromkeys(c for c in out if c and c in self.metiers))

    # -- resolution ------------------------------------------------------------------------------
    def suggest(self, text: str | None, limit: int = 10) -> list[Suggestion]:
        """Métiers matching what is typed: a code (``K2204``, ``k22``) or words of a label or an
        appellation, best first (fiches before domaines at equal match, one line per code)."""
        text = (text or "").strip()[:200]
        if not text:
            return []
        best: dict[str, Suggestion] = {}
        tokens = text.split()
        # a token is a code when it has digits (K22, k2204), or is the whole query (« K »)
        codes = [normalise_code(t) if (any(ch.isdigit() for ch in t) or len(tokens) == 1) else None
                 for t in tokens]
        for code in codes:
            if code and code in self.metiers:
                best[code] = Suggestion(self.metiers[code], None, 10.0)
        typed = _query_words(" ".join(t for t, c in zip(tokens, codes) if not c)) if any(codes) \
            else _query_words(text)
        if typed:
            phrase = " ".join(typed)
            for e in self._entries:
                if not e.words:
                    continue
                if not all(any(_word_matches(t, w) for w in e.words) for t in typed):
                    continue
                coverage = sum(1 for w in e.words if any(_word_matches(t, w) for t in typed)) / len(e.words)
                starts = 0.3 if " ".join(e.words).startswith(phrase) else (0.15 if e.words[0].startswith(typed[0]) else 0)
                score = e.weight * (1.0 + coverage + starts)
                cur = best.get(e.metier.code)
                if cur is None or score > cur.score:
                    best[e.metier.code] = Suggestion(e.metier, e.appellation, score)
        ranked = sorted(best.values(), key=lambda s: (-s.score, len(s.metier.code) != 5, s.metier.code))
        return ranked[:limit]

    def resolve(self, text: str | None) -> Metier | None:
        """The one métier meant: an existing code, or the best suggestion."""
        m = self.get(text)
        if m is not None:
            return m
        found = self.suggest(text, limit=1)
        return found[0].metier if found else None


# -- loading -------------------------------------------------------------------------------------
def _read_tree(path: Path) -> dict[str, Metier]:
    out: dict[str, Metier] = {}
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter=";"):
            code = normalise_code(row["code"])
            if code and row["libelle"].strip():
                out[code] = Metier(code, row["libelle"].strip())
    return out


def _read_appellations(path: Path, known: dict[str, Metier]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter=";"):
            label = (row.get("appellation") or "").strip()
            codes = [c for c in (normalise_code(x) for x in (row.get("codes") or "").split()) if c in known]
            if label and codes:
                out.setdefault(label, [])
                out[label] += [c for c in codes if c not in out[label]]
    return {k: tuple(v) for k, v in out.items()}


def _read_siae_jobs(path: Path, known: dict[str, Metier]) -> dict[str, tuple[str, ...]]:
    """Appellations of the SIAE jobs file (``ROME``/``APPELATION`` … ``ROME 9``/``APPELATION 9``)."""
    out: dict[str, list[str]] = {}
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=";")
        header = next(reader, [])
        pairs = [(i, i + 1) for i, h in enumerate(header) if h.strip().upper().startswith("ROME")
                 and i + 1 < len(header) and header[i + 1].strip().upper().startswith("APPEL")]
        for row in reader:
            for i, j in pairs:
                if j >= len(row):
                    continue
                code, label = normalise_code(row[i]), row[j].strip()
                if code in known and label and len(code) == 5:
                    out.setdefault(label, [])
                    if code not in out[label]:
                        out[label].append(code)
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=4)
def referentiel(folder: Path = METIERS_DIR, siae_jobs: Path = SIAE_JOBS) -> Referentiel:
    """The bundled ROME v3 referential with its appellations (read once)."""
    tree = _read_tree(folder / "rome-arborescence.csv")
    appellations = _read_siae_jobs(siae_jobs, tree)
    for label, codes in _read_appellations(folder / "appellations.csv", tree).items():
        appellations[label] = tuple(dict.fromkeys([*appellations.get(label, ()), *codes]))
    return Referentiel(tree, appellations)
