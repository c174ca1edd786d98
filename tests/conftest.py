"""Shared helpers: the routine library and a session driven by hand on a virtual clock."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from voiceguide.clock import VirtualClock
from voiceguide.intents import IntentParser
from voiceguide.routines import Routine, builtin_routines, spoken_names
from voiceguide.session import Event, Session

LIBRARY = builtin_routines()


@pytest.fixture(scope="session")
def library() -> dict[str, Routine]:
    return LIBRARY


@dataclass
class Driven:
    """A session on a virtual clock, with every event it emitted."""

    session: Session
    clock: VirtualClock
    events: list[Event] = field(default_factory=list)

    def run_timers(self, until: float | None = None) -> None:
        """Advance the clock through due deadlines (up to ``until``, if given)."""
        while (d := self.session.next_deadline()) is not None and (until is None or d <= until):
            self.clock.t = d
            self.session.tick()
        if until is not None and not self.session.ended:
            self.clock.t = max(self.clock.t, until)

    def say(self, text: str, at: float | None = None) -> None:
        """Run timers up to ``at`` (default: now), then hear ``text``."""
        self.run_timers(self.clock.t if at is None else at)
        self.session.hear(text)

    def states(self) -> list[str]:
        return [e["state"] for e in self.events if e["type"] == "state"]

    def lines(self) -> list[str]:
        return [e["text"] for e in self.events if e["type"] == "say"]


def drive(routine: Routine, **kwargs) -> Driven:
    clock = VirtualClock()
    events: list[Event] = []
    session = Session(routine, clock, on_event=events.append, **kwargs)
    driven = Driven(session, clock, events)
    session.begin()
    return driven


def run_through(driven: Driven, answer: str = "ready", check_in_answer: str = "fine") -> None:
    """Answer every wait until the session ends."""
    for _ in range(1000):
        driven.run_timers()
        if driven.session.ended:
            return
        kind = driven.session.current.step.kind
        driven.clock.t += 1.0
        driven.session.hear(check_in_answer if kind == "check_in" else answer)
    raise AssertionError("session did not end")


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``voiceguide`` command line in a subprocess."""
    return subprocess.run([sys.executable, "-m", "voiceguide", *args], input=stdin, capture_output=True,
                          text=True, timeout=120)


PARSER_ALL = IntentParser(spoken_names(LIBRARY))


@pytest.fixture(autouse=True, scope="session")
def private_user_files(tmp_path_factory):
    """Keep the user's real config and history out of every test (and of the commands tests run)."""
    folder = tmp_path_factory.mktemp("user")
    os.environ["VOICEGUIDE_CONFIG"] = str(folder / "config.toml")
    os.environ["VOICEGUIDE_HISTORY"] = str(folder / "history.jsonl")
    for var in ("ENGINE", "MODEL", "DEVICE", "VOICE", "RATE", "VOLUME"):
        os.environ.pop(f"VOICEGUIDE_{var}", None)
