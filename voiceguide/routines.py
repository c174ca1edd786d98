"""Routines as data: load, validate and expand the TOML routine files.

Every routine lives in one TOML file. The six built-in ones ship inside the package
(``voiceguide/routines/*.toml``); users can load their own with ``--routine-file``.
A malformed file raises :class:`RoutineError`, whose message names the file, the line
and the field, so the CLI can print it instead of a traceback.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from voiceguide.errors import VoiceguideError
from voiceguide.intents import GUARDED_INTENTS, parse

KINDS = ("wait", "timed", "check_in")
RESERVED_STATES = ("paused", "stop_and_advise", "done")
SOURCES = ("seed", "project")
# Upper bounds on a routine's numbers: a step of hours or thousands of sets is a mistake, refused in one line.
MAX_SECONDS = 600  # one step, or one hold, at most ten minutes
MAX_REPEATS = 50  # sets or repetitions


class RoutineError(VoiceguideError):
    """A routine file that cannot be used, with the place and the reason."""

    def __init__(self, path: str, message: str, line: int | None = None, field_name: str | None = None):
        self.path, self.line, self.field = path, line, field_name
        where = f"{path}, line {line}" if line else path
        what = f"'{field_name}': " if field_name else ""
        super().__init__(f"{where}: {what}{message}")


class SettingError(VoiceguideError):
    """A chosen number of sets or hold time outside what the routine allows."""


@dataclass(frozen=True)
class Setting:
    """A number the routine lets the user choose within a range (sets, or hold seconds)."""

    default: int
    min: int
    max: int
    source: str
    unit: str = "set"

    def choose(self, value: int | None, name: str) -> int:
        """Return ``value`` if it is allowed (else raise SettingError), or the default."""
        if value is None:
            return self.default
        if not self.min <= value <= self.max:
            allowed = f"{self.min}" if self.min == self.max else f"{self.min} to {self.max}"
            raise SettingError(f"{name} must be {allowed} for this routine, got {value}")
        return value


@dataclass(frozen=True)
class Step:
    """One phase of a routine: spoken lines, and how the phase ends."""

    state: str
    kind: str
    say: tuple[str, ...]
    seconds: int | str | None = None  # an int, or "hold" for the routine's hold setting
    source: str | None = None
    countdown: int = 0
    check_in: bool = False
    end_say: tuple[str, ...] = ()
    more_sets_say: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedStep:
    """A step placed in a session: which set it belongs to and its resolved duration."""

    step: Step
    set_number: int  # 0 for the set-up steps
    seconds: float | None
    last_set: bool

    @property
    def state(self) -> str:
        return self.step.state

    def opening_lines(self) -> tuple[str, ...]:
        """What is said on entering the step."""
        extra = self.step.more_sets_say if (self.set_number and not self.last_set) else ()
        return self.step.say + extra


@dataclass(frozen=True)
class Routine:
    """A whole routine: set-up steps, steps repeated per set, and closing lines."""

    id: str
    title: str
    summary: str
    names: tuple[str, ...]
    equipment: tuple[str, ...]
    sets: Setting
    hold: Setting | None
    setup: tuple[Step, ...]
    steps: tuple[Step, ...]
    finish: tuple[str, ...]
    path: str = field(default="", compare=False)

    def plan(self, sets: int | None = None, hold: int | None = None) -> list[PlannedStep]:
        """Expand the routine into the ordered steps of one session."""
        n_sets = self.sets.choose(sets, "sets")
        if hold is not None and self.hold is None:
            raise SettingError(f"{self.id} has no hold time to choose")
        hold_s = self.hold.choose(hold, "hold") if self.hold else None
        planned = [PlannedStep(s, 0, self._seconds(s, hold_s), False) for s in self.setup]
        for n in range(1, n_sets + 1):
            planned += [PlannedStep(s, n, self._seconds(s, hold_s), n == n_sets) for s in self.steps]
        return planned

    @staticmethod
    def _seconds(step: Step, hold_s: int | None) -> float | None:
        if step.seconds == "hold":
            return float(hold_s) if hold_s is not None else None
        return None if step.seconds is None else float(step.seconds)

    def states(self) -> list[str]:
        """The routine's exercise states, in first-seen order."""
        return list(dict.fromkeys(s.state for s in (*self.setup, *self.steps)))

    def spoken_lines(self) -> Iterator[str]:
        """Every line this routine can say."""
        for step in (*self.setup, *self.steps):
            yield from (*step.say, *step.end_say, *step.more_sets_say)
        yield from self.finish


ONE_PASS = Setting(1, 1, 1, "project")  # a routine with no [sets] table runs its steps once


# ---------------------------------------------------------------- loading


BUILTIN = ("shotgun", "spinal-twist", "figure-four", "dead-bug", "glute-bridge", "psoas-stretch")  # seed order


