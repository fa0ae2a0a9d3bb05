"""Judging helper: show pooled services still to judge, grouped, and record grades.

    python -m benchmarks.relevance.judge show [QUERY_ID …] [--index PATH …] [--all]
    python -m benchmarks.relevance.judge set FILE

``show`` pools each query (see ``pool.py``) and prints the services not yet judged, grouped when
they are the same offer template (same source, name, sub-themes, type and description opening:
e.g. the France Services of a département), each group numbered ``g1, g2…``; the groups are
saved in ``.cache/relevance/groups.json`` so ``set`` can refer to them.

``set`` reads lines ``<query_id> <g-number or service id> <grade 0-3> [reason]`` (``#`` starts a
comment; ``<query_id> rest 0`` grades 0 every service of the shown groups not graded otherwise)
and writes ``judgments.json`` and, for grades ≥ 1, the reason in ``judgments-notes.json``. A grade given to a group applies to each of its services; a line
naming one service overrides its group.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from benchmarks.relevance.pool import describe, pools
from benchmarks.relevance.run import CACHE, HERE, JUDGMENTS, build_index, load_judgments, load_queries, place_of

NOTES = HERE / "judgments-notes.json"
GROUPS = CACHE / "groups.json"


def _key(d: dict) -> tuple:
    desc = re.sub(r"\d+", "#", (d.get("description") or "")[:160])
    return (d.get("source"), d.get("nom"), tuple(d.get("thematiques") or ()), tuple(d.get("publics") or ()),
            d.get("type"), desc)


def show(query_ids: list[str], index_paths: list[Path], include_judged: bool, depth: int,
         extra: dict[str, list[str]] | None = None) -> None:
    queries = [q for q in load_queries("all") if not query_ids or q["id"] in query_ids]
    judgments = load_judgments()
    pooled = pools(index_paths, queries, depth)
    for qid, ids in (extra or {}).items():  # other runs (ranking variants, manual searches)
        for i in ids:
            if qid in pooled:
                pooled[qid].setdefault(i, set()).add("extra")
    db_paths = [p.with_name("reperes.sqlite3") for p in index_paths]
    saved = json.loads(GROUPS.read_text()) if GROUPS.exists() else {}
    total = 0
    for q in queries:
        judged = judgments.get(q["id"], {})
        todo = {i for i in pooled[q["id"]] if include_judged or i not in judged}
        total += len(todo)
        details = describe(db_paths, todo, place_of(q["commune"]))
        groups: dict[tuple, list[dict]] = {}
        for i in sorted(todo):
            d = {**details.get(i, {"id": i}), "origin": "".join(sorted(o[0] for o in pooled[q["id"]][i]))}
            groups.setdefault(_key(d), []).append(d)
        ordered = sorted(groups.values(), key=lambda g: (g[0].get("source") or "", g[0].get("nom") or ""))
        saved[q["id"]] = {f"g{n}": [d["id"] for d in g] for n, g in enumerate(ordered, 1)}
        print(f"\n########## {q['id']} [{q['split']}] « {q['q']} » @ {q['commune']} "
              f"— pooled {len(pooled[q['id']])}, shown {len(todo)}\n# need: {q['need']}")
        for n, g in enumerate(ordered, 1):
            d = g[0]
            print(f"g{n} ×{len(g)} · {d.get('source')} · {d.get('nom')} · type={d.get('type')}"
                  f" · pub={','.join(d.get('publics') or [])}\n"
                  f"   th={', '.join(t.split('--')[-1] for t in d.get('thematiques') or [])}\n"
                  f"   desc: {(d.get('description') or '').replace(chr(10), ' ')[:420]}")
            if d.get("conditions"):
                print(f"   cond: {d['conditions'].replace(chr(10), ' ')[:200]}")
            for m in g:
                grade = judged.get(m["id"])
                print(f"     · {m['id']} [{m['origin']}] {m.get('km')} km {m.get('commune')} — {m.get('structure')}"
                      + (f" (graded {grade})" if grade is not None else ""))
    GROUPS.parent.mkdir(parents=True, exist_ok=True)
    GROUPS.write_text(json.dumps(saved, indent=1))
    print(f"\n{total} services shown")


def set_grades(lines: list[str]) -> None:
    groups = json.loads(GROUPS.read_text()) if GROUPS.exists() else {}
    judgments = load_judgments()
    notes = json.loads(NOTES.read_text(encoding="utf-8")) if NOTES.exists() else {}
    known = {q["id"] for q in load_queries("all")}
    group_lines, single_lines, rest_lines = [], [], []
    for raw in lines:
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        parts = line.split(None, 3)
        if len(parts) < 3 or parts[0] not in known or parts[2] not in "0123" or len(parts[2]) != 1:
            raise SystemExit(f"bad line: {raw!r}")
        if parts[1] == "rest":
            rest_lines.append(parts)
            continue
        (group_lines if re.fullmatch(r"g\d+", parts[1]) else single_lines).append(parts)
    named = {(p[0], i) for p in group_lines for i in groups.get(p[0], {}).get(p[1], [])}
    named |= {(p[0], p[1]) for p in single_lines}
    for qid, _, grade, *reason in rest_lines:
        for ids in groups.get(qid, {}).values():
            group_lines += [[qid, i, grade, *reason] for i in ids if (qid, i) not in named]
    for qid, target, grade, *reason in group_lines + single_lines:
        if re.fullmatch(r"g\d+", target):
            ids = groups.get(qid, {}).get(target)
            if ids is None:
                raise SystemExit(f"{qid}: no group {target} (run `show` first)")
        else:
            ids = [target]
        for i in ids:
            judgments.setdefault(qid, {})[i] = int(grade)
            if int(grade) >= 1:
                if not reason:
                    raise SystemExit(f"{qid} {target}: a reason is required for grade {grade}")
                notes.setdefault(qid, {})[i] = reason[0].strip()
            else:
                notes.get(qid, {}).pop(i, None)
    order = [q["id"] for q in load_queries("all")]
    judgments = {q: dict(sorted(judgments[q].items())) for q in order if q in judgments}
    notes = {q: dict(sorted(notes[q].items())) for q in order if notes.get(q)}
    JUDGMENTS.write_text(json.dumps(judgments, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    NOTES.write_text(json.dumps(notes, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{sum(len(v) for v in judgments.values())} judgments over {len(judgments)} queries")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_show = sub.add_parser("show")
    p_show.add_argument("queries", nargs="*")
    p_show.add_argument("--index", action="append")
    p_show.add_argument("--all", action="store_true")
    p_show.add_argument("--depth", type=int, default=20)
    p_show.add_argument("--extra", help="JSON file {query_id: [service ids]} pooled too (other runs)")
    p_set = sub.add_parser("set")
    p_set.add_argument("file", help="grades file, or - for stdin")
    args = parser.parse_args(argv)
    if args.cmd == "show":
        paths = [Path(p) for p in args.index] if args.index else [build_index()]
        extra = json.loads(Path(args.extra).read_text()) if args.extra else None
        show(args.queries, paths, args.all, args.depth, extra)
    else:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        set_grades(text.splitlines())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
