"""The session state machine: one `transitions` machine per routine, driven by a clock and heard text.

Timed holds are driven by the clock passed in, never by ``threading.Timer``: the driver asks
:meth:`Session.next_deadline`, waits on its event queue until then, and calls :meth:`Session.tick`.
A pain intent, from any state, goes to ``stop_and_advise``, which has no way out.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from transitions import Machine

from voiceguide.advice import advice_for
from voiceguide.clock import Clock, DeviceChange, InputEnded, InputEvent
from voiceguide.intents import ADVICE_LEVELS, GUARDED_INTENTS, Intent, IntentParser
from voiceguide.routines import PlannedStep, Routine

log = logging.getLogger(__name__)

PAUSED, STOP_AND_ADVISE, DONE = "paused", "stop_and_advise", "done"

# Fixed lines the guide can say. None may parse as pain, stop or pause (see tests/test_self_hearing.py).
OPENING = "I'm listening the whole time, so tell me straight away how you feel if anything changes."
PAUSED_LINE = "Paused. Take your time, and say resume when you want to carry on."
RESUMING = "Resuming."
STOPPED_LINE = "Okay, we'll finish here. Take your time before you get up."
HOLD_CHECK_IN = "How is that feeling?"
ACK = "Good."
MIC_LOST = "I can't hear you: the microphone is gone. I've paused, and I'll carry on when it's back."
MIC_BACK = "The microphone is back."
HELP_LINE = ("Say ready or next to move on, repeat to hear a step again, or resume to carry on. "
             "To take a breather or finish early, just tell me. I'm listening for how you feel the whole time.")
FIXED_LINES = (OPENING, PAUSED_LINE, RESUMING, STOPPED_LINE, HOLD_CHECK_IN, ACK, HELP_LINE, MIC_LOST, MIC_BACK)

Event = dict[str, Any]


class Speaker(Protocol):
    """Where spoken lines go. ``busy(t)`` says whether the guide was talking at time ``t``."""

    def say(self, text: str) -> None: ...

    def interrupt(self) -> None: ...

    def busy(self, t: float) -> bool: ...


class SilentSpeaker:
    """A speaker that takes no time and is never busy: for simulation."""

    def say(self, text: str) -> None:
        pass

    def interrupt(self) -> None:
        pass

    def busy(self, t: float) -> bool:
        return False


@dataclass
class Hold:
    """A timed step in progress: spoken marks at offsets, then the end at ``duration``."""

    duration: float
    marks: list[tuple[float, str | None]]  # (offset in seconds, line to say); None marks the end
    elapsed: float = 0.0  # time spent holding before the current running stretch
    since: float | None = None  # clock time the current running stretch began; None while paused

    def deadline(self) -> float | None:
        if self.since is None or not self.marks:
            return None
        return self.since + (self.marks[0][0] - self.elapsed)

    def spent(self, now: float) -> float:
        return self.elapsed + (now - self.since if self.since is not None else 0.0)

    def freeze(self, now: float) -> None:
        self.elapsed = self.spent(now)
        self.since = None


@dataclass
class HoldRecord:
    """How a timed step went: its planned duration and the time actually spent in it."""

    state: str
    duration: float
    spent: float
    completed: bool


@dataclass
class PainReport:
    t: float
    text: str
    advice: str
    state: str


@dataclass
class SessionLog:
    """What happened, for tests, history and the live display."""

    holds: list[HoldRecord] = field(default_factory=list)
    pain: list[PainReport] = field(default_factory=list)
    pauses: int = 0
    sets_done: int = 0


def _marks(p: PlannedStep) -> list[tuple[float, str | None]]:
    seconds = p.seconds or 0.0
    marks: list[tuple[float, str | None]] = []
    countdown_from = seconds - p.step.countdown
    if p.step.check_in:
        half = float(int(seconds // 2))
        if 0 < half < countdown_from:
            marks.append((half, HOLD_CHECK_IN))
    marks += [(seconds - k, str(k)) for k in range(p.step.countdown, 0, -1)]
    marks.append((seconds, None))
    return sorted(marks, key=lambda m: m[0])


class Session:
    """One guided run of a routine.

    Events go to ``on_event`` as dicts: ``state``, ``say``, ``heard`` and, last, ``end``.
    """

    def __init__(self, routine: Routine, clock: Clock, *, speaker: Speaker | None = None,
                 on_event: Callable[[Event], None] | None = None, parser: IntentParser | None = None,
                 sets: int | None = None, hold: int | None = None):
        self.routine = routine
        self.plan = routine.plan(sets, hold)
        self.clock = clock
        self.speaker = speaker or SilentSpeaker()
        self.on_event = on_event or (lambda event: None)
        self.parser = parser or IntentParser({routine.id: routine.names})
        self.log = SessionLog()
        self.cursor = 0
        self.end_reason: str | None = None
        self.advice_level: str | None = None
        self.hold: Hold | None = None
        self.check_in_open = False
        self.paused_from: str | None = None
        self._resuming = False
        self._stopping = False
        self._paused_for_device = False
        self.exercise_states = routine.states()
        self.state: str = self.plan[0].state
        self.machine = Machine(model=self, states=[*self.exercise_states, PAUSED, STOP_AND_ADVISE, DONE],
                               initial=self.plan[0].state, auto_transitions=False,
                               after_state_change="_entered")
        last = len(self.plan) - 1
        for i, here in enumerate(self.plan):
            dest = self.plan[i + 1].state if i < last else DONE
            self.machine.add_transition("advance", here.state, dest,
                                        conditions=[lambda i=i: self.cursor == i], before="_step_forward")
        self.machine.add_transition("pause", self.exercise_states, PAUSED)
        for state in self.exercise_states:
            self.machine.add_transition("resume", PAUSED, state, conditions=[lambda s=state: self.paused_from == s])
        self.machine.add_transition("stop", [*self.exercise_states, PAUSED], DONE)
        self.machine.add_transition("pain", "*", STOP_AND_ADVISE)

    # ------------------------------------------------------------ driving

    @property
    def ended(self) -> bool:
        return self.end_reason is not None

    @property
    def current(self) -> PlannedStep:
        return self.plan[min(self.cursor, len(self.plan) - 1)]

    def begin(self) -> None:
        """Enter the first state and speak its lines."""
        self._emit("state", state=self.state)
        self._say(f"{self.routine.title}.")
        self._say(OPENING)
        self._start_step()
        self.tick()

    def next_deadline(self) -> float | None:
        """When the session next needs the clock, or None while it waits for the user."""
        return None if self.ended or self.hold is None else self.hold.deadline()

    def tick(self) -> None:
        """Do whatever is due at the clock's current time: countdown lines, ends of holds."""
        now = self.clock.now()
        while not self.ended and self.hold is not None:
            deadline = self.hold.deadline()
            if deadline is None or deadline > now:
                return
            _, line = self.hold.marks.pop(0)
            if line is not None:
                self._say(line)
                self.check_in_open = self.check_in_open or line == HOLD_CHECK_IN
                continue
            self._finish_hold(completed=True)
            self._advance()

    def end_of_input(self) -> None:
        """The script or recording is used up while the session waits for the user."""
        if not self.ended:
            self._end("script_ended")

    def device_changed(self, lost: bool) -> None:
        """The microphone went away (pause and say so) or came back (carry on where it was)."""
        if self.ended:
            return
        if lost:
            self._say(MIC_LOST)
            if self.state != PAUSED:
                self._act(Intent("", "pause"))
            self._paused_for_device = True
        else:
            self._say(MIC_BACK)
            if self._paused_for_device and self.state == PAUSED:
                self._act(Intent("", "resume"))
            self._paused_for_device = False
        self.tick()

    def hear(self, text: str, *, partial: bool = False, at: float | None = None) -> Intent:
        """Act on something the user said; partial text is only acted on for pain."""
        intent = self.parser.parse(text)
        if self.ended or (partial and intent.intent != "pain"):
            return intent
        t = self.clock.now() if at is None else at
        if intent.intent not in GUARDED_INTENTS and self.speaker.busy(t):
            self._emit("heard", text=text, intent=intent.intent, ignored="the guide was speaking")
            return intent
        self._emit("heard", text=text, intent=intent.intent)
        handled = self._act(intent)
        if not handled:
            log.info("ignored %r (%s) in state %s", text, intent.intent, self.state)
        self.tick()
        return intent

    # ------------------------------------------------------------ intents

    def _act(self, intent: Intent) -> bool:
        kind, state = intent.intent, self.state
        if kind == "pain":
            self._pain(intent)
        elif kind == "stop":
            self._interrupt()
            self._record_hold(completed=False)
            self._stopping = True
            self.trigger("stop")
        elif kind == "help":
            self._say(HELP_LINE)
        elif state == PAUSED:
            if kind not in ("resume", "ready", "repeat"):
                return False
            if kind == "repeat":
                self._say(PAUSED_LINE)
            else:
                self._resuming = True
                self.trigger("resume")
        elif kind == "pause":
            self._interrupt()
            if self.hold is not None:
                self.hold.freeze(self.clock.now())
            self.paused_from = state
            self.log.pauses += 1
            self.trigger("pause")
        elif kind == "repeat":
            self._say_all(self.current.opening_lines())
        else:
            return self._move_on(kind)
        return True

    def _move_on(self, kind: str) -> bool:
        """ready / next / ok: answer a check-in, skip a hold, or go on from a waiting step."""
        step_kind = self.current.step.kind
        if step_kind == "timed":
            if kind == "ok" and self.check_in_open:
                self.check_in_open = False
                self._say(ACK)
                return True
            if kind != "next":
                return False
            self._finish_hold(completed=False)
        elif kind in ("ready", "next") or (step_kind == "check_in" and kind == "ok"):
            if step_kind == "check_in":
                self._say(ACK)
        else:
            return False
        self._advance()
        return True

    def _pain(self, intent: Intent) -> None:
        assert intent.advice is not None
        self._interrupt()
        self._record_hold(completed=False)
        self.log.pain.append(PainReport(self.clock.now(), intent.text, intent.advice, self.state))
        if self.advice_level is None or ADVICE_LEVELS.index(intent.advice) > ADVICE_LEVELS.index(self.advice_level):
            self.advice_level = intent.advice
        self.trigger("pain")

    # ------------------------------------------------------------ states

    def _step_forward(self) -> None:
        here, after = self.current, self.plan[self.cursor + 1:self.cursor + 2]
        if here.set_number and (not after or after[0].set_number != here.set_number):
            self.log.sets_done += 1
        self.cursor += 1

    def _entered(self) -> None:
        state = self.state
        self._emit("state", state=state)
        if state == PAUSED:
            self._say(PAUSED_LINE)
        elif state == STOP_AND_ADVISE:
            self._say_all(advice_for(self.advice_level or "stop"))
            self._end("pain")
        elif state == DONE:
            if self._stopping:
                self._say(STOPPED_LINE)
                self._end("stopped")
            else:
                self._say_all(self.routine.finish)
                self._end("completed")
        elif self._resuming:
            self._resuming = False
            self._say(RESUMING)
            self._say_all(self.current.step.say)
            if self.hold is not None:
                self.hold.since = self.clock.now()
        else:
            self._start_step()

    def _start_step(self) -> None:
        planned = self.current
        self.check_in_open = False
        self._say_all(planned.opening_lines())
        if planned.step.kind == "timed":
            assert planned.seconds is not None
            self.hold = Hold(planned.seconds, _marks(planned), since=self.clock.now())

    def _finish_hold(self, completed: bool) -> None:
        self._record_hold(completed)
        self._say_all(self.current.step.end_say)

    def _record_hold(self, completed: bool) -> None:
        """Log the hold in progress, if any (cut short by next, stop or pain unless completed)."""
        if self.hold is not None:
            state = (self.paused_from if self.state == PAUSED else None) or self.state
            spent = min(self.hold.spent(self.clock.now()), self.hold.duration)
            self.log.holds.append(HoldRecord(state, self.hold.duration, spent, completed))
            self.hold = None

    def _advance(self) -> None:
        self.trigger("advance")

    def _interrupt(self) -> None:
        self.speaker.interrupt()

    def _end(self, reason: str) -> None:
        self.hold = None
        self.end_reason = reason
        self._emit("end", reason=reason)

    # ------------------------------------------------------------ output

    def _say(self, text: str) -> None:
        self.speaker.say(text)
        self._emit("say", text=text)

    def _say_all(self, lines: tuple[str, ...]) -> None:
        for line in lines:
            self._say(line)

    def _emit(self, kind: str, **data: Any) -> None:
        self.on_event({"t": round(float(self.clock.now()), 3), "type": kind, **data})


def run_session(session: Session, clock: Clock, events: queue.Queue[InputEvent]) -> str:
    """Drive ``session`` from ``events`` on ``clock`` until it ends; return the end reason."""
    session.begin()
    while not session.ended:
        event = clock.wait(events, session.next_deadline())
        if event is None:
            session.tick()
        elif isinstance(event, InputEnded):
            session.end_of_input()
        elif isinstance(event, DeviceChange):
            session.device_changed(event.lost)
        else:
            session.hear(event.text, partial=event.partial, at=event.t)
    assert session.end_reason is not None
    return session.end_reason