def builtin_routines() -> dict[str, Routine]:
    """The six routines shipped with voiceguide, by id, in the order the seed text gives them."""
    folder = resources.files("voiceguide") / "routines"
    return {rid: parse_routine((folder / f"{rid}.toml").read_text(encoding="utf-8"), f"routines/{rid}.toml")
            for rid in BUILTIN}


def spoken_names(library: Mapping[str, Routine]) -> dict[str, list[str]]:
    """Each routine's id and the names it is called by aloud: what the intent parser and grammars need."""
    return {r.id: r.names for r in library.values()}


def load_routine_file(path: str | Path) -> Routine:
    """Load and validate one routine file from disk."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RoutineError(str(p), "no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise RoutineError(str(p), f"cannot be read ({e})") from None
    return parse_routine(text, str(p))


def load_library(extra_files: list[str] | None = None) -> dict[str, Routine]:
    """Built-in routines plus any user files (a user file replaces a built-in of the same id)."""
    library = builtin_routines()
    for path in extra_files or []:
        routine = load_routine_file(path)
        library[routine.id] = routine
    return library


def parse_routine(text: str, path: str) -> Routine:
    """Validate TOML text as a routine; raise RoutineError naming the line and field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line = re.search(r"line (\d+)", str(e))
        raise RoutineError(path, f"not valid TOML ({e})", int(line.group(1)) if line else None) from None
    return _Validator(text, path).routine(data)


