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

from voiceguide.session import Session


def history_path() -> Path:
    """$VOICEGUIDE_HISTORY, else history.jsonl in the user data dir."""
    return Path(os.environ.get("VOICEGUIDE_HISTORY") or Path(user_data_dir("voiceguide")) / "history.jsonl")


class HistoryWriter:
    """Appends the facts of one session as they happen."""

    def __init__(self, path: Path, routine: str, engine: str):
        self.path = path
        self.id = uuid.uuid4().hex[:12]
        self.seen = {"holds": 0, "pain": 0, "pauses": 0}
        path.parent.mkdir(parents=True, exist_ok=True)
        self._write("start", routine=routine, engine=engine)

    def _write(self, kind: str, **data: Any) -> None:
        line = json.dumps({"session": self.id, "kind": kind, "at": round(time.time(), 3), **data})
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    def update(self, session: Session) -> None:
        """Write whatever the session log gained since the last call."""
        log = session.log
        for hold in log.holds[self.seen["holds"]:]:
            self._write("hold", state=hold.state, planned=hold.duration, held=round(hold.spent, 1),
                        completed=hold.completed)
        for report in log.pain[self.seen["pain"]:]:
            self._write("pain", words=report.text, advice=report.advice, state=report.state)
        if log.pauses > self.seen["pauses"]:
            self._write("pause", count=log.pauses)
        self.seen = {"holds": len(log.holds), "pain": len(log.pain), "pauses": log.pauses}
        if session.ended:
            self._write("end", reason=session.end_reason, sets_done=log.sets_done)

    def interrupted(self) -> None:
        """The program was stopped (Ctrl-C, systemctl stop) in the middle of the session."""
        self._write("end", reason="interrupted")


@dataclass
class SessionRecord:
    id: str
    routine: str = "?"
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
    """Every session in the history, oldest first; unreadable lines are skipped with a warning."""
    sessions: dict[str, SessionRecord] = {}
    for number, fact in _facts(path, warn):
        sid = fact.get("session")
        if not isinstance(sid, str):
            warn(f"{path}:{number}: no session id; skipped")
            continue
        record = sessions.setdefault(sid, SessionRecord(sid))
        kind, at = fact.get("kind"), fact.get("at", 0.0)
        if kind == "start":
            record.routine, record.engine, record.started = fact.get("routine", "?"), fact.get("engine", "?"), at
        elif kind == "hold":
            record.holds += 1
            record.holds_done += bool(fact.get("completed"))
        elif kind == "pause":
            record.pauses = fact.get("count", record.pauses + 1)
        elif kind == "pain":
            record.pain.append({"words": fact.get("words", ""), "advice": fact.get("advice", "")})
        elif kind == "end":
            record.ended, record.how, record.sets_done = at, fact.get("reason", "?"), fact.get("sets_done", 0)
    return sorted(sessions.values(), key=lambda r: r.started)


def _facts(path: Path, warn: Callable[[str], None]) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            fact = json.loads(line)
        except json.JSONDecodeError:
            warn(f"{path}:{number}: not a complete JSON line (a write cut short?); skipped")
            continue
        if isinstance(fact, dict):
            yield number, fact
        else:
            warn(f"{path}:{number}: not a JSON object; skipped")
