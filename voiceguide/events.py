"""Every message that crosses a boundary, as a small typed class that knows its JSON form.

Input events reach the session on its queue, from the microphone, keyboard, script or recording.
Output events leave the session for whoever subscribes: the display, the history, the transcript,
the bench. Nobody reads the session's internals; what happened is in these events.

``to_json()`` gives ``{"t": ..., "type": ..., <fields>}``: the lines ``simulate --json`` prints and,
with a session id and the wall-clock time added, the facts the history keeps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, ClassVar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Base of every event: ``t`` is the session clock's time, in seconds."""

    type: ClassVar[str] = "event"
    t: float

    def to_json(self) -> dict[str, Any]:
        """The event as a JSON-ready dict; fields left at None are left out."""
        data: dict[str, Any] = {"t": round(float(self.t), 3), "type": self.type}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "t" and value is not None:
                data[f.name] = value
        return data


# ------------------------------------------------------------ input: what the session hears


@dataclass(frozen=True)
class Heard(Event):
    """Text from a recogniser or the keyboard. ``partial`` while the utterance goes on; every result
    of one utterance carries the same ``utterance`` number, so what was already acted on can be dropped."""

    type: ClassVar[str] = "input"
    text: str
    partial: bool = False
    utterance: int = 0
    sure: bool = True  # typed words are; a recogniser says whether its words stood out clearly
    typed: bool = False  # from the keyboard or a script: it cannot be the guide's own voice
    over_guide: bool = False  # the utterance began while the guide's loudspeaker played
    talk: bool = False  # someone was heard talking over the guide, if only briefly, in the 1.5 s before
    alone: bool = True  # the words were all the utterance held (not read out of a longer stretch of talk)
    level: float | None = None  # a final result from audio: how loud the voice was (dBFS; see audio.voice_level)


@dataclass(frozen=True)
class TalkedOver(Event):
    """Someone was heard talking over the guide's voice (well above its own echo, for 0.4 s): the guide stops to
    listen. ``utterance`` is the number of the utterance being heard then, so its words can be linked to it."""

    type: ClassVar[str] = "talked_over"
    utterance: int = 0


@dataclass(frozen=True)
class InputEnded(Event):
    """The input is used up: the end of a script, a recording, or typed input."""

    type: ClassVar[str] = "input_ended"


@dataclass(frozen=True)
class DeviceLost(Event):
    """The microphone went away."""

    type: ClassVar[str] = "device_lost"


@dataclass(frozen=True)
class DeviceBack(Event):
    """The microphone came back."""

    type: ClassVar[str] = "device_back"


@dataclass(frozen=True)
class InputFailed(Event):
    """An input thread died: nothing more will be heard from it."""

    type: ClassVar[str] = "input_failed"
    reason: str


InputEvent = Heard | TalkedOver | InputEnded | DeviceLost | DeviceBack | InputFailed


# ------------------------------------------------------------ output: what the session did


@dataclass(frozen=True)
class Started(Event):
    """A session began."""

    type: ClassVar[str] = "start"
    routine: str
    title: str
    sets: int
    programme: str | None = None  # the programme this routine is part of, if any
    unit: str = "set"  # what ``sets`` counts: "set" or "rep"


@dataclass(frozen=True)
class StateEntered(Event):
    """The session entered a step (by its state name) or paused, stop_and_advise, done. ``set_number`` is the
    set or rep the step belongs to, if the routine counts them."""

    type: ClassVar[str] = "state"
    state: str
    set_number: int | None = None


@dataclass(frozen=True)
class Said(Event):
    """A line the guide says: ``t`` is when it begins, ``duration`` how long it takes, as the speaker times it
    (published when it begins; a line cut before it began is never reported)."""

    type: ClassVar[str] = "say"
    text: str
    duration: float | None = None


@dataclass(frozen=True)
class Understood(Event):
    """An utterance and the intent read from it; ``ignored`` says why it was not acted on; ``level``: how loud the
    voice was (dBFS), when it was heard from audio."""

    type: ClassVar[str] = "heard"
    text: str
    intent: str
    ignored: str | None = None
    level: float | None = None


@dataclass(frozen=True)
class HoldStarted(Event):
    """A timed step began (once its instruction has been said): ``seconds`` to hold. After a pause it begins
    again with ``left`` seconds still to hold."""

    type: ClassVar[str] = "hold_start"
    state: str
    seconds: float
    left: float | None = None  # after a pause, the seconds still to hold; None on a fresh hold


@dataclass(frozen=True)
class HoldEnded(Event):
    """A timed step ended: held in full (``completed``) or cut short by next, stop or pain."""

    type: ClassVar[str] = "hold"
    state: str
    planned: float
    held: float
    completed: bool


@dataclass(frozen=True)
class SetDone(Event):
    """Set ``number`` of ``of`` is done."""

    type: ClassVar[str] = "set"
    number: int
    of: int


@dataclass(frozen=True)
class PainReported(Event):
    """Pain was heard: the words, the advice level given, and the step it was heard in."""

    type: ClassVar[str] = "pain"
    words: str
    advice: str
    state: str


@dataclass(frozen=True)
class Paused(Event):
    """The session paused: ``by`` is "user" (they asked), "microphone" (it went away), "unsure" (pain may have
    been heard, not clearly: the exercise halts while the guide asks), "talk" (someone talked over the guide:
    it stops to listen, and asks) or "stop" (stop heard, not clearly: it asks before it ends)."""

    type: ClassVar[str] = "pause"
    by: str


@dataclass(frozen=True)
class Resumed(Event):
    """The session carried on after a pause."""

    type: ClassVar[str] = "resume"


@dataclass(frozen=True)
class Ended(Event):
    """The session ended: ``completed``, ``stopped``, ``pain``, ``script_ended``, ``no_answer``,
    ``input_failed`` or ``interrupted``."""

    type: ClassVar[str] = "end"
    reason: str


OutputEvent = (Started | StateEntered | Said | Understood | HoldStarted | HoldEnded | SetDone | PainReported | Paused
               | Resumed | Ended)

Subscriber = Callable[[OutputEvent], None]


class Publisher:
    """Hands each output event to every subscriber; a subscriber that fails is reported once, never raised.

    So a full disk (history), a closed terminal (display) or any other fault outside the session can
    never stop it on its way to the advice.
    """

    def __init__(self, *subscribers: Subscriber, report: Callable[[str], None] = log.warning):
        self.subscribers = list(subscribers)
        self.report = report
        self.failed: set[int] = set()

    def subscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.append(subscriber)

    def __call__(self, event: OutputEvent) -> None:
        for i, subscriber in enumerate(self.subscribers):
            try:
                subscriber(event)
            except Exception as e:
                if i not in self.failed:
                    self.failed.add(i)
                    name = getattr(subscriber, "__qualname__", type(subscriber).__name__)
                    self._report(f"{name} failed ({type(e).__name__}: {e}); the session goes on")

    def _report(self, message: str) -> None:
        try:
            self.report(message)
        except Exception:
            log.warning(message)
