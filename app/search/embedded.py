"""The embedded backend: one SQLite file, no server.

* Text: an FTS5 table over pre-analysed French (folded, elided, Snowball-stemmed words), with
  BM25 weighted by field.
* Place: a k-d tree over the documents' points on the unit sphere (SciPy ``cKDTree``) selects
  the circle exactly; distances are great-circle (haversine) in km.
* Filters and facets: posting arrays of index terms (``th:…``, ``pub:…``, ``zone:…``) held in
  memory as NumPy masks, and a sparse document × facet matrix for counts.

The file is rebuilt whole and swapped in with an atomic rename; every process notices the new
file (inode change) and reloads it before its next query.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from app.core import vocabularies as voc
from app.core.geo import EARTH_RADIUS_KM
from app.search import ranking
from app.search.bm25 import TokenStore
from app.search.backend import SearchBackend, SearchUnavailable
from app.search.plan import Plan, build_plan, document_terms
from app.search.query import FACET_FIELDS, SearchHit, SearchQuery, SearchResult

SCHEMA_VERSION = "3"
#: above this many candidates, FTS5 narrows them to rows holding a query term before scoring
BROAD_QUERY = 20_000
_FACET_PREFIX = {"th": "thematiques", "cat": "categories", "pub": "publics", "frais": "frais",
                 "mode": "modes_accueil", "type": "types", "src": "sources"}
assert set(_FACET_PREFIX.values()) == set(FACET_FIELDS)


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))


def _haversine(lat1: float, lon1: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat)
    dp, dl = p2 - p1, np.radians(lon - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


@dataclass
class _Index:
    """The in-memory side of one index file."""

    stamp: tuple[int, int]
    ids: list[str]
    id_rank: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    located: np.ndarray  # indices of documents with a point
    tree: cKDTree | None
    onsite: np.ndarray
    remote: np.ndarray
    zone_any: np.ndarray
    score: np.ndarray
    #: kept by ``exclure_doublons``: no cluster, or the cluster's best structure (documents.py)
    best: np.ndarray
    postings: dict[str, np.ndarray]
    facet_terms: list[str]
    facet_matrix: sparse.csr_matrix
    tokens: TokenStore

    def __post_init__(self) -> None:
        self._masks: dict[str, np.ndarray] = {}

    @property
    def n(self) -> int:
        return len(self.ids)

    def mask(self, term: str) -> np.ndarray:
        cached = self._masks.get(term)
        if cached is None:
            cached = np.zeros(self.n, dtype=bool)
            posting = self.postings.get(term)
            if posting is not None:
                cached[posting] = True
            if len(self._masks) < 4096:
                self._masks[term] = cached
        return cached

    def any_of(self, terms: Iterable[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        for t in terms:
            posting = self.postings.get(t)
            if posting is not None:
                out[posting] = True
        return out


class EmbeddedBackend(SearchBackend):
    name = "embedded"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._index: _Index | None = None
        self._lock = threading.Lock()
        self._local = threading.local()

    # -- building ---------------------------------------------------------------------------
    def rebuild(self, documents: Iterable[dict]) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + f".building-{os.getpid()}")
        tmp.unlink(missing_ok=True)
        con = sqlite3.connect(tmp)
        con.executescript("""
            PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
            CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
            CREATE TABLE docs(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, lat REAL, lon REAL,
                              onsite INTEGER, remote INTEGER, zone_any INTEGER, score REAL,
                              best INTEGER, terms TEXT, words TEXT);
            CREATE VIRTUAL TABLE fts USING fts5(names, labels, body, content='',
                                                tokenize='unicode61 remove_diacritics 0');
        """)
        count = 0
        tokens = TokenStore.builder()
        batch_docs, batch_fts = [], []
        for rowid, doc in enumerate(documents):
            modes = doc["modes_accueil"]
            batch_docs.append((
                rowid, doc["id"], doc["lat"], doc["lon"], int("en-presentiel" in modes),
                int("a-distance" in modes), int(not doc["zone_eligibilite"]), doc["score_qualite"],
                int(doc["best_duplicate"]), " ".join(document_terms(doc)),
                " ".join({*doc["text_names"].split(), *doc["text_labels"].split(), *doc["text_body"].split()}),
            ))
            batch_fts.append((rowid, doc["text_names"], doc["text_labels"], doc["text_body"]))
            tokens.add({"names": doc["text_names"], "labels": doc["text_labels"], "body": doc["text_body"]})
            count += 1
            if len(batch_docs) >= 5000:
                self._flush(con, batch_docs, batch_fts)
        self._flush(con, batch_docs, batch_fts)
        con.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        tokens.build().save(con)
        con.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("schema_version", SCHEMA_VERSION), ("documents", str(count)),
            ("built_at", dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))])
        con.commit()
        con.close()
        os.replace(tmp, self.path)  # atomic: readers see the old file or the new one, never half
        return count

    @staticmethod
    def _flush(con: sqlite3.Connection, docs: list, fts: list) -> None:
        con.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?,?)", docs)
        con.executemany("INSERT INTO fts(rowid, names, labels, body) VALUES (?,?,?,?)", fts)
        docs.clear()
        fts.clear()

    # -- loading ----------------------------------------------------------------------------
    def _stamp(self) -> tuple[int, int]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise SearchUnavailable(f"index de recherche absent ({self.path}) : lancer `reperes reindex`") from None
        return st.st_ino, st.st_mtime_ns

    def _connection(self) -> sqlite3.Connection:
        stamp = self._stamp()
        con = getattr(self._local, "con", None)
        if con is None or getattr(self._local, "stamp", None) != stamp:
            if con is not None:
                con.close()
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.con, self._local.stamp = con, stamp
        return con

    def _current(self) -> _Index:
        stamp = self._stamp()
        index = self._index
        if index is not None and index.stamp == stamp:
            return index
        with self._lock:
            if self._index is None or self._index.stamp != stamp:
                self._index = self._load(stamp)
            return self._index

    def _load(self, stamp: tuple[int, int]) -> _Index:
        try:
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if version is None or version[0] != SCHEMA_VERSION:
                con.close()
                raise SearchUnavailable(f"index de recherche d'une autre version ({self.path}) : "
                                        "lancer `reperes reindex`")
            rows = con.execute("SELECT rowid, id, lat, lon, onsite, remote, zone_any, score, best, terms "
                               "FROM docs ORDER BY rowid").fetchall()
            tokens = TokenStore.load(con)
            con.close()
        except sqlite3.DatabaseError as exc:
            raise SearchUnavailable(f"index de recherche illisible : {exc}") from exc
        n = len(rows)
        ids = [r[1] for r in rows]
        lat = np.array([r[2] if r[2] is not None else np.nan for r in rows], dtype=float)
        lon = np.array([r[3] if r[3] is not None else np.nan for r in rows], dtype=float)
        located = np.flatnonzero(~np.isnan(lat) & ~np.isnan(lon))
        tree = cKDTree(_unit_vectors(lat[located], lon[located])) if len(located) else None
        order = sorted(range(n), key=ids.__getitem__)
        id_rank = np.empty(n, dtype=np.int64)
        id_rank[order] = np.arange(n)
        raw_postings: dict[str, list[int]] = {}
        for r in rows:
            for t in (r[9] or "").split():
                raw_postings.setdefault(t, []).append(r[0])
        postings = {t: np.array(p, dtype=np.int64) for t, p in raw_postings.items()}
        facet_terms = sorted(t for t in postings if t.split(":", 1)[0] in _FACET_PREFIX)
        cols = {t: i for i, t in enumerate(facet_terms)}
        row_idx = np.concatenate([postings[t] for t in facet_terms]) if facet_terms else np.array([], dtype=np.int64)
        col_idx = np.concatenate([np.full(len(postings[t]), cols[t]) for t in facet_terms]) if facet_terms \
            else np.array([], dtype=np.int64)
        matrix = sparse.csr_matrix((np.ones(len(row_idx), dtype=np.int32), (row_idx, col_idx)),
                                   shape=(n, len(facet_terms)))
        return _Index(
            stamp=stamp, ids=ids, id_rank=id_rank, lat=lat, lon=lon, located=located, tree=tree,
            onsite=np.array([bool(r[4]) for r in rows], dtype=bool),
            remote=np.array([bool(r[5]) for r in rows], dtype=bool),
            zone_any=np.array([bool(r[6]) for r in rows], dtype=bool),
            score=np.array([r[7] if r[7] is not None else 0.0 for r in rows], dtype=float),
            best=np.array([bool(r[8]) for r in rows], dtype=bool), postings=postings, facet_terms=facet_terms,
            facet_matrix=matrix, tokens=tokens,
        )

    # -- searching --------------------------------------------------------------------------
    def count(self) -> int:
        return self._current().n

    def search(self, query: SearchQuery) -> SearchResult:
        return self.execute(build_plan(query))

    def execute(self, plan: Plan) -> SearchResult:
        ix = self._current()
        n = ix.n
        distance = np.full(n, np.nan)
        if plan.center is not None:
            mask = ix.remote.copy()
            if ix.tree is not None:
                clat, clon = plan.center
                chord = 2 * np.sin(min(plan.radius_km / EARTH_RADIUS_KM, np.pi) / 2)
                near = ix.located[np.asarray(ix.tree.query_ball_point(_unit_vectors(
                    np.array([clat]), np.array([clon]))[0], chord * (1 + 1e-9)), dtype=np.int64)]
                d = _haversine(clat, clon, ix.lat[near], ix.lon[near])
                keep = d <= plan.radius_km
                near, d = near[keep], d[keep]
                mask[near] = True
                onsite_near = ix.onsite[near]
                distance[near[onsite_near]] = d[onsite_near]
        else:
            mask = np.ones(n, dtype=bool)
        if plan.zone_terms is not None:
            mask &= ix.zone_any | ix.any_of(plan.zone_terms)
        for group in plan.groups:
            if len(group) == 1:
                mask &= ix.mask(next(iter(group)))
            else:
                mask &= ix.any_of(group)
        if plan.score_min is not None:
            mask &= ix.score >= plan.score_min
        if plan.exclude_duplicates:
            # data·inclusion: services of structures without a cluster or best of theirs, all of them
            mask &= ix.best

        text = None
        need = None
        if plan.order == "relevance":
            text = np.zeros(n)
            if plan.fts:
                candidates = np.flatnonzero(mask)
                if len(candidates) > BROAD_QUERY:
                    # a broad query: let FTS5 find the rows holding a term before scoring them
                    matching = np.zeros(n, dtype=bool)
                    matching[self._fts_rowids(plan.fts)] = True
                    candidates = candidates[matching[candidates]]
                text[candidates] = ix.tokens.score(candidates, list(plan.expanded.terms),
                                                   ranking.FIELD_BOOSTS, self._phrase_df)
            need = ix.any_of(plan.need_terms) if plan.need_terms else np.zeros(n, dtype=bool)
            mask &= (text > 0) | need

        idx = np.flatnonzero(mask)
        facets = self._facets(ix, idx) if plan.facets else {}
        # metre precision: services at the same place tie, and ties go to the id (as OpenSearch does)
        dist_key = np.where(np.isnan(distance[idx]), np.inf, np.round(distance[idx], 3))
        if plan.order == "relevance":
            best = text[idx].max() if len(idx) else 0.0
            text_norm = text[idx] / best if best > 0 else np.zeros(len(idx))
            prox = np.where(~np.isnan(distance[idx]), np.clip(1 - distance[idx] / plan.radius_km, 0, 1),
                            np.where(ix.remote[idx], ranking.REMOTE_PROXIMITY, 0.0)) \
                if plan.center is not None else np.zeros(len(idx))
            scores = (ranking.WEIGHTS["text"] * text_norm + ranking.WEIGHTS["need"] * need[idx]
                      + ranking.WEIGHTS["proximity"] * prox + ranking.WEIGHTS["quality"] * ix.score[idx])
            order = np.lexsort((ix.id_rank[idx], dist_key, -np.round(scores, 6)))
        else:
            scores = None
            order = np.lexsort((ix.id_rank[idx], dist_key))
        page = order[plan.offset: plan.offset + plan.limit]
        page_idx = idx[page]
        words = self._matched_words(plan, page_idx) if plan.order == "relevance" else {}
        need_labels = [voc.label("thematiques", t.split(":", 1)[1]) for t in sorted(plan.need_terms)]
        hits = []
        for pos, i in zip(page, page_idx):
            dist = None if np.isnan(distance[i]) else round(float(distance[i]), 3)
            has_need = bool(need[i]) if need is not None else False
            hits.append(SearchHit(
                id=ix.ids[i],
                score=round(float(scores[pos]), 4) if scores is not None else None,
                distance_km=dist,
                explanation=ranking.explain(
                    words=words.get(int(i), []), need_labels=need_labels if has_need else [],
                    distance_km=dist, remote=bool(ix.remote[i]),
                    quality=float(ix.score[i]) if scores is not None else None),
            ))
        return SearchResult(hits=hits, total=int(len(idx)), facets=facets,
                            inferred_thematiques=plan.expanded.needs)

    def _fts_rowids(self, expression: str) -> np.ndarray:
        try:
            rows = self._connection().execute("SELECT rowid FROM fts WHERE fts MATCH ?", (expression,)).fetchall()
        except sqlite3.OperationalError as exc:
            raise SearchUnavailable(f"recherche plein texte impossible : {exc}") from exc
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def _phrase_df(self, phrase: tuple[str, ...]) -> int:
        con = self._connection()
        cache = self._local.__dict__.setdefault("phrase_df", {})
        key = (self._local.stamp, phrase)
        if key not in cache:
            expression = '"' + " ".join(phrase) + '"'
            cache[key] = con.execute(
                "SELECT count(*) FROM fts WHERE fts MATCH ?", (expression,)).fetchone()[0]
        return cache[key]

    def _matched_words(self, plan: Plan, page_idx: np.ndarray) -> dict[int, list[str]]:
        if not len(page_idx) or not plan.expanded.terms:
            return {}
        con = self._connection()
        rows = con.execute("SELECT rowid, words FROM docs WHERE rowid IN (SELECT value FROM json_each(?))",
                           (json.dumps(page_idx.tolist()),)).fetchall()
        out = {}
        for rowid, text in rows:
            present = set(text.split())
            out[rowid] = [label for t, label in zip(plan.expanded.terms, plan.expanded.term_labels)
                          if set(t) <= present]
        return out

    @staticmethod
    def _facets(ix: _Index, idx: np.ndarray) -> dict[str, dict[str, int]]:
        facets: dict[str, dict[str, int]] = {name: {} for name in FACET_FIELDS}
        if not len(idx) or not ix.facet_terms:
            return facets
        counts = np.asarray(ix.facet_matrix[idx].sum(axis=0)).ravel()
        for t, c in zip(ix.facet_terms, counts):
            if c:
                prefix, value = t.split(":", 1)
                facets[_FACET_PREFIX[prefix]][value] = int(c)
        return facets
