"""Shared helpers: the routine library, a session driven by hand on a virtual clock, a fake speaker, markers.

Markers: ``audio`` for tests that need flite, espeak-ng, sox or pocketsphinx-testdata; ``device`` for tests
that start a private PulseAudio daemon for a real-time microphone and speaker. The core runs anywhere with
``pytest -m "not audio and not device"``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from voiceguide.clock import VirtualClock
from voiceguide.echo import PlayedLog
from voiceguide.events import HoldEnded, OutputEvent, Paused, Said, StateEntered
from voiceguide.intents import IntentParser
from voiceguide.programmes import spoken_names_with_programmes
from voiceguide.routines import Routine, builtin_routines
from voiceguide.session import Session
from voiceguide.speech import Voice

LIBRARY = builtin_routines()


@pytest.fixture(scope="session")
def library() -> dict[str, Routine]:
    return LIBRARY


@dataclass
class Driven:
    """A session on a virtual clock, with every event it emitted."""

    session: Session
    clock: VirtualClock
    events: list[OutputEvent] = field(default_factory=list)

    def run_timers(self, until: float | None = None) -> None:
        """Advance the clock through due deadlines up to ``until``; without it, until the session waits for
        the user (the hold in progress, if any, runs out; silence follow-ups are left pending)."""
        while (d := self.session.next_deadline()) is not None and (
                d <= until if until is not None else self.session.hold is not None):
            self.clock.t = d
            self.session.tick()
        if until is not None and not self.session.ended:
            self.clock.t = max(self.clock.t, until)

    def say(self, text: str, at: float | None = None) -> None:
        """Run timers up to ``at`` (default: now), then hear ``text``."""
        self.run_timers(self.clock.t if at is None else at)
        self.session.hear(text)

    def states(self) -> list[str]:
        return [e.state for e in self.events if isinstance(e, StateEntered)]

    def lines(self) -> list[str]:
        return [e.text for e in self.events if isinstance(e, Said)]

    def holds(self) -> list[HoldEnded]:
        return [e for e in self.events if isinstance(e, HoldEnded)]

    def pauses(self, by: str = "user") -> int:
        return sum(isinstance(e, Paused) and e.by == by for e in self.events)

    def json(self) -> list[dict]:
        return [e.to_json() for e in self.events]


class FakeSpeaker:
    """A speaker with a queue: lines wait in ``queued`` until ``play()``; ``interrupt()`` drops them, as the
    real one does. ``busy_always`` makes it talk forever (so only guarded intents get through)."""

    def __init__(self, busy_always: bool = False):
        self.queued: list[str] = []
        self.played: list[str] = []
        self.dropped: list[str] = []
        self.interrupts = 0
        self.busy_always = busy_always
        self.voice = Voice()
        self.played_log = PlayedLog()

    def say(self, text: str) -> None:
        self.queued.append(text)

    def interrupt(self) -> None:
        self.interrupts += 1
        self.dropped += self.queued
        self.queued = []

    def busy(self, t: float) -> bool:
        return self.busy_always

    def finishes_at(self, now: float) -> float:
        return now

    def adjust(self, change: str) -> bool:
        return self.voice.adjust(change)

    def prepare(self, lines: list[str]) -> None:
        pass

    def play(self) -> list[str]:
        """Everything queued is spoken to the end."""
        self.played += self.queued
        self.queued = []
        return self.played

    def start(self) -> None:
        pass

    def wait_until_done(self, timeout: float = 60.0) -> bool:
        self.play()
        return True

    def close(self) -> None:
        pass


def drive(routine: Routine, **kwargs) -> Driven:
    clock = VirtualClock()
    events: list[OutputEvent] = []
    session = Session(routine, clock, publish=events.append, **kwargs)
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


def json_collector() -> tuple[list[dict], Callable[[OutputEvent], None]]:
    """A list, and a subscriber that appends each event's JSON form to it."""
    collected: list[dict] = []
    return collected, lambda event: collected.append(event.to_json())


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``voiceguide`` command line in a subprocess."""
    return subprocess.run([sys.executable, "-m", "voiceguide", *args], input=stdin, capture_output=True,
                          text=True, timeout=120)


PARSER_ALL = IntentParser(spoken_names_with_programmes(LIBRARY))


@pytest.fixture(autouse=True, scope="session")
def private_user_files(tmp_path_factory):
    """Keep the user's real config and history out of every test (and of the commands tests run)."""
    folder = tmp_path_factory.mktemp("user")
    os.environ["VOICEGUIDE_CONFIG"] = str(folder / "config.toml")
    os.environ["VOICEGUIDE_HISTORY"] = str(folder / "history.jsonl")
    for var in ("ENGINE", "MODEL", "DEVICE", "VOICE", "RATE", "VOLUME"):
        os.environ.pop(f"VOICEGUIDE_{var}", None)
