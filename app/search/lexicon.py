"""Everyday French → search terms and needs, from two curated files in ``data/search/``.

* ``synonymes.txt`` (Solr format): groups of equivalent words and phrases. A query that
  contains a term of a group is expanded with the whole group.
* ``besoins.txt``: lay expressions → v1 sub-themes, so "je dors dans ma voiture" is understood
  as a need for temporary shelter even when no offer uses those words.

Matching is done on folded, stemmed words: a term matches when all its content words occur in
the query (in any order); a term written with little words ("à la rue") must occur as written.
Longer terms win over the shorter terms they contain ("auto entrepreneur" hides "auto").
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.core import vocabularies as voc
from app.core.text import QUERY_ONLY_STOPWORDS, STOPWORDS, analyze, stem, words

SEARCH_DATA = Path(__file__).resolve().parents[2] / "data" / "search"


@dataclass(frozen=True)
class Term:
    text: str
    content: tuple[str, ...]  # stems of content words, in order
    full: tuple[str, ...]  # stems of all words, in order (with little words)

    @property
    def strict(self) -> bool:
        return len(self.full) != len(self.content)


def make_term(text: str) -> Term:
    all_words = [w for w in words(text)]
    return Term(text.strip(), tuple(stem(w) for w in all_words if w not in STOPWORDS and len(w) > 1),
                tuple(stem(w) for w in all_words))


@dataclass(frozen=True)
class ExpandedQuery:
    """What a query means to the engines."""

    #: stems typed by the person (content words)
    stems: tuple[str, ...]
    #: terms to look for: each a tuple of stems (a phrase when longer than one)
    terms: tuple[tuple[str, ...], ...]
    #: readable form of each term, same order as ``terms`` (for explanations)
    term_labels: tuple[str, ...]
    #: v1 sub-themes inferred from lay expressions
    needs: tuple[str, ...]
    #: the synonym groups and need expressions that fired, for explanations
    matched: tuple[str, ...]


def _matches(term: Term, content: set[str], full: tuple[str, ...]) -> bool:
    if not term.content:
        return False
    if not set(term.content) <= content:
        return False
    if term.strict:
        n = len(term.full)
        return any(full[i:i + n] == term.full for i in range(len(full) - n + 1))
    return True


@lru_cache(maxsize=1)
def synonym_groups() -> tuple[tuple[Term, ...], ...]:
    groups = []
    for line in (SEARCH_DATA / "synonymes.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            groups.append(tuple(make_term(t) for t in line.split(",") if t.strip()))
    return tuple(groups)


@lru_cache(maxsize=1)
def need_rules() -> tuple[tuple[Term, tuple[str, ...]], ...]:
    rules = []
    for number, line in enumerate((SEARCH_DATA / "besoins.txt").read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        expression, _, targets = line.partition("=>")
        values = tuple(targets.split())
        unknown = [v for v in values if v not in voc.THEMATIQUES and v not in voc.CATEGORIES]
        if unknown or not values:
            raise ValueError(f"besoins.txt line {number}: unknown v1 values {unknown}")
        rules.append((make_term(expression), tuple(sorted(voc.expand_thematiques(values)))))
    return tuple(rules)


def _select(candidates: list[tuple[Term, object]], content: set[str],
            full: tuple[str, ...]) -> list[tuple[Term, object]]:
    """Matching terms, longest first; a term whose words a longer match already used is dropped."""
    hits = [(t, x) for t, x in candidates if _matches(t, content, full)]
    kept: list[tuple[Term, object]] = []
    used: set[str] = set()
    for length in sorted({len(t.content) for t, _ in hits}, reverse=True):
        tier = [(t, x) for t, x in hits if len(t.content) == length and not set(t.content) <= used]
        kept.extend(tier)
        for t, _ in tier:
            used |= set(t.content)
    return kept


@lru_cache(maxsize=1)
def _candidates_by_stem() -> dict[str, list[tuple[int, Term, tuple]]]:
    """Synonyms and need expressions under the first stem of their content words, numbered in file order.

    A term matches only when all its content stems were typed, so its first one must be: looking
    terms up by the typed stems spares testing the ≈ 1,100 terms one by one on every query.
    """
    index: dict[str, list[tuple[int, Term, tuple]]] = {}
    candidates = [(t, ("synonymes", g)) for g in synonym_groups() for t in g]
    candidates += [(t, ("besoins", values)) for t, values in need_rules()]
    for number, (term, payload) in enumerate(candidates):
        if term.content:
            index.setdefault(term.content[0], []).append((number, term, payload))
    return index


def _candidates_for(content: set[str]) -> list[tuple[Term, tuple]]:
    index = _candidates_by_stem()
    found = sorted((entry for s in content for entry in index.get(s, ())), key=lambda e: e[0])
    return [(term, payload) for _, term, payload in found]


def expand(q: str | None) -> ExpandedQuery:
    if not q or not q.strip():
        return ExpandedQuery((), (), (), (), ())
    typed = make_term(q)
    stems = tuple(s for s, w in zip(typed.content, [w for w in words(q) if w not in STOPWORDS and len(w) > 1])
                  if w not in QUERY_ONLY_STOPWORDS)
    content, full = set(stems), typed.full
    typed_words = [w for w in words(q) if w not in STOPWORDS and len(w) > 1 and w not in QUERY_ONLY_STOPWORDS]
    terms: dict[tuple[str, ...], str] = {(s,): w for s, w in zip(stems, typed_words)}
    matched: list[str] = []
    needs: dict[str, None] = {}
    seen_groups: set[int] = set()
    for term, (kind, payload) in _select(_candidates_for(content), content, full):
        matched.append(term.text)
        if kind == "besoins":
            needs.update(dict.fromkeys(payload))
        elif id(payload) not in seen_groups:
            seen_groups.add(id(payload))
            for other in payload:
                if other.content and other.content not in terms:
                    terms[other.content] = other.text
    return ExpandedQuery(stems, tuple(terms), tuple(terms.values()), tuple(needs), tuple(dict.fromkeys(matched)))


def document_stems(text: str) -> str:
    """Space-separated stems of a document field, as the embedded index stores them."""
    return " ".join(analyze(text))
