"""French text analysis shared by the embedded index, the OpenSearch synonyms and the ranker.

The pipeline mirrors what the OpenSearch analyzer does (elision, lowercase, asciifolding,
light stemming): the same words must meet in both backends.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

_STEMMER = Stemmer.Stemmer("french")
_WORD = re.compile(r"[a-z0-9]+")
# Elided articles and pronouns (l', d', qu', j', n', s', c', m', t', jusqu', lorsqu', puisqu').
_ELISION = re.compile(r"\b(?:l|d|qu|j|n|s|c|m|t|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)

STOPWORDS = frozenset(
    """
    a au aux avec ce ces cet cette dans de des du elle en et eux il ils je la le les leur leurs lui ma mais
    me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton
    tu un une vos votre vous y est sont suis es etre avoir ai as avons avez ont etait sera c d j l m n s t
    quand quoi quel quelle quels quelles plus tres bien tout tous toute toutes chez peu beaucoup comme si sous
    entre vers apres avant depuis pendant alors donc car ni or
    """.split()
)
# Words that only carry intent in a query ("trouver", "aide"); they stay searchable in documents.
QUERY_ONLY_STOPWORDS = frozenset(
    "trouver aide aider aidez cherche chercher recherche besoin faire fais veux voudrais souhaite svp peux "
    "comment ou quelqu quelque chose mon".split()
)


def fold(text: str) -> str:
    """Lowercase, strip accents and ligatures: 'Œuvre d’Été' -> 'oeuvre d’ete'."""
    if text.isascii():  # nothing to decompose
        return text.lower()
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words(text: str) -> list[str]:
    """Folded words, elisions removed: "L'hébergement d'urgence" -> ['hebergement', 'urgence']."""
    return _WORD.findall(fold(_ELISION.sub(" ", text or "")))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def analyze(text: str, *, drop_stopwords: bool = True) -> list[str]:
    """Words of a document, stemmed (Snowball French), stopwords dropped."""
    return [stem(w) for w in words(text) if not (drop_stopwords and (w in STOPWORDS or len(w) < 2))]


def analyze_query(text: str) -> list[str]:
    """Like :func:`analyze`, also dropping words that only say "I look for help"."""
    return [stem(w) for w in words(text)
            if w not in STOPWORDS and w not in QUERY_ONLY_STOPWORDS and len(w) >= 2]


def slug_words(slug: str) -> str:
    return slug.replace("--", " ").replace("-", " ")