class _Validator:
    """Checks a parsed routine, pointing at the line where each problem sits."""

    TOP: ClassVar[set[str]] = {"id", "title", "summary", "names", "equipment", "sets", "hold", "setup", "set", "finish"}
    STEP: ClassVar[set[str]] = {"state", "kind", "say", "seconds", "source", "countdown", "check_in", "end_say",
                                "more_sets_say"}
    SETTING: ClassVar[set[str]] = {"default", "min", "max", "source", "unit"}

    def __init__(self, text: str, path: str):
        self.lines = text.splitlines()
        self.path = path

    def fail(self, where: tuple[str | int, ...], message: str) -> RoutineError:
        return RoutineError(self.path, message, self._line_of(where), ".".join(map(str, where)))

    def _line_of(self, where: tuple[str | int, ...]) -> int | None:
        """Find the line of a key such as ('set', 2, 'seconds'), counting [[set]] headers."""
        table, index, key = None, 0, where[-1]
        if len(where) >= 2:
            table = str(where[0])
            index = where[1] if isinstance(where[1], int) else 0
        header = None
        if table is not None:
            seen = -1
            for i, raw in enumerate(self.lines):
                if re.match(rf"\s*\[\[?\s*{re.escape(table)}\s*\]\]?", raw):
                    seen += 1
                    if seen == index:
                        header = i
                        break
            if header is None:
                return None
            if key == table or isinstance(key, int):
                return header + 1
        start = header + 1 if header is not None else 0
        for i in range(start, len(self.lines)):
            raw = self.lines[i]
            if re.match(r"\s*\[", raw):
                break
            if re.match(rf"\s*{re.escape(str(key))}\s*=", raw):
                return i + 1
        return header + 1 if header is not None else None

    def routine(self, data: dict[str, Any]) -> Routine:
        self._no_unknown(data, self.TOP, ())
        rid = self._text(data, ("id",))
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rid):
            raise self.fail(("id",), f"must be lowercase words joined by '-', got {rid!r}")
        sets = self._setting(data, "sets", unit_default="set") or ONE_PASS
        hold = self._setting(data, "hold", unit_default="second")
        setup = self._steps(data, "setup", hold, required=False)
        steps = self._steps(data, "set", hold, required=True)
        finish = data.get("finish", {})
        if not isinstance(finish, dict):
            raise self.fail(("finish",), "must be a table with a 'say' list")
        self._no_unknown(finish, {"say"}, ("finish",))
        title = self._text(data, ("title",))
        self._guard(("title",), (title,))
        routine = Routine(
            id=rid,
            title=title,
            summary=self._text(data, ("summary",)),
            names=self._lines(data, ("names",), required=False) or (rid.replace("-", " "),),
            equipment=self._lines(data, ("equipment",), required=False),
            sets=sets,
            hold=hold,
            setup=setup,
            steps=steps,
            finish=self._lines(finish, ("finish", 0, "say"), required=False),
            path=self.path,
        )
        self._guard(("finish", 0, "say"), routine.finish)
        return routine

    def _guard(self, where: tuple[str | int, ...], lines: tuple[str, ...]) -> None:
        """Refuse a line the guide would act on if the microphone picked up its own voice."""
        for line in lines:
            heard = parse(line)
            if heard.intent in GUARDED_INTENTS:
                raise self.fail(where, f"the line {line!r} would be heard as '{heard.intent}' if the "
                                "microphone picks up the guide's own voice; reword it")

    def _no_unknown(self, table: dict[str, Any], allowed: set[str], where: tuple[str | int, ...]) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail((*where, key), f"unknown field (expected one of: {', '.join(sorted(allowed))})")

    def _text(self, table: dict[str, Any], where: tuple[str | int, ...]) -> str:
        key = str(where[-1])
        if key not in table:
            raise self.fail(where, "is required")
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"must be non-empty text, got {value!r}")
        return value.strip()

    def _lines(self, table: dict[str, Any], where: tuple[str | int, ...], required: bool) -> tuple[str, ...]:
        key = str(where[-1])
        if key not in table:
            if required:
                raise self.fail(where, "is required")
            return ()
        value = table[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(where, "must be a list of non-empty lines of text")
        if required and not value:
            raise self.fail(where, "must have at least one line")
        return tuple(v.strip() for v in value)

    def _int(self, table: dict[str, Any], where: tuple[str | int, ...], minimum: int, maximum: int) -> int:
        value = table[str(where[-1])]
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self.fail(where, f"must be a whole number from {minimum} to {maximum}, got {value!r}")
        return value

    def _source(self, table: dict[str, Any], where: tuple[str | int, ...]) -> str:
        value = table.get("source")
        if value not in SOURCES:
            raise self.fail((*where, "source"), f"must be 'seed' or 'project' (where it comes from), got {value!r}")
        return value

    def _setting(self, data: dict[str, Any], name: str, unit_default: str) -> Setting | None:
        if name not in data:
            return None
        table = data[name]
        where: tuple[str | int, ...] = (name, 0)
        if not isinstance(table, dict):
            raise self.fail((name,), "must be a table with default, min, max and source")
        self._no_unknown(table, self.SETTING, where)
        for key in ("default", "min", "max"):
            if key not in table:
                raise self.fail((*where, key), "is required")
        unit = table.get("unit", unit_default)
        if unit not in ("set", "rep", "second"):
            raise self.fail((*where, "unit"), f"must be 'set', 'rep' or 'second', got {unit!r}")
        most = MAX_SECONDS if unit == "second" else MAX_REPEATS
        default, lo, hi = (self._int(table, (*where, k), 1, most) for k in ("default", "min", "max"))
        if not lo <= default <= hi:
            raise self.fail((*where, "default"), f"must lie between min ({lo}) and max ({hi}), got {default}")
        return Setting(default, lo, hi, self._source(table, where), unit)

    def _steps(self, data: dict[str, Any], name: str, hold: Setting | None, required: bool) -> tuple[Step, ...]:
        tables = data.get(name, [])
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise self.fail((name,), f"must be written as [[{name}]] tables")
        if required and not tables:
            raise self.fail((name,), f"needs at least one [[{name}]] step")
        return tuple(self._step(t, (name, i), hold) for i, t in enumerate(tables))

    def _step(self, table: dict[str, Any], where: tuple[str | int, ...], hold: Setting | None) -> Step:
        self._no_unknown(table, self.STEP, where)
        state = self._text(table, (*where, "state"))
        if not re.fullmatch(r"[a-z][a-z0-9_]*", state) or state in RESERVED_STATES:
            reserved = ", ".join(RESERVED_STATES)
            raise self.fail((*where, "state"), f"must be a lowercase name other than {reserved}, got {state!r}")
        kind = table.get("kind")
        if kind not in KINDS:
            raise self.fail((*where, "kind"), f"must be one of {', '.join(KINDS)}, got {kind!r}")
        say = self._lines(table, (*where, "say"), required=True)
        end_say = self._lines(table, (*where, "end_say"), required=False)
        more = self._lines(table, (*where, "more_sets_say"), required=False)
        for key, lines in (("say", say), ("end_say", end_say), ("more_sets_say", more)):
            self._guard((*where, key), lines)
        if kind != "timed":
            for key in ("seconds", "countdown", "check_in", "end_say", "source"):
                if key in table:
                    raise self.fail((*where, key), f"only a 'timed' step takes this, and this step is {kind!r}")
            return Step(state, kind, say, more_sets_say=more)
        if "seconds" not in table:
            raise self.fail((*where, "seconds"), "a timed step needs seconds (a number, or \"hold\")")
        seconds = table["seconds"]
        source = None
        if seconds == "hold":
            if hold is None:
                raise self.fail((*where, "seconds"), "is \"hold\" but the routine has no [hold] table")
        else:
            seconds = self._int(table, (*where, "seconds"), 1, MAX_SECONDS)
            source = self._source(table, where)
        countdown = self._int(table, (*where, "countdown"), 0, MAX_SECONDS) if "countdown" in table else 0
        shortest = hold.min if seconds == "hold" and hold else seconds
        if countdown > shortest:
            raise self.fail((*where, "countdown"), f"cannot be longer than the hold ({shortest} s), got {countdown}")
        check_in = table.get("check_in", False)
        if not isinstance(check_in, bool):
            raise self.fail((*where, "check_in"), f"must be true or false, got {check_in!r}")
        return Step(state, kind, say, seconds, source, countdown, check_in, end_say, more)
