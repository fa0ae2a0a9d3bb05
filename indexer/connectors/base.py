"""The source seam. A connector declares what a source is and fills three small hooks:

* ``fetch(path) -> bytes``: the raw input (a bundled file by default);
* ``parse(raw) -> Iterable[RawRecord]``: split it into records, raising ``UnreadableInput``
  if it is not of the declared format at all;
* ``to_offer(record) -> Offer | list[Offer] | None``: map one record to schema v1, raising
  ``RecordError("raison en français")`` for a record that cannot be used.

Everything else belongs to :func:`indexer.run.ingest`: storing the raw input before parsing
(so a run can be replayed offline), timing, per-record errors and quarantine, normalisation,
quality scores, incremental upserts and retirement of records gone from the source.
"""
from __future__ import annotations

import io
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar, Iterable

from charset_normalizer import from_bytes

from indexer.records import Offer, RawRecord, UnreadableInput

OFFERS_DIR = Path(__file__).resolve().parents[2] / "data" / "offers"


class Connector(ABC):
    #: slug of the source, used as the prefix of every id (``<name>--<producer id>``)
    name: ClassVar[str]
    #: a human label in French, for pages and ``/api/v1/sources``
    label: ClassVar[str]
    #: licence of the data as published by the producer
    licence: ClassVar[str]
    #: format of the raw input, e.g. "csv", "json", "xml (LHEO 2.2)"
    format: ClassVar[str]
    #: where the data comes from (producer page or repository)
    origin: ClassVar[str] = ""
    #: SPIE levers this source feeds (values of data/vocabularies/leviers.json)
    leviers: ClassVar[tuple[str, ...]] = ()
    #: bundled input files, relative to data/offers/ (``make run`` ingests them)
    default_files: ClassVar[tuple[str, ...]] = ()
    #: largest number of records a single run accepts (a guard against runaway inputs)
    max_records: ClassVar[int] = 500_000

    def fetch(self, path: Path) -> bytes:
        """Raw bytes of the input. Override for sources reached over the network."""
        return Path(path).read_bytes()

    @abstractmethod
    def parse(self, raw: bytes) -> Iterable[RawRecord]:
        """Split the raw input into records; raise UnreadableInput if it is not this format."""

    @abstractmethod
    def to_offer(self, record: RawRecord) -> Offer | list[Offer] | None:
        """Map one record to v1 (None = deliberately skipped, e.g. outside the source's scope)."""

    def default_paths(self) -> list[Path]:
        return [OFFERS_DIR / f for f in self.default_files]

    # -- helpers for subclasses ----------------------------------------------------------------
    @staticmethod
    def decode(raw: bytes) -> str:
        """Text of a file whose encoding is not promised (UTF-8 with or without BOM, Latin-1, CP1252)."""
        if not raw or not raw.strip():
            raise UnreadableInput("fichier vide")
        if b"\x00" in raw[:4096]:
            raise UnreadableInput("fichier binaire, pas du texte")
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        best = from_bytes(raw, cp_isolation=["cp1252", "latin_1", "utf_8"]).best()
        if best is None:
            raise UnreadableInput("encodage du texte non reconnu")
        return str(best)

    @staticmethod
    def sniff_delimiter(text: str, candidates: str = ";,\t|") -> str:
        head = text[:20000].splitlines()[:20]
        scores = {d: min((line.count(d) for line in head[:5] if line), default=0) for d in candidates}
        best = max(scores, key=scores.get)
        if scores[best] == 0:
            raise UnreadableInput("séparateur de colonnes introuvable : ce n'est pas un CSV")
        return best

    @staticmethod
    def csv_rows(text: str, delimiter: str) -> Iterable[tuple[int, dict, str]]:
        """(line number, row as dict, raw line) for each data row of a CSV with a header."""
        import csv

        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        try:
            header = [h.strip().lstrip("\ufeff") for h in next(reader)]
        except StopIteration:
            raise UnreadableInput("fichier CSV sans en-tête") from None
        if len(header) < 2:
            raise UnreadableInput("en-tête CSV d'une seule colonne : ce n'est pas le format attendu")
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            raw_line = delimiter.join(row)
            if len(row) != len(header):
                yield reader.line_num, {"__error__": f"ligne de {len(row)} colonnes, l'en-tête en a {len(header)}",
                                        "__cells__": row}, raw_line
                continue
            yield reader.line_num, dict(zip(header, row)), raw_line
