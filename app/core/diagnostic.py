"""Needs diagnostic: a person's answers → prioritised needs (SPIE levers and v1 sub-themes).

The same short questionnaire for every structure: situation (→ data·inclusion ``publics``),
peripheral barriers (``freins``) and project (``projet``). What each answer means is data, not
code: ``data/diagnostic/regles.yaml`` (format and method in docs/diagnostic.md), checked at load
against the schema's vocabularies and the levers.

Pure and free of Flask: the web pages (``app/web/diagnostic.py``) and the API
(``POST /api/v1/diagnostic``) call :func:`diagnose`. Nothing here stores or logs anything.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from app.core import vocabularies as voc

RULES_PATH = voc.DATA_DIR / "diagnostic" / "regles.yaml"
#: the questions, in this order (the rules file must define exactly these)
QUESTIONS = ("age", "situation", "freins", "projet")


class InvalidRules(ValueError):
    """The rules file is wrong (unknown lever, sub-theme or public…): the app must not start."""


class InvalidAnswer(ValueError):
    """An answer the questionnaire does not know; ``field`` names the question."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    levier: str | None = None
    thematiques: tuple[str, ...] = ()
    publics: tuple[str, ...] = ()
    priorite: int | None = None
    pourquoi: str | None = None

    @property
    def reason(self) -> str:
        return self.pourquoi or self.label


@dataclass(frozen=True)
class Group:
    label: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Question:
    name: str
    label: str
    hint: str
    multiple: bool
    groups: tuple[Group, ...]

    @property
    def options(self) -> tuple[Option, ...]:
        return tuple(o for g in self.groups for o in g.options)

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)


@dataclass(frozen=True)
class Combination:
    #: (question, values): satisfied when, for every question, one of its values is answered
    si: tuple[tuple[str, frozenset[str]], ...]
    levier: str
    thematiques: tuple[str, ...]
    publics: tuple[str, ...]
    priorite: int | None
    pourquoi: str

    def applies(self, answers: Mapping[str, tuple[str, ...]]) -> bool:
        return all(set(answers.get(q, ())) & values for q, values in self.si)


@dataclass(frozen=True)
class Rules:
    questions: tuple[Question, ...]
    combinations: tuple[Combination, ...]
    priorities: Mapping[int, str]

    def question(self, name: str) -> Question:
        return next(q for q in self.questions if q.name == name)


@dataclass(frozen=True)
class Need:
    levier: voc.Levier
    thematiques: tuple[str, ...]
    publics: tuple[str, ...]
    priorite: int
    priorite_label: str
    rang: int
    pourquoi: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"levier": self.levier.value, "libelle": self.levier.label, "rang": self.rang,
                "priorite": self.priorite, "priorite_libelle": self.priorite_label,
                "thematiques": list(self.thematiques), "publics": list(self.publics),
                "pourquoi": list(self.pourquoi)}


@dataclass(frozen=True)
class Diagnosis:
    #: the answers, normalised: question → values in questionnaire order
    answers: Mapping[str, tuple[str, ...]]
    #: the person's publics (from age and situation), in vocabulary order
    publics: tuple[str, ...]
    needs: tuple[Need, ...]

    def as_dict(self) -> dict:
        return {"publics": list(self.publics), "besoins": [n.as_dict() for n in self.needs]}


