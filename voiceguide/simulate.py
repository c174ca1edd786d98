"""Rehearse a session on the virtual clock from a script of timed utterances.

A script has one utterance per line, ``<seconds> <words>``; ``#`` starts a comment.
"""

from __future__ import annotations

import json
import math
import queue
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from voiceguide.clock import VirtualClock
from voiceguide.errors import VoiceguideError
from voiceguide.events import (
    Ended,
    Heard,
    InputEnded,
    InputEvent,
    OutputEvent,
    PainReported,
    Said,
    StateEntered,
    Subscriber,
    Understood,
)
from voiceguide.programmes import Programme, run_programme
from voiceguide.routines import Routine
from voiceguide.session import Session, run_session
from voiceguide.speech import SilentSpeaker, Speaker, Voice
from voiceguide.virtual_speaker import VirtualSpeaker


class ScriptError(VoiceguideError):
    """A script line that cannot be read, with its line number."""


@dataclass(frozen=True)
class Utterance:
    t: float
    text: str


def parse_script(lines: Iterable[str], name: str = "script") -> list[Utterance]:
    """Read ``<seconds> <words>`` lines; times must not go backwards."""
    script: list[Utterance] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head, _, words = line.partition(" ")
        try:
            t = float(head)
        except ValueError:
            raise ScriptError(f"{name}, line {number}: expected '<seconds> <words>', got {line!r}") from None
        if not math.isfinite(t) or t < 0:
            raise ScriptError(f"{name}, line {number}: the time must be a number of seconds from 0, got {head!r}")
        if not words.strip():
            raise ScriptError(f"{name}, line {number}: no words after the time {head}")
        if script and t < script[-1].t:
            raise ScriptError(f"{name}, line {number}: time {t:g} is earlier than the line before ({script[-1].t:g})")
        script.append(Utterance(t, words.strip()))
    return script


Speech = Callable[[str, int], np.ndarray]  # a line's audio at a rate: how long it takes (see virtual_speaker)


def simulate(routine: Routine, events: Iterable[InputEvent], *, publish: Subscriber,
             sets: int | None = None, hold: int | None = None, speech: Speech | None = None,
             rate: int | None = None) -> Session:
    """Run a whole session on a virtual clock, hearing ``events`` (in time order).

    With ``speech``, each line takes as long to say as its audio at ``rate`` words per minute, as live;
    without, lines take no time."""
    clock, inbox = _virtual_input(events)
    session = Session(routine, clock, publish=publish, sets=sets, hold=hold, speaker=_speaker(clock, speech, rate))
    run_session(session, clock, inbox)
    return session


def simulate_programme(programme: Programme, library: Mapping[str, Routine], events: Iterable[InputEvent], *,
                       publish: Subscriber, speech: Speech | None = None, rate: int | None = None) -> str:
    """Run a programme's routines one after another on one virtual clock, hearing ``events``; how it ended."""
    clock, inbox = _virtual_input(events)
    speaker = _speaker(clock, speech, rate)
    heard = 0

    def one(routine: Routine) -> str:
        nonlocal heard
        session = Session(routine, clock, publish=publish, sets=programme.choice(routine, "sets"),
                          hold=programme.choice(routine, "hold"), heard_before=heard, programme=programme.id,
                          speaker=speaker)
        reason = run_session(session, clock, inbox)
        heard = session.last_utterance
        return reason

    return run_programme(programme, library, one)


def _speaker(clock: VirtualClock, speech: Speech | None, rate: int | None) -> Speaker:
    if speech is None:
        return SilentSpeaker()
    return VirtualSpeaker(clock, say_as=speech, voice=Voice(rate or Voice.rate))


def _virtual_input(events: Iterable[InputEvent]) -> tuple[VirtualClock, queue.SimpleQueue[InputEvent]]:
    """A virtual clock, and a queue of ``events`` closed by the end of input."""
    inbox: queue.SimpleQueue[InputEvent] = queue.SimpleQueue()
    last = 0.0
    for event in events:
        inbox.put(event)
        last = max(last, event.t)
    inbox.put(InputEnded(last))
    return VirtualClock(), inbox


def script_events(script: list[Utterance]) -> list[InputEvent]:
    """The input events a script stands for: each line one utterance."""
    return [Heard(u.t, u.text, utterance=n, typed=True) for n, u in enumerate(script, start=1)]


def heard_detail(event: Understood) -> str:
    """How a heard utterance was understood: "(intent)", or "(intent, ignored: why)"."""
    ignored = f", ignored: {event.ignored}" if event.ignored else ""
    return f"({event.intent}{ignored})"


def format_event(event: OutputEvent) -> str | None:
    """One readable transcript line for a session event (None for events a transcript leaves out)."""
    stamp = f"{event.t:7.1f}s"
    if isinstance(event, StateEntered):
        return f"{stamp}  ── {event.state}"
    if isinstance(event, Said):
        return f"{stamp}  guide: {event.text}"
    if isinstance(event, Understood):
        return f"{stamp}  you:   \"{event.text}\"  {heard_detail(event)}"
    if isinstance(event, PainReported):
        return f"{stamp}  ── pain reported ({event.advice} advice)"
    if isinstance(event, Ended):
        return f"{stamp}  ── session ended: {event.reason}"
    return None


def event_json(event: OutputEvent) -> str:
    """The JSON line for a session event."""
    return json.dumps(event.to_json(), ensure_ascii=False)
