"""The contract every registered connector passes, on its bundled input (docs/connectors.md, "How to add a
source"): declarations; the real file read; every offer valid against the data·inclusion v1 schema
package; ids stable across runs; a second run on unchanged input writes nothing; damaged copies (cut
short, random bytes) fail cleanly or quarantine with a reason, never crash.

A new connector is tested here as soon as it is listed in ``indexer.connectors.MODULES``; a connector
without bundled files (``hsds``) names its sample input in ``CONTRACT_INPUTS``.
"""
from __future__ import annotations

import random
import re
import shutil

import pytest
from data_inclusion.schema.v1 import Service as SchemaService
from data_inclusion.schema.v1 import Structure as SchemaStructure
from pydantic import ValidationError

from app.core import vocabularies as voc
from indexer.connectors import get, registry
from indexer.connectors.base import OFFERS_DIR
from indexer.run import RunFailed
from tests.connectors.helpers import fed_levers, run, stored

NAMES = sorted(registry())

#: input of the connectors that bundle no default file
CONTRACT_INPUTS = {"hsds": ("hsds/reperes-hsds-exemple.json",)}

#: v1 fields a producer does not give for every record, so a stored record may lack them (the schema
#: requires them). Anything else must validate.
NOT_GIVEN = {
    # no update date per record in the file (hsds: its sample is our export of aides-jeunes and lheo)
    "date_maj": {"aides-jeunes", "csv", "data-inclusion", "france-services", "hsds", "lheo", "mobiville",
                 "soliguide"},
    # the La Réunion extract has no description at all (docs/connectors.md)
    "description": {"data-inclusion"},
}


def inputs(name: str) -> list:
    connector = get(name)
    files = CONTRACT_INPUTS.get(name)
    return [OFFERS_DIR / f for f in files] if files else connector.default_paths()


@pytest.fixture(scope="module")
def first_runs(tmp_path_factory) -> dict:
    """name -> (folder, result of helpers.run) of a first run on the bundled input, made once."""
    cache: dict = {}

    def first(name: str):
        if name not in cache:
            folder = tmp_path_factory.mktemp(f"contract-{name}")
            cache[name] = (folder, run(get(name), folder, inputs(name)))
        return cache[name]

    return first


@pytest.mark.parametrize("name", NAMES)
def test_declarations(name):
    connector = get(name)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", connector.name) and connector.name == name
    for attribute in ("label", "licence", "format", "origin"):
        assert isinstance(getattr(connector, attribute), str) and getattr(connector, attribute).strip(), attribute
    assert set(connector.leviers) <= {lv.value for lv in voc.leviers()}
    paths = inputs(name)
    assert paths and all(p.is_file() for p in paths), "bundled input (default_files or CONTRACT_INPUTS)"
    assert all(OFFERS_DIR in p.parents for p in paths), "inputs live in data/offers/"


@pytest.mark.parametrize("name", NAMES)
def test_the_bundled_input_is_read(name, first_runs):
    _, out = first_runs(name)
    report = out["report"]
    assert report.status == "ok" and report.read > 0 and out["services"], report.summary()
    assert report.new == len(out["services"])
    assert all(reason.strip() for reason in out["quarantine"])
    assert report.quarantined == len(out["quarantine"]) < report.read
    assert all(i.startswith(f"{name}--") for i in [*out["services"], *out["structures"]])
    assert all(sv["structure_id"] in out["structures"] for sv in out["services"].values())
    # the bundled input feeds the levers the source declares (a sample may not show them all: the 4
    # LHEO actions hold no business-creation course); generic formats (csv, hsds) declare none
    declared = set(get(name).leviers)
    assert not declared or declared & fed_levers(out["services"])


@pytest.mark.parametrize("name", NAMES)
def test_every_offer_is_valid_v1(name, first_runs):
    _, out = first_runs(name)
    problems = []
    for rows, schema in ((out["services"], SchemaService), (out["structures"], SchemaStructure)):
        for row in rows.values():
            fields = {k: row[k] for k in schema.model_fields if k in row}
            for key, sources in NOT_GIVEN.items():
                if fields.get(key) is None and name in sources:
                    fields.pop(key)
            try:
                schema.model_validate(fields)
            except ValidationError as exc:
                problems += [f"{row['id']}: {'.'.join(map(str, e['loc']))} {e['msg']} ({e.get('input')!r})"
                             for e in exc.errors() if not (e["type"] == "missing" and e["loc"][0] in NOT_GIVEN
                                                           and name in NOT_GIVEN[e["loc"][0]])]
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("key,name", sorted((k, n) for k, names in NOT_GIVEN.items() for n in names))
def test_the_exemptions_are_needed(key, name, first_runs):
    """A source listed in NOT_GIVEN really leaves the field empty somewhere (the list cannot rot)."""
    _, out = first_runs(name)
    rows = [*out["services"].values(), *(out["structures"].values() if key == "date_maj" else ())]
    assert any(row[key] is None for row in rows)


@pytest.mark.parametrize("name", NAMES)
def test_ids_are_stable_and_a_second_run_writes_nothing(name, first_runs, tmp_path):
    _, first = first_runs(name)
    again = run(get(name), tmp_path / "db", inputs(name))
    assert again["services"].keys() == first["services"].keys()
    assert again["structures"].keys() == first["structures"].keys()
    assert {i: sv["content_hash"] for i, sv in again["services"].items()} == \
        {i: sv["content_hash"] for i, sv in first["services"].items()}, "same input, same content"

    def snapshot(out):  # every stored column but last_seen, which a run moves on purpose
        return {i: {k: v for k, v in row.items() if k != "last_seen"}
                for rows in (out["services"], out["structures"]) for i, row in rows.items()}

    before = snapshot(again)
    third = run(get(name), tmp_path / "db", inputs(name))
    report = third["report"]
    assert (report.new, report.updated, report.retired) == (0, 0, 0), report.summary()
    assert report.unchanged == len(first["services"]) and report.read == first["report"].read
    assert snapshot(third) == before


def damaged(name: str, kind: str, folder) -> list:
    """The input with its first file cut at 60 % of its bytes, or replaced by random bytes."""
    paths = inputs(name)
    raw = paths[0].read_bytes()
    copy = folder / f"{kind}-{paths[0].name}"
    copy.write_bytes(raw[:int(len(raw) * 0.6)] if kind == "tronque" else random.Random(name).randbytes(8192))
    return [copy, *paths[1:]]


@pytest.mark.parametrize("kind", ["tronque", "aleatoire"])
@pytest.mark.parametrize("name", NAMES)
def test_damaged_input_fails_cleanly_or_quarantines(name, kind, first_runs, tmp_path):
    folder, first = first_runs(name)
    db = tmp_path / "db"
    shutil.copytree(folder, db, ignore=shutil.ignore_patterns("raw"))
    live = sum(stored(db).values())
    try:
        out = run(get(name), db, damaged(name, kind, tmp_path))
    except RunFailed as exc:
        assert str(exc).strip() and exc.report is not None and exc.report.status == "failed"
        assert sum(stored(db).values()) == live, "a failed run keeps the source's previous offers"
        return
    assert kind == "tronque", "random bytes are not any source's format"
    report = out["report"]
    assert report.status == "ok" and all(reason.strip() for reason in out["quarantine"])
