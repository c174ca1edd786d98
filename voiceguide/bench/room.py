"""The bench in the virtual room: does the guide stop itself, and does it hear pain said over its own voice?

- **Self-hearing**: every routine, run to the end by a patient user who only says "ready" and "fine", with
  the guide's own voice reaching the microphone at 0 and -10 dB, with and without reverberation. Anything the
  echo sets off (a stop, a pause, pain, or a halt to ask about pain or whether to end) is a self-trigger.
- **Barge-in**: pain phrases in several voices, said 4 s into a routine, over the guide's opening lines. Caught
  when the exercise halts at once: stopped for pain, halted to ask about pain heard unclearly, or halted to
  ask because someone was heard talking over the guide.

The double-talk margin (echo.py) was tuned on shotgun and spinal-twist with flite rms saying "it hurts"; how
long talk over the guide must last before it halts, by scripts/tune-talk-over.py, on other rooms, echo levels,
voices, phrases and a routine's opening lines the bench does not use.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceguide.audio import WavSource
from voiceguide.bench import hearing
from voiceguide.bench.measures import Share
from voiceguide.corpus import said_at
from voiceguide.events import Ended, OutputEvent, PainReported, Paused
from voiceguide.room import Room, patient_user, run_in_room
from voiceguide.routines import load_library
from voiceguide.session import ASKING, QUESTIONS

ECHOES = (0.0, -10.0)
BARGE_AT = 4.0  # seconds into the session: the guide is still saying its opening lines
BARGE_ROUTINES = ("shotgun",)  # its opening lines run to 15 s: pain at 4 s is said over them
BARGE_VOICES = ("flite:slt", "flite:rms", "flite:awb", "flite:kal16", "espeak:en-us")
BARGE_PHRASES = ("it hurts", "my back hurts", "my leg is numb", "ouch that hurts")
TUNED_ON = {("shotgun", "flite:rms", "it hurts"), ("spinal-twist", "flite:rms", "it hurts")}


@dataclass
class RoomRun:
    """One run in the room and what came of it."""

    kind: str  # "self" or "barge"
    routine: str
    echo_db: float
    reverb: bool
    voice: str = ""
    phrase: str = ""
    triggers: list[str] | None = None  # self: what the echo set off
    ended: str = ""
    caught: str = ""  # barge: "stopped" (advice within 2 s), "asked" (pain heard unclearly), "talk" or ""
    delay: float | None = None  # barge: seconds from the end of the pain words to the halt
    tuning: bool = False


def room_tasks(quick: bool) -> list[tuple[str, Any]]:
    """The runs to make: self-hearing for every routine and condition, and barge-in."""
    routines = ("shotgun",) if quick else tuple(load_library())
    conditions = [(e, r) for e in ECHOES for r in (False, True)]
    tasks: list[tuple[str, Any]] = [("self", (rid, e, r)) for rid in routines for e, r in conditions]
    voices, phrases = (BARGE_VOICES[:1], BARGE_PHRASES[:1]) if quick else (BARGE_VOICES, BARGE_PHRASES)
    tasks += [("barge", (rid, v, p, e, r)) for rid in BARGE_ROUTINES for v in voices for p in phrases
              for e, r in conditions]
    return tasks


def run_self(task: tuple[str, float, bool]) -> RoomRun:
    rid, echo_db, reverb = task
    out: list[OutputEvent] = []
    recognizer = next(iter(hearing._recognizers.values()))
    recognizer.reset()
    run_in_room(hearing._library[rid], Room(echo_db, reverb), recognizer, publish=out.append,
                respond=patient_user())
    triggers = [_trigger(e) for e in out if _trigger(e)]
    ended = next((e.reason for e in out if isinstance(e, Ended)), "")
    return RoomRun("self", rid, echo_db, reverb, triggers=triggers, ended=ended)


def run_barge(task: tuple[str, str, str, float, bool]) -> RoomRun:
    rid, voice, phrase, echo_db, reverb = task
    with tempfile.TemporaryDirectory(prefix="voiceguide-barge-") as scratch:
        wav, end = said_at(phrase, voice, BARGE_AT, Path(scratch))
        out: list[OutputEvent] = []
        recognizer = next(iter(hearing._recognizers.values()))
        recognizer.reset()
        run_in_room(hearing._library[rid], Room(echo_db, reverb), recognizer, publish=out.append,
                    recording=WavSource(wav, sample_rate=16000), until=end + 3.0)
    halt = next((e for e in out if isinstance(e, PainReported) or (isinstance(e, Paused) and e.by in ASKING)), None)
    run = RoomRun("barge", rid, echo_db, reverb, voice=voice, phrase=phrase,
                  tuning=(rid, voice, phrase) in TUNED_ON)
    if halt is not None and halt.t >= BARGE_AT:
        # stopped at once: pain advice within 2 s of the halt, with no answer asked for (as for clips)
        stopped = any(isinstance(e, PainReported) and e.t <= halt.t + 2.0 for e in out)
        run.caught = "stopped" if stopped else {"unsure": "asked", "talk": "talk"}[halt.by]
        run.delay = round(halt.t - end, 3)
    return run


def _trigger(event: OutputEvent) -> str:
    if isinstance(event, PainReported):
        return f"pain: {event.words}"
    if isinstance(event, Paused) and event.by in ("user", *QUESTIONS):
        return f"pause ({event.by})"
    if isinstance(event, Ended) and event.reason == "stopped":
        return "stop"
    return ""


@dataclass
class RoomFigures:
    """The room runs, summed up."""

    self_runs: Share  # runs with any self-trigger, of all self-hearing runs
    self_triggers: int
    self_examples: list[str]
    barge: Share  # caught (stopped or asked), of all barge-in runs
    barge_stopped: Share
    barge_talk: Share  # halted because someone was heard talking over the guide, and not stopped at once
    barge_asked: Share  # halted for pain heard unclearly (made out with a moment of talk), and not stopped
    barge_unseen: Share  # caught, of the runs unseen by the tuning
    barge_by_condition: dict[str, Share]

    def to_json(self) -> dict[str, Any]:
        return {"self-triggered runs": self.self_runs.to_json(), "self-triggers": self.self_triggers,
                "self-trigger examples": self.self_examples, "barge-in caught": self.barge.to_json(),
                "barge-in stopped at once": self.barge_stopped.to_json(),
                "barge-in halted for talk over the guide": self.barge_talk.to_json(),
                "barge-in halted for pain heard unclearly": self.barge_asked.to_json(),
                "barge-in caught, unseen by tuning": self.barge_unseen.to_json(),
                "barge-in by condition": {k: v.to_json() for k, v in self.barge_by_condition.items()}}


def room_figures(runs: list[RoomRun]) -> RoomFigures:
    selves = [r for r in runs if r.kind == "self"]
    barges = [r for r in runs if r.kind == "barge"]
    conditions = sorted({_condition(r) for r in barges})
    return RoomFigures(
        self_runs=Share(len(selves), sum(bool(r.triggers) for r in selves)),
        self_triggers=sum(len(r.triggers or []) for r in selves),
        self_examples=[f"{r.routine} {_condition(r)}: {t}" for r in selves for t in (r.triggers or [])][:12],
        barge=Share(len(barges), sum(bool(r.caught) for r in barges)),
        barge_stopped=Share(len(barges), sum(r.caught == "stopped" for r in barges)),
        barge_talk=Share(len(barges), sum(r.caught == "talk" for r in barges)),
        barge_asked=Share(len(barges), sum(r.caught == "asked" for r in barges)),
        barge_unseen=Share(sum(not r.tuning for r in barges), sum(bool(r.caught) and not r.tuning for r in barges)),
        barge_by_condition={c: Share(sum(_condition(r) == c for r in barges),
                                     sum(bool(r.caught) and _condition(r) == c for r in barges)) for c in conditions},
    )


def _condition(run: RoomRun) -> str:
    return f"echo {run.echo_db:g} dB{' + reverb' if run.reverb else ''}"
