"""Session history: JSON lines in the user data dir, written as the session goes.

Each line is one fact about one session (``start``, ``hold``, ``pause``, ``pain``, ``end``), flushed
and synced as it happens, so a crash loses at most the fact being written. ``read_sessions`` folds
the lines back into one record per session; a session with no ``end`` line ended abruptly.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from voiceguide.events import Ended, HoldEnded, OutputEvent, PainReported, Paused, SetDone, Started


def history_path() -> Path:
    """$VOICEGUIDE_HISTORY, else history.jsonl in the user data dir."""
    return Path(os.environ.get("VOICEGUIDE_HISTORY") or Path(user_data_dir("voiceguide")) / "history.jsonl")


class HistoryWriter:
    """Appends the facts of one session as they happen: subscribe it to the session's events.

    It never raises: a disk that is full, read-only or gone is reported once ("not saved: ...") and the
    session goes on. A last line torn by an earlier crash is ended before the first new fact.
    """

    def __init__(self, path: Path, engine: str, report: Callable[[str], None]):
        self.path = path
        self.engine = engine
        self.report = report
        self.id = uuid.uuid4().hex[:12]
        self.failed = False
        self.sets_done = 0

    def __call__(self, event: OutputEvent) -> None:
        if isinstance(event, Started):
            programme = {"programme": event.programme} if event.programme else {}
            self._write("start", routine=event.routine, engine=self.engine, **programme)
        elif isinstance(event, SetDone):
            self.sets_done += 1
        elif isinstance(event, Ended):
            self._write("end", reason=event.reason, sets_done=self.sets_done)
        elif isinstance(event, HoldEnded | PainReported | Paused):
            self._write(event.type, **{k: v for k, v in event.to_json().items() if k not in ("t", "type")})

    def _write(self, kind: str, **data: Any) -> None:
        if self.failed:
            return
        line = json.dumps({"session": self.id, "kind": kind, "at": round(time.time(), 3), **data})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+b") as f:
                if f.tell() > 0:
                    f.seek(-1, os.SEEK_END)
                    if f.read(1) != b"\n":  # a line torn by a crash: end it, so this fact stands on its own
                        f.write(b"\n")
                f.write(line.encode("utf-8") + b"\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            self.failed = True
            self.report(f"history not saved: {e.strerror or e} ({self.path})")


@dataclass
class SessionRecord:
    id: str
    routine: str = "?"
    programme: str | None = None
    engine: str = "?"
    started: float = 0.0
    ended: float | None = None
    how: str = "ended abruptly"
    sets_done: int = 0
    holds_done: int = 0
    holds: int = 0
    pauses: int = 0
    pain: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


def read_sessions(path: Path, warn: Callable[[str], None]) -> list[SessionRecord]:
    """Every session in the history, oldest first. It never fails: a line that is not a valid fact (torn,
    not JSON, a field of the wrong type, a time out of range) is skipped with a warning."""
    sessions: dict[str, SessionRecord] = {}
    for number, fact in _facts(path, warn):
        problem = _invalid(fact)
        if problem:
            warn(f"{path}:{number}: {problem}; skipped")
            continue
        record = sessions.setdefault(fact["session"], SessionRecord(fact["session"]))
        kind, at = fact["kind"], float(fact["at"])
        if kind == "start":
            record.routine, record.engine, record.started = fact["routine"], fact.get("engine", "?"), at
            record.programme = fact.get("programme")
        elif kind == "hold":
            record.holds += 1
            record.holds_done += fact["completed"]
        elif kind == "pause":
            record.pauses += fact.get("by", "user") == "user"  # a lost microphone is not the user pausing
        elif kind == "pain":
            record.pain.append({"words": fact["words"], "advice": fact["advice"]})
        elif kind == "end":
            record.ended, record.how, record.sets_done = at, fact["reason"], fact.get("sets_done", 0)
    return sorted(sessions.values(), key=lambda r: r.started)


# What each kind of fact must carry, and of which type.
FIELDS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "start": {"routine": str},
    "hold": {"completed": bool},
    "pause": {},
    "pain": {"words": str, "advice": str},
    "end": {"reason": str},
}
OPTIONAL: dict[str, type | tuple[type, ...]] = {"engine": str, "by": str, "sets_done": int, "programme": str}
LATEST = 4102444800.0  # 2100-01-01: a time beyond this is not one this program wrote


def _invalid(fact: dict[str, Any]) -> str | None:
    """Why ``fact`` is not a valid history fact, or None."""
    if not isinstance(fact.get("session"), str):
        return "no session id"
    kind = fact.get("kind")
    if kind not in FIELDS:
        return f"unknown kind {kind!r}"
    at = fact.get("at")
    if isinstance(at, bool) or not isinstance(at, int | float) or not 0 <= at <= LATEST:  # NaN fails too
        return f"'at' is not a time: {at!r}"
    for name, wanted in FIELDS[kind].items():
        if not _typed(fact.get(name), wanted):
            return f"'{name}' missing or of the wrong type in a {kind} fact"
    for name, wanted in OPTIONAL.items():
        if name in fact and not _typed(fact[name], wanted):
            return f"'{name}' of the wrong type"
    return None


def _typed(value: Any, wanted: type | tuple[type, ...]) -> bool:
    """isinstance, except that true and false are not numbers here."""
    return isinstance(value, wanted) and (wanted is bool or not isinstance(value, bool))


def _facts(path: Path, warn: Callable[[str], None]) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return
    except OSError as e:
        warn(f"cannot read the history at {path}: {e.strerror or e}")
        return
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            fact = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            warn(f"{path}:{number}: not a complete JSON line (a write cut short?); skipped")
            continue
        if isinstance(fact, dict):
            yield number, fact
        else:
            warn(f"{path}:{number}: not a JSON object; skipped")
