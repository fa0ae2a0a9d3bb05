"""The embedded backend scores candidates with its own BM25: it must equal FTS5's bm25()."""
from __future__ import annotations

import numpy as np

from app.search import ranking
from app.search.embedded import EmbeddedBackend
from app.search.lexicon import expand
from app.search.plan import fts_expression
from tests.search.factory import make_doc

CORPUS = [
    make_doc("1", "Crèche Les Lutins", ["famille--garde-denfants"], description="Multi-accueil, garde d'enfants"),
    make_doc("2", "Relais petite enfance", ["famille--garde-denfants"], description="Assistante maternelle, nounou"),
    make_doc("3", "Auto-école sociale", ["mobilite--preparer-un-permis"], description="Permis de conduire, code"),
    make_doc("4", "Point numérique", ["numerique--acceder-a-des-services-en-ligne"], description="Ordinateur et internet"),
    make_doc("5", "Garde d'enfants à domicile", ["famille--garde-denfants"], description="Garde d'enfants garde"),
    make_doc("6", "Hébergement d'urgence", ["logement-hebergement--rechercher-une-solution-dhebergement-temporaire"],
             description="Mise à l'abri, 115, dormir au chaud"),
]


def test_scores_equal_fts5_bm25(tmp_path):
    backend = EmbeddedBackend(tmp_path / "i.sqlite3")
    backend.rebuild(CORPUS)
    index = backend._current()
    weights = ", ".join(str(ranking.FIELD_BOOSTS[f]) for f in ("names", "labels", "body"))
    for q in ["faire garder mon enfant", "passer le permis", "hébergement d'urgence", "internet", "garde"]:
        phrases = list(expand(q).terms)
        ours = index.tokens.score(np.arange(index.n), phrases, ranking.FIELD_BOOSTS, backend._phrase_df)
        con = backend._connection()
        theirs = np.zeros(index.n)
        for rowid, value in con.execute(f"SELECT rowid, -bm25(fts, {weights}) FROM fts WHERE fts MATCH ?",
                                        (fts_expression(tuple(phrases)),)):
            theirs[rowid] = value
        assert np.allclose(ours, theirs, rtol=1e-6, atol=1e-9), (q, ours, theirs)
        assert (ours > 0).sum() >= 1
