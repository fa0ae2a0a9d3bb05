"""BM25 over a candidate set, computed exactly as SQLite FTS5's ``bm25()`` does.

FTS5 is the text index of the embedded backend (it gives the match set of a broad query and
phrase document frequencies). But ``bm25()`` inside FTS5 scores every matching row of the whole
country, tens of milliseconds for a common word; a search around a commune only needs the few
hundred candidates that passed the place and need filters. This module keeps the analysed
tokens of each document as NumPy arrays and scores just those candidates, with FTS5's formula:

    score = Σ_phrases idf · f·(k1+1) / (f + k1·(1 − b + b·D/avgdl))

where f is the phrase's hit count weighted by column, D the row's token count over all
columns, idf = ln((N − n + 0.5)/(n + 0.5)) (at least 1e-6). ``tests/search/test_bm25.py``
checks the two agree.
"""
from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass

import numpy as np

K1 = 1.2
B = 0.75
FIELDS = ("names", "labels", "body")


@dataclass
class TokenStore:
    vocab: dict[str, int]
    df: np.ndarray  # documents containing each term, any column
    tokens: dict[str, np.ndarray]  # per column: concatenated term ids
    offsets: dict[str, np.ndarray]  # per column: n + 1 offsets
    doc_len: np.ndarray  # tokens per document, all columns
    avgdl: float

    @property
    def n(self) -> int:
        return len(self.doc_len)

    # -- building --------------------------------------------------------------------------
    @classmethod
    def builder(cls) -> "_Builder":
        return _Builder()

    def save(self, con: sqlite3.Connection) -> None:
        con.execute("CREATE TABLE IF NOT EXISTS blobs(name TEXT PRIMARY KEY, data BLOB)")
        words = sorted(self.vocab, key=self.vocab.__getitem__)
        rows = [("vocab", json.dumps(words).encode()), ("df", self.df.astype(np.int32).tobytes())]
        for f in FIELDS:
            rows.append((f"tokens.{f}", self.tokens[f].astype(np.int32).tobytes()))
            rows.append((f"offsets.{f}", self.offsets[f].astype(np.int64).tobytes()))
        con.executemany("INSERT OR REPLACE INTO blobs VALUES (?, ?)", rows)

    @classmethod
    def load(cls, con: sqlite3.Connection) -> "TokenStore":
        blobs = dict(con.execute("SELECT name, data FROM blobs").fetchall())
        words = json.loads(blobs["vocab"])
        offsets = {f: np.frombuffer(blobs[f"offsets.{f}"], dtype=np.int64) for f in FIELDS}
        tokens = {f: np.frombuffer(blobs[f"tokens.{f}"], dtype=np.int32) for f in FIELDS}
        doc_len = sum(np.diff(offsets[f]) for f in FIELDS)
        return cls({w: i for i, w in enumerate(words)}, np.frombuffer(blobs["df"], dtype=np.int32), tokens,
                   offsets, doc_len, float(doc_len.mean()) if len(doc_len) else 1.0)

    # -- scoring ---------------------------------------------------------------------------
    def score(self, candidates: np.ndarray, phrases: list[tuple[str, ...]], weights: dict[str, float],
              phrase_df) -> np.ndarray:
        """BM25 of each candidate (0 where no phrase occurs). ``phrase_df(phrase)`` gives the
        number of documents holding a multi-word phrase (asked of FTS5, cached by the caller)."""
        m = len(candidates)
        if m == 0 or not phrases:
            return np.zeros(m)
        ids = [tuple(self.vocab.get(t, -1) for t in p) for p in phrases]
        known = [i for i, p in enumerate(ids) if all(t >= 0 for t in p)]
        if not known:
            return np.zeros(m)
        freq = np.zeros((m, len(phrases)))
        singles = [i for i in known if len(ids[i]) == 1]
        multi = [i for i in known if len(ids[i]) > 1]
        lookup = None
        if singles:
            lookup = np.full(len(self.vocab), -1, dtype=np.int64)
            for i in singles:
                lookup[ids[i][0]] = i
        for f in FIELDS:
            starts = self.offsets[f][candidates]
            lens = self.offsets[f][candidates + 1] - starts
            total = int(lens.sum())
            if total == 0:
                continue
            ends_cum = np.cumsum(lens)
            flat = np.arange(total) - np.repeat(ends_cum - lens, lens) + np.repeat(starts, lens)
            toks = self.tokens[f][flat]
            docpos = np.repeat(np.arange(m), lens)
            w = weights[f]
            if lookup is not None:
                hit = lookup[toks]
                sel = hit >= 0
                np.add.at(freq, (docpos[sel], hit[sel]), w)
            for i in multi:
                phrase = ids[i]
                k = len(phrase)
                if total < k:
                    continue
                # follow the positions of the first word only: far fewer than all positions
                pos = np.flatnonzero(toks[: total - k + 1] == phrase[0])
                for j, t in enumerate(phrase[1:], 1):
                    pos = pos[toks[pos + j] == t]
                pos = pos[docpos[pos] == docpos[pos + k - 1]]
                np.add.at(freq, (docpos[pos], i), w)
        n = self.n
        idf = np.zeros(len(phrases))
        for i in known:
            df = int(self.df[ids[i][0]]) if len(ids[i]) == 1 else int(phrase_df(phrases[i]))
            value = math.log((n - df + 0.5) / (df + 0.5))
            idf[i] = value if value > 0 else 1e-6
        dl = self.doc_len[candidates][:, None]
        part = freq * (K1 + 1) / (freq + K1 * (1 - B + B * dl / self.avgdl))
        return (part * idf[None, :]).sum(axis=1)


class _Builder:
    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.df: list[int] = []
        self.tokens = {f: [] for f in FIELDS}
        self.offsets = {f: [0] for f in FIELDS}

    def add(self, texts: dict[str, str]) -> None:
        seen: set[int] = set()
        for f in FIELDS:
            ids = []
            for word in texts[f].split():
                i = self.vocab.get(word)
                if i is None:
                    i = self.vocab[word] = len(self.df)
                    self.df.append(0)
                ids.append(i)
                seen.add(i)
            self.tokens[f].extend(ids)
            self.offsets[f].append(self.offsets[f][-1] + len(ids))
        for i in seen:
            self.df[i] += 1

    def build(self) -> TokenStore:
        offsets = {f: np.array(self.offsets[f], dtype=np.int64) for f in FIELDS}
        doc_len = sum(np.diff(offsets[f]) for f in FIELDS) if self.offsets["names"][1:] else np.zeros(0)
        return TokenStore(self.vocab, np.array(self.df, dtype=np.int32),
                          {f: np.array(self.tokens[f], dtype=np.int32) for f in FIELDS}, offsets,
                          np.asarray(doc_len), float(np.mean(doc_len)) if len(doc_len) else 1.0)