# -- reading the rules -------------------------------------------------------------------------
def _strings(raw, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise InvalidRules(f"{where}: a list of strings is expected")
    return tuple(raw)


def _target(raw: dict, where: str, priorities: Mapping[int, str], *, need: bool) -> tuple:
    """(levier, thematiques, publics, priorite) of an option or a combination, checked."""
    publics = _strings(raw.get("publics"), f"{where}.publics")
    unknown = set(publics) - voc.PUBLICS
    if unknown:
        raise InvalidRules(f"{where}: unknown publics {sorted(unknown)}")
    value = raw.get("levier")
    if value is None:
        if need or raw.get("thematiques") or raw.get("priorite") is not None:
            raise InvalidRules(f"{where}: `thematiques` and `priorite` need a `levier`")
        return None, (), publics, None
    lv = voc.levier(value)
    if lv is None:
        raise InvalidRules(f"{where}: unknown lever {value!r}")
    thematiques = _strings(raw.get("thematiques"), f"{where}.thematiques") or lv.thematiques
    outside = set(thematiques) - set(lv.thematiques)
    if outside:
        raise InvalidRules(f"{where}: sub-themes outside the lever {lv.value!r}: {sorted(outside)}")
    priorite = raw.get("priorite")
    if priorite is not None and priorite not in priorities:
        raise InvalidRules(f"{where}: unknown priority {priorite!r} (known: {sorted(priorities)})")
    return lv.value, thematiques, publics, priorite


def parse_rules(raw: dict) -> Rules:
    """Rules from the parsed file, every reference checked (:class:`InvalidRules` otherwise)."""
    if not isinstance(raw, dict):
        raise InvalidRules("the rules file must be a mapping")
    priorities = raw.get("priorites") or {}
    if not priorities or not all(isinstance(k, int) and isinstance(v, str) for k, v in priorities.items()):
        raise InvalidRules("`priorites`: a mapping of integers to labels is expected")
    questions = []
    for q in raw.get("questions") or []:
        name = q.get("name")
        where = f"questions.{name}"
        groups_raw = q.get("groups") or [{"label": "", "options": q.get("options") or []}]
        groups, seen = [], set()
        for g in groups_raw:
            options = []
            for o in g.get("options") or []:
                value, label = o.get("value"), o.get("label")
                if not isinstance(value, str) or not value or not isinstance(label, str):
                    raise InvalidRules(f"{where}: every option needs a `value` and a `label`")
                if value in seen:
                    raise InvalidRules(f"{where}: option {value!r} given twice")
                seen.add(value)
                levier, thematiques, publics, priorite = _target(o, f"{where}.{value}", priorities, need=False)
                if levier is not None and priorite is None:
                    raise InvalidRules(f"{where}.{value}: an option with a lever needs a `priorite`")
                options.append(Option(value, label, levier, thematiques, publics, priorite, o.get("pourquoi")))
            groups.append(Group(g.get("label") or "", tuple(options)))
        if not seen:
            raise InvalidRules(f"{where}: no option")
        questions.append(Question(name, q.get("label") or name, q.get("hint") or "", bool(q.get("multiple")),
                                  tuple(groups)))
    names = tuple(q.name for q in questions)
    if names != QUESTIONS:
        raise InvalidRules(f"questions: {list(QUESTIONS)} expected in this order, got {list(names)}")
    rules_questions = {q.name: q for q in questions}
    combinations = []
    for i, c in enumerate(raw.get("combinaisons") or []):
        where = f"combinaisons[{i}]"
        si = c.get("si") or {}
        if not si:
            raise InvalidRules(f"{where}: `si` is empty")
        conditions = []
        for q, values in si.items():
            if q not in rules_questions:
                raise InvalidRules(f"{where}: unknown question {q!r}")
            values = _strings(values, f"{where}.si.{q}")
            unknown = set(values) - set(rules_questions[q].values)
            if unknown:
                raise InvalidRules(f"{where}: unknown answers to {q!r}: {sorted(unknown)}")
            conditions.append((q, frozenset(values)))
        levier, thematiques, publics, priorite = _target(c, where, priorities, need=True)
        if not c.get("pourquoi"):
            raise InvalidRules(f"{where}: `pourquoi` is required")
        explicit = tuple(c.get("thematiques") or ())
        combinations.append(Combination(tuple(conditions), levier, explicit and thematiques, publics, priorite,
                                        c["pourquoi"]))
    return Rules(tuple(questions), tuple(combinations), dict(sorted(priorities.items())))


def load_rules(path: Path | str | None = None) -> Rules:
    """The rules of a file (default ``data/diagnostic/regles.yaml``, read once)."""
    if path is None:
        return _default_rules()
    return parse_rules(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _default_rules() -> Rules:
    return parse_rules(yaml.safe_load(RULES_PATH.read_text(encoding="utf-8")))


# -- answering ---------------------------------------------------------------------------------
def _values(raw) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [raw]
    out = []
    for item in raw:
        if not isinstance(item, str):
            raise TypeError
        out.extend(part.strip() for part in item.split(",") if part.strip())
    return out


def normalise_answers(raw: Mapping[str, object], rules: Rules | None = None) -> dict[str, tuple[str, ...]]:
    """Answers checked against the questionnaire: question → known values, in questionnaire order.

    A value may be a string, comma-separated values or a list of them. An unknown question, an
    unknown value, or several values for a one-choice question raise :class:`InvalidAnswer`."""
    rules = rules or load_rules()
    unknown = sorted(set(raw) - set(QUESTIONS))
    if unknown:
        raise InvalidAnswer(unknown[0], f"Question inconnue : « {unknown[0]} ».")
    out: dict[str, tuple[str, ...]] = {}
    for q in rules.questions:
        try:
            given = _values(raw.get(q.name))
        except TypeError:
            raise InvalidAnswer(q.name, f"« {q.label} » : une chaîne ou une liste de chaînes est attendue.") from None
        for value in given:
            if q.option(value) is None:
                raise InvalidAnswer(q.name, f"« {q.label} » : réponse inconnue « {value[:80]} ».")
        chosen = set(given)
        values = tuple(v for v in q.values if v in chosen)
        if len(values) > 1 and not q.multiple:
            raise InvalidAnswer(q.name, f"« {q.label} » : une seule réponse possible.")
        out[q.name] = values
    return out


def _ordered(values: Iterable[str], vocabulary: Iterable[str]) -> tuple[str, ...]:
    wanted = set(values)
    return tuple(v for v in vocabulary if v in wanted)


_PUBLICS_ORDER = tuple(t.value for t in voc.VOCABULARIES["publics"])


def diagnose(raw: Mapping[str, object], rules: Rules | None = None) -> Diagnosis:
    """Prioritised needs for a person's answers (:class:`InvalidAnswer` on an unknown answer).

    Answers on the same lever make one need (sub-themes unioned in the rules' order, the most urgent
    priority, every reason kept); needs are ordered by priority, then by the rules file's order."""
    rules = rules or load_rules()
    answers = normalise_answers(raw, rules)
    person: list[str] = []
    for name in ("age", "situation"):
        for value in answers[name]:
            person.extend(rules.question(name).option(value).publics)

    # lever -> [first position in the rules, priority, sub-themes, extra publics, reasons]
    found: dict[str, list] = {}
    position = 0
    for q in rules.questions:
        for option in q.options:
            position += 1
            if option.value not in answers[q.name] or option.levier is None:
                continue
            entry = found.setdefault(option.levier, [position, option.priorite, [], [], []])
            entry[1] = min(entry[1], option.priorite)
            entry[2].extend(option.thematiques)
            entry[3].extend(option.publics)
            entry[4].append(option.reason)
    for c in rules.combinations:
        if not c.applies(answers):
            continue
        position += 1
        lv = voc.levier(c.levier)
        entry = found.get(c.levier)
        if entry is None:
            if c.priorite is None:
                continue  # a combination refines a need, it does not make one without a priority
            entry = found.setdefault(c.levier, [position, c.priorite, [], [], []])
            entry[2].extend(c.thematiques or lv.thematiques)
        if c.priorite is not None:
            entry[1] = min(entry[1], c.priorite)
        entry[2].extend(c.thematiques)
        entry[3].extend(c.publics)
        entry[4].append(c.pourquoi)

    ranked = sorted(found.items(), key=lambda kv: (kv[1][1], kv[1][0]))
    needs = []
    for rang, (value, (_, priorite, thematiques, publics, reasons)) in enumerate(ranked, start=1):
        lv = voc.levier(value)
        needs.append(Need(
            levier=lv, thematiques=_ordered(thematiques, lv.thematiques),
            publics=_ordered([*person, *publics], _PUBLICS_ORDER), priorite=priorite,
            priorite_label=rules.priorities[priorite], rang=rang, pourquoi=tuple(dict.fromkeys(reasons))))
    return Diagnosis(answers, _ordered(person, _PUBLICS_ORDER), tuple(needs))


def answer_labels(answers: Mapping[str, tuple[str, ...]], rules: Rules | None = None) -> list[tuple[str, list[str]]]:
    """(question label, answer labels) for the questions answered, to show and print the answers."""
    rules = rules or load_rules()
    out = []
    for q in rules.questions:
        values = answers.get(q.name) or ()
        if values:
            out.append((q.label, [q.option(v).label for v in values]))
    return out
