"""One guided session: a routine's plan walked step by step, on a clock passed in, by what is heard.

How to read it: :meth:`Session.handle` takes one input event; :meth:`Session.hear` turns words into an
intent and :meth:`Session._act` picks the one method that handles it. Pain goes straight to
:meth:`Session._stop_for_pain`: the speaker is cut, the advice queued, and only then is anything
reported. Holds run on the clock given, never on timer threads: the driver asks
:meth:`Session.next_deadline`, waits on its event queue until then, and calls :meth:`Session.tick`.

The session's mode lives in one ``transitions`` machine (exercising, paused, stop_and_advise, done),
built per session, whose graph is the safety rule: ``stop_and_advise`` has no transition out. Which
step of the plan is current lives only in ``step_index``.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
from collections.abc import Mapping
from dataclasses import dataclass

from transitions import Machine

from voiceguide.advice import ADVICE, speak_advice
from voiceguide.audio import faint
from voiceguide.clock import Clock
from voiceguide.events import (
    DeviceBack,
    DeviceLost,
    Ended,
    Heard,
    HoldEnded,
    HoldStarted,
    InputEnded,
    InputEvent,
    InputFailed,
    PainReported,
    Paused,
    Resumed,
    Said,
    SetDone,
    Started,
    StateEntered,
    Subscriber,
    TalkedOver,
    Understood,
)
from voiceguide.intents import GUARDED_INTENTS, Intent, IntentParser, worst_advice
from voiceguide.routines import PlannedStep, Routine
from voiceguide.speech import SilentSpeaker, Speaker, say_timed

log = logging.getLogger(__name__)

EXERCISING, PAUSED, STOP_AND_ADVISE, DONE = "exercising", "paused", "stop_and_advise", "done"

# Fixed lines the guide can say. None may parse as pain, stop or pause (see tests/test_self_hearing.py).
OPENING = "I'm listening the whole time, so tell me straight away how you feel if anything changes."
PAUSED_LINE = "Paused. Take your time, and say resume when you want to carry on."
RESUMING = "Resuming."
STOPPED_LINE = "Okay, we'll leave it there. Take your time before you get up."
HOLD_CHECK_IN = "How is that feeling?"
TEN_SECONDS_LEFT = "10 seconds left."
ACK = "Good."
MIC_LOST = "I can't hear you: the microphone is gone. I've paused, and I'll carry on when it's back."
MIC_BACK = "The microphone is back."
DEAF = "I can't hear you any more, so I'm ending the session here. Slowly ease out of the position and rest."
ARE_YOU_OK = {"wait": "Are you okay? Say ready to carry on, or tell me how you feel.",
              "check_in": "Are you okay? Say fine to carry on."}
NO_ANSWER = ("I haven't heard an answer, so we'll leave it there. Take your time before you get up, "
             "and ask someone for help if you need it.")
TAKE_YOUR_TIME = "Take your time. Say ready when you are."
CONFIRM_PAIN = "Sorry, I didn't catch that clearly. Are you okay? Say fine to carry on, or tell me how you feel."
CONFIRM_SECONDS = 10.0  # no answer to CONFIRM_PAIN in this long: stop and advise, to be safe
TALKED_OVER = "Sorry, I was talking. Are you okay? Say fine to carry on, or tell me how you feel."
LISTEN_FIRST = 1.5  # talked over, the guide listens this long before asking, so its question is not said over them
ASKING = ("unsure", "talk")  # pauses that halt the exercise to ask "Are you okay?" (see Paused.by)
# "stop" heard, not clearly, during an exercise: it halts at once, but the session ends only when told again (a
# person's recorded speech was read as "stop" 115 times an hour, and 1.5 % of other clean phrases, pain among them)
CONFIRM_STOP = "I've paused. To end the session, say stop again. To carry on, say resume."
STOP_ASKED = "stop"  # the pause that asks whether to end (see Paused.by)
QUESTIONS = (*ASKING, STOP_ASKED)
ASK_AGAIN = "Is it okay to carry on? Say fine to go on, or tell me what you feel."
VOICE_ACK = {"slower": "Slower.", "faster": "Faster.", "louder": "Louder.", "quieter": "Quieter."}
VOICE_LIMIT = {"slower": "That's as slow as I go.", "faster": "That's as fast as I go.",
               "louder": "That's as loud as I go.", "quieter": "That's as quiet as I go."}
HELP_LINE = ("Say ready or next to move on, repeat to hear a step again, or resume to carry on. "
             "To rest, or to end early, just tell me. I'm listening for how you feel the whole time.")
# Said once, at the next moment the guide waits for them, after an utterance heard faintly (audio.faint)
FAINT_VOICE = ("I can only just hear you, so I may miss what you tell me. If you can, bring the microphone closer, "
               "or turn it up.")
# Said once, when the user has answered twice that they are fine after pain the guide was not sure of: what makes
# it unsure, so that its questions make sense (someone else's talk halts the embedded recogniser often: README)
UNSURE_AGAIN = ("Thanks. That's twice I've had to check. Other voices, a television or noise near the microphone can "
                "make me unsure, so a quieter room will help.")
UNSURE_TOLD_AFTER = 2  # the answers of fine to unsure pain after which UNSURE_AGAIN is said
LISTEN_GREETING = "Ready when you are. Say start, and the name of a routine."
LISTEN_AGAIN = "Say start, and the name of a routine, when you want another."
LISTEN_STOPPED = "Okay. I'm here when you need me."
NO_MORE_TODAY = ("Because of what you told me, I won't start another exercise now. Please have a health "
                 "professional check you first; once they have, you can start me again.")
FIXED_LINES = (LISTEN_GREETING, LISTEN_AGAIN, LISTEN_STOPPED, NO_MORE_TODAY, OPENING, PAUSED_LINE, RESUMING,
               STOPPED_LINE, HOLD_CHECK_IN, TEN_SECONDS_LEFT, ACK, HELP_LINE, MIC_LOST, MIC_BACK, DEAF,
               *ARE_YOU_OK.values(), NO_ANSWER, TAKE_YOUR_TIME, CONFIRM_PAIN, TALKED_OVER, ASK_AGAIN,
               *VOICE_ACK.values(), *VOICE_LIMIT.values(), FAINT_VOICE, UNSURE_AGAIN)

# Silence is followed up, never waited out forever: (seconds since the step began or the user last spoke, what
# to do). A step that waits for "ready" says its prompt again, twice, then asks if all is well, then ends the
# session; an unanswered check-in asks once more, then ends it. Holds are never cut short by this, and
# nothing is chased while paused (the user asked for time).
NUDGES: dict[str, tuple[tuple[float, str], ...]] = {
    "wait": ((60.0, "prompt"), (120.0, "prompt"), (180.0, "are_you_ok"), (210.0, "end")),
    "check_in": ((20.0, "are_you_ok"), (40.0, "end")),
}


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
        running = max(0.0, now - self.since) if self.since is not None else 0.0  # 0 until it begins
        return min(self.duration, self.elapsed + running)

    def left(self, now: float) -> float:
        return self.duration - self.spent(now)

    def freeze(self, now: float) -> None:
        self.elapsed = self.spent(now)
        self.since = None


TEN_SECONDS_FROM = 20.0  # holds at least this long say when 10 seconds are left
MARK_GAP = 3.0  # seconds kept free after a spoken mark, so lines never run into each other


def _marks(p: PlannedStep) -> list[tuple[float, str | None]]:
    """What a hold says, when: the check-in near its middle, "10 seconds left" on long holds, the countdown."""
    seconds = p.seconds or 0.0
    countdown_from = seconds - p.step.countdown
    marks: list[tuple[float, str | None]] = [(seconds - k, str(k)) for k in range(p.step.countdown, 0, -1)]
    next_mark = countdown_from
    if seconds >= TEN_SECONDS_FROM and seconds - 10 <= countdown_from - MARK_GAP:
        marks.append((seconds - 10, TEN_SECONDS_LEFT))
        next_mark = seconds - 10
    if p.step.check_in:
        at = float(int(min(seconds / 2, next_mark - MARK_GAP)))
        if at >= MARK_GAP:
            marks.append((at, HOLD_CHECK_IN))
    marks.append((seconds, None))
    return sorted(marks, key=lambda m: m[0])


def seconds_left_line(seconds: float) -> str:
    """The time left on a hold, rounded to a whole second: "12 seconds left." (never less than one)."""
    n = max(1, round(seconds))
    return "1 second left." if n == 1 else f"{n} seconds left."


def guide_lines(library: Mapping[str, Routine]) -> list[str]:
    """Every line the guide can say: fixed lines, each routine's title and lines, the advice, the countdown."""
    lines = [*FIXED_LINES, *(line for lines in ADVICE.values() for line in lines), *map(str, range(1, 11)),
             *(seconds_left_line(n) for n in range(1, 61))]
    for routine in library.values():
        unit, most = routine.sets.unit.capitalize(), routine.sets.max
        lines += [f"{routine.title}.", *routine.spoken_lines(), "Last one.", "Last set.",
                  *(f"{unit} {n} of {total}." for total in range(2, most + 1) for n in range(1, total))]
    return list(dict.fromkeys(lines))


def mode_machine() -> Machine:
    """The session's modes and the only ways between them. Nothing leaves stop_and_advise."""
    machine = Machine(states=[EXERCISING, PAUSED, STOP_AND_ADVISE, DONE], initial=EXERCISING,
                      auto_transitions=False)
    machine.add_transition("pause", EXERCISING, PAUSED)
    machine.add_transition("resume", PAUSED, EXERCISING)
    machine.add_transition("finish", EXERCISING, DONE)
    machine.add_transition("stop", [EXERCISING, PAUSED], DONE)
    machine.add_transition("pain", [EXERCISING, PAUSED], STOP_AND_ADVISE)
    return machine


@dataclass
class Question:
    """The guide has halted the exercise to ask "Are you okay?" (or whether to end) about ``utterance`` (its later
    utterances are the answer): ``line`` is said at ``ask_at`` (None once said), and the answer awaited for
    CONFIRM_SECONDS after; ``pain`` if pain was heard in that utterance, not clearly."""

    utterance: int
    line: str | None
    ask_at: float
    pain: Intent | None = None

    @property
    def until(self) -> float:
        return self.ask_at + CONFIRM_SECONDS

    def due(self) -> float:
        """When the session next has something to do about the question."""
        return self.ask_at if self.line else self.until


class Session:
    """One guided run of a routine; everything it does goes to ``publish`` as typed events."""

    def __init__(self, routine: Routine, clock: Clock, *, publish: Subscriber, speaker: Speaker | None = None,
                 parser: IntentParser | None = None, sets: int | None = None, hold: int | None = None,
                 heard_before: int = 0, programme: str | None = None, told_faint: bool = False):
        self.routine = routine
        self.programme = programme
        self.plan = routine.plan(sets, hold)
        self.clock = clock
        self.publish = publish
        self.speaker = speaker or SilentSpeaker()
        self.parser = parser or IntentParser({routine.id: routine.names})
        self.machine = mode_machine()
        self.step_index = 0
        self.hold: Hold | None = None
        self.nudges: list[tuple[float, str]] = []  # (clock time, action): the silence follow-ups due in this step
        self.check_in_open = False
        self.paused_by: str | None = None  # "user", "microphone", "unsure", "talk" or "stop" while paused
        self.question: Question | None = None  # the guide has halted to ask "Are you okay?" (or whether to end)
        self.sets_done = 0
        self.heard_before = heard_before  # utterances acted on before this session: their results are not for it
        self.last_utterance = heard_before  # the newest utterance this session has heard (see Heard.utterance)
        self.advice_level: str | None = None
        self.end_reason: str | None = None
        self.upcoming: list[Said | HoldStarted] = []  # timed later than now: published when the clock gets there
        self.heard_faint = False  # an utterance came faintly: FAINT_VOICE is due when the guide next waits
        self.told_faint = told_faint  # it has been said (in this session, or before it when ``told_faint``)
        self.fine_after_unsure = 0  # how often they said they were fine after pain it was not sure of

    # ------------------------------------------------------------ what others may ask

    @property
    def mode(self) -> str:
        return self.machine.state

    @property
    def state(self) -> str:
        """The current step's name while exercising; otherwise the mode."""
        return self.current.state if self.mode == EXERCISING else self.mode

    @property
    def current(self) -> PlannedStep:
        return self.plan[self.step_index]

    @property
    def ended(self) -> bool:
        return self.end_reason is not None

    def next_deadline(self) -> float | None:
        """When the session next needs the clock (a hold's mark, or a silence follow-up); None if never."""
        if self.ended:
            return None
        due = [d for d in (self.upcoming[0].t if self.upcoming else None,
                           self.hold.deadline() if self.hold else None,
                           self.nudges[0][0] if self.nudges and self.mode == EXERCISING else None,
                           self.question.due() if self.question else None) if d is not None]
        return min(due, default=None)

    # ------------------------------------------------------------ driving

    def begin(self) -> None:
        """Enter the first step and speak its lines."""
        self.publish(Started(self.clock.now(), self.routine.id, self.routine.title, self.plan[-1].set_number,
                             self.programme, self.routine.sets.unit))
        self._enter_step()
        self._say(f"{self.routine.title}.")
        self._say(OPENING)
        self.speaker.prepare([*self.routine.spoken_lines(), HOLD_CHECK_IN, TEN_SECONDS_LEFT, ACK,
                              *map(str, range(1, 11))])
        self._open_step()
        self.tick()

    def handle(self, event: InputEvent) -> None:
        """Act on one input event."""
        if isinstance(event, Heard) and event.utterance and event.utterance <= self.heard_before:
            return  # the rest of an utterance already acted on, before this session began
        if isinstance(event, Heard):
            self.hear(event.text, partial=event.partial, at=event.t, utterance=event.utterance, sure=event.sure,
                      typed=event.typed, over_guide=event.over_guide, talk=event.talk, alone=event.alone,
                      level=event.level)
        elif isinstance(event, TalkedOver):
            self._talked_over(event.utterance)
        elif isinstance(event, DeviceLost):
            self._microphone_lost()
        elif isinstance(event, DeviceBack):
            self._microphone_back()
        elif isinstance(event, InputFailed):
            self._deaf(event.reason)
        elif isinstance(event, InputEnded) and not self.ended:
            self._end_early("script_ended", line=None)
        self.tick()

    def interrupt(self) -> None:
        """The program is being stopped (a signal): end here, so the history says how it ended."""
        if not self.ended:
            self._end_early("interrupted", line=None)

    def tick(self) -> None:
        """Do whatever is due at the clock's current time: countdown lines, ends of holds, silence follow-ups."""
        self._publish_due()
        now = self.clock.now()
        if self.question is not None and self.question.line and now >= self.question.ask_at:
            self._say(self.question.line)
            self.question.line = None
        if self.question is not None and now >= self.question.until:
            self._no_answer_to_question()
        while not self.ended and self.nudges and self.mode == EXERCISING and self.nudges[0][0] <= now:
            self._follow_up_silence(self.nudges.pop(0)[1])
        while not self.ended and self.hold is not None:
            deadline = self.hold.deadline()
            if deadline is None or deadline > now:
                return
            _, line = self.hold.marks.pop(0)
            if line is None:
                self._close_hold(completed=True)
                self._say_all(self.current.step.end_say)
                self._advance()
            else:
                self._say(line)
                self.check_in_open = self.check_in_open or line == HOLD_CHECK_IN

    def hear(self, text: str, *, partial: bool = False, at: float | None = None, utterance: int = 0,
             sure: bool = True, typed: bool = False, over_guide: bool = False, talk: bool = False,
             alone: bool = True, level: float | None = None) -> Intent:
        """Act on something the user said; partial text is only acted on for pain, and so is text read out of a
        longer stretch of talk (not ``alone``: someone talking, not a command said to the guide).

        While the guide talks, the microphone hears mostly the guide: only pain, stop and pause are acted on
        then, and only when the recogniser is sure of them (typed words are always acted on). The same holds for
        an utterance that began while the guide talked (``over_guide``), even once it has stopped; pain that is
        not sure counts there too when someone was heard talking over the guide with it (``talk``). Pain heard
        when it is not sure halts the exercise at once and asks (see :meth:`_ask_about_pain`); so does a stop
        heard when it is not sure, and the session ends when told again (``CONFIRM_STOP``). An utterance acted on
        whose voice ``level`` was faint is followed by FAINT_VOICE, once, when the guide next waits for them.
        """
        self.last_utterance = max(self.last_utterance, utterance)
        intent = self.parser.parse(text)
        if self.ended or (partial and intent.intent != "pain"):
            return intent
        if not alone and intent.intent != "pain":
            self.publish(Understood(self.clock.now(), text, intent.intent, ignored="it came amid longer talk",
                                    level=level))
            return intent
        t = self.clock.now() if at is None else at
        guarded = intent.intent in GUARDED_INTENTS
        # their words and their voice, each unclear, agree: that halts the guide (it answers no question)
        heard_over_talk = intent.intent == "pain" and talk and self.question is None
        if not typed and (self.speaker.busy(t) or over_guide) and not (guarded and sure) and not heard_over_talk:
            why = "the guide was speaking" if not guarded else "the guide was speaking, and it was not clear"
            self.publish(Understood(self.clock.now(), text, intent.intent, ignored=why, level=level))
            return intent
        self.publish(Understood(self.clock.now(), text, intent.intent, level=level))
        self.heard_faint = self.heard_faint or faint(level)
        self._arm_nudges()  # they are talking: the silence follow-ups count from now
        if self.question is not None and (utterance == 0 or utterance > self.question.utterance):
            self._answer_question(intent)  # an answer is a later utterance, not the rest of the one asked about
        elif self.question is not None:
            if intent.intent == "pain" and sure:
                self._stop_for_pain(intent)
            elif intent.intent == "pain":
                self.question.pain = self.question.pain or intent  # now silence, too, means stop
        elif intent.intent == "pain" and not sure:
            self._ask_about_pain(intent, utterance)
        elif intent.intent == "stop" and not sure and self.mode == EXERCISING:
            self._ask(Question(utterance, CONFIRM_STOP, self.clock.now()), STOP_ASKED)
        elif not self._act(intent):
            log.info("ignored %r (%s) in state %s", text, intent.intent, self.state)
        self._tell_if_faint()
        self.tick()
        return intent

    # ------------------------------------------------------------ intents

    def _act(self, intent: Intent) -> bool:
        """Carry out an intent; False if it means nothing in the current state."""
        kind = intent.intent
        if kind == "pain":
            self._stop_for_pain(intent)
        elif kind == "stop":
            self._cut_speech()
            self._end_early("stopped", line=STOPPED_LINE)
        elif kind == "help":
            self._say(HELP_LINE)
        elif kind in VOICE_ACK:
            self._say(VOICE_ACK[kind] if self.speaker.adjust(kind) else VOICE_LIMIT[kind])
        elif self.mode == PAUSED:
            return self._act_while_paused(kind)
        elif kind == "pause":
            self._cut_speech()
            self._pause(by="user")
        elif kind == "repeat":
            self._say_all(self.current.opening_lines())
        elif kind == "not_ready" and self.current.step.kind != "timed":
            self._say(TAKE_YOUR_TIME)
        elif kind == "unsure" and (self.check_in_open or self.current.step.kind == "check_in"):
            self._say(ASK_AGAIN)  # neither clearly fine nor pain: ask, rather than carry on
        else:
            return self._move_on(kind)
        return True

    def _act_while_paused(self, kind: str) -> bool:
        if kind in ("repeat", "not_ready"):
            self._say(PAUSED_LINE)
        elif kind in ("resume", "ready"):
            self._resume()
        else:
            return False
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
            self._close_hold(completed=False)
            self._say_all(self.current.step.end_say)
        elif kind in ("ready", "next") or (step_kind == "check_in" and kind == "ok"):
            if step_kind == "check_in":
                self._say(ACK)
        else:
            return False
        self._advance()
        return True

    # ------------------------------------------------------------ the pain path

    def _stop_for_pain(self, intent: Intent) -> None:
        """Stop at once and advise; the advice is on its way to the speaker before anything is reported."""
        level = intent.advice or "stop"
        said = speak_advice(self.speaker, level, self.clock.now())
        self.upcoming = []
        self.advice_level = level
        self.question = None
        state = self.current.state
        self.machine.trigger("pain")
        now = self.clock.now()
        self.publish(StateEntered(now, STOP_AND_ADVISE))
        self._close_hold(completed=False)
        self.publish(PainReported(now, intent.text, level, state))
        for line in said:
            self.publish(line)
        self._end("pain")

    def _ask_about_pain(self, intent: Intent, utterance: int) -> None:
        """Pain heard, but not clearly: halt the exercise at once (the hold freezes, counting stops) and ask."""
        self._ask(Question(utterance, CONFIRM_PAIN, self.clock.now(), pain=intent), "unsure")

    def _talked_over(self, utterance: int) -> None:
        """Someone talked over the guide: it may be pain the recogniser cannot make out under the guide's voice.
        Stop talking and halt the exercise; listen to the rest of what they say, then ask."""
        if self.ended or self.mode != EXERCISING or self.question is not None:
            return
        self._ask(Question(utterance, TALKED_OVER, self.clock.now() + LISTEN_FIRST), "talk")

    def _ask(self, question: Question, why: str) -> None:
        self._cut_speech()
        self.question = question
        if self.mode == EXERCISING:
            self._pause(by=why)
        self.tick()

    def _answer_question(self, intent: Intent) -> None:
        """Pain or a no stops with the advice (a no to whether to end keeps it halted); fine (or yes, or carry on)
        goes on (the second time after unsure pain, saying first what makes it unsure: UNSURE_AGAIN); stop ends."""
        asked, kind = self.question, intent.intent
        assert asked is not None
        if kind == "pain":
            if asked.pain is not None:
                worse = worst_advice(asked.pain.advice, intent.advice)
                intent = Intent(f"{asked.pain.text} / {intent.text}", "pain", advice=worse)
            self._stop_for_pain(intent)
        elif {"no", "not", "nope"} & set(intent.text.lower().replace(",", " ").split()):
            if self.paused_by == STOP_ASKED and asked.pain is None:
                self._stay_paused()  # "no" to ending: the exercise stays halted until they say resume
            else:
                self._stop_for_pain(asked.pain or Intent(intent.text, "pain", advice="stop"))
        elif kind in ("ok", "ready", "resume"):
            self.question = None
            if self.paused_by not in QUESTIONS:
                return
            if self.paused_by == "unsure":
                self.fine_after_unsure += 1
                if self.fine_after_unsure == UNSURE_TOLD_AFTER:
                    self._say(UNSURE_AGAIN)
            if kind == "ready" and self.current.step.kind == "wait":
                self._unpause()  # "ready" at a step that waits for it: they are ready, so go on
                self._move_on(kind)
            else:
                self._resume()
        elif kind == "stop":
            self.question = None
            self._act(intent)
        elif kind == "pause":
            self._stay_paused()

    def _stay_paused(self) -> None:
        self.question = None
        if self.paused_by in QUESTIONS:
            self.paused_by = "user"
            self._say(PAUSED_LINE)

    def _no_answer_to_question(self) -> None:
        """No answer: after pain heard unclearly, stop and advise (the safe reading); after talk the guide
        could not make out, or a stop heard unclearly, stay paused until they say resume."""
        asked = self.question
        assert asked is not None
        if asked.pain is not None:
            self._stop_for_pain(asked.pain)
        else:
            self._stay_paused()

    # ------------------------------------------------------------ pausing and the microphone

    def _pause(self, by: str) -> None:
        if self.hold is not None:
            self.hold.freeze(self.clock.now())
            self.upcoming = [e for e in self.upcoming if not isinstance(e, HoldStarted)]  # one not yet begun
        self.machine.trigger("pause")
        self.paused_by = by
        self.publish(Paused(self.clock.now(), by))
        self.publish(StateEntered(self.clock.now(), PAUSED))
        if by == "user":
            self._say(PAUSED_LINE)

    def _unpause(self) -> None:
        self.machine.trigger("resume")
        self._arm_nudges()
        self.paused_by = None
        self.publish(Resumed(self.clock.now()))

    def _resume(self) -> None:
        self._unpause()
        self._enter_step()
        self._say(RESUMING)
        if self.hold is None:
            self._say_all(self.current.step.say)
            return
        left = self.hold.left(self.clock.now())  # the cue to take the position again, then the time left
        self._say(self.current.step.say[-1])
        if left < self.hold.duration:
            self._say(seconds_left_line(left))
        self.hold.since = self.speaker.finishes_at(self.clock.now())
        self._schedule(HoldStarted(self.hold.since, self.current.state, self.hold.duration, round(left, 3)))

    def _microphone_lost(self) -> None:
        """Say so (without cutting what is being said), and pause until it is back."""
        if self.ended:
            return
        self._say(MIC_LOST)
        if self.mode == EXERCISING:
            self._pause(by="microphone")

    def _microphone_back(self) -> None:
        if self.ended:
            return
        self._say(MIC_BACK)
        if self.paused_by == "microphone":
            self._resume()

    def _deaf(self, reason: str) -> None:
        """The input died: say so and end, rather than wait for words that can never come."""
        if not self.ended:
            log.warning("input failed: %s", reason)
            self._end_early("input_failed", line=DEAF)

    # ------------------------------------------------------------ steps

    def _follow_up_silence(self, action: str) -> None:
        kind = self.current.step.kind
        if action == "prompt":
            self._say(self.current.step.say[-1])
        elif action == "are_you_ok":
            self._say(ARE_YOU_OK[kind])
        else:
            self._end_early("no_answer", line=NO_ANSWER)

    def _arm_nudges(self) -> None:
        now = self.clock.now()
        self.nudges = [(now + after, action) for after, action in NUDGES.get(self.current.step.kind, ())]

    def _open_step(self) -> None:
        planned = self.current
        self._arm_nudges()
        self.check_in_open = False
        if progress := self._progress():
            self._say(progress)
        self._say_all(planned.opening_lines())
        if planned.step.kind == "timed":
            assert planned.seconds is not None
            begins = self.speaker.finishes_at(self.clock.now())  # once its instruction has been said
            self.hold = Hold(planned.seconds, _marks(planned), since=begins)
            self._schedule(HoldStarted(begins, planned.state, planned.seconds))
        self._tell_if_faint()

    def _tell_if_faint(self) -> None:
        """Say FAINT_VOICE, once, if an utterance came faintly and the guide now waits for the user: never over a
        hold's countdown, a question or the advice."""
        if (self.heard_faint and not self.told_faint and not self.ended and self.mode == EXERCISING
                and self.hold is None and self.question is None and self.current.step.kind != "timed"):
            self.told_faint = True
            self._say(FAINT_VOICE)

    def _progress(self) -> str | None:
        """At the first step of each set or rep, where the person is: "Set 2 of 3.", "Rep 5 of 8.", "Last one."."""
        here, total = self.current.set_number, self.plan[-1].set_number
        first = self.step_index == 0 or self.plan[self.step_index - 1].set_number != here
        if not here or not first or total < 2:
            return None
        if here == total:
            return "Last one." if self.routine.sets.unit == "rep" else "Last set."
        return f"{self.routine.sets.unit.capitalize()} {here} of {total}."

    def _advance(self) -> None:
        here = self.current
        after = self.plan[self.step_index + 1] if self.step_index + 1 < len(self.plan) else None
        if here.set_number and (after is None or after.set_number != here.set_number):
            self.sets_done += 1
            self.publish(SetDone(self.clock.now(), here.set_number, self.plan[-1].set_number))
        if after is None:
            self.machine.trigger("finish")
            self.publish(StateEntered(self.clock.now(), DONE))
            self._say_all(self.routine.finish)
            self._end("completed")
            return
        self.step_index += 1
        self._enter_step()
        self._open_step()

    def _close_hold(self, completed: bool) -> None:
        """Report the hold in progress, if any, with the time actually held."""
        if self.hold is not None:
            held = round(self.hold.spent(self.clock.now()), 3)
            self.publish(HoldEnded(self.clock.now(), self.current.state, self.hold.duration, held, completed))
            self.hold = None

    def _end_early(self, reason: str, line: str | None) -> None:
        self._close_hold(completed=False)
        self.machine.trigger("stop")
        self.publish(StateEntered(self.clock.now(), DONE))
        if line:
            self._say(line)
        self._end(reason)

    def _end(self, reason: str) -> None:
        """End here. Lines still queued will be said: they are reported, and the end comes after them."""
        self.hold = None
        self.nudges = []
        self.end_reason = reason
        for event in self.upcoming:
            if isinstance(event, Said):
                self.publish(event)
        self.upcoming = []
        now = self.clock.now()
        self.publish(Ended(self.speaker.finishes_at(now), reason))

    # ------------------------------------------------------------ output

    def _enter_step(self) -> None:
        self.publish(StateEntered(self.clock.now(), self.state, self.current.set_number or None))

    def _say(self, text: str) -> None:
        """Queue a line; it is reported when it begins (after the lines before it), with its duration."""
        self._schedule(say_timed(self.speaker, text, self.clock.now()))

    def _cut_speech(self) -> None:
        """Cut the speaker; the lines it will now never say are never reported."""
        self.speaker.interrupt()
        self.upcoming = [e for e in self.upcoming if not isinstance(e, Said)]

    def _schedule(self, event: Said | HoldStarted) -> None:
        self.upcoming.append(event)
        self.upcoming.sort(key=lambda e: e.t)  # stable: at the same moment, in the order they were made
        self._publish_due()

    def _publish_due(self) -> None:
        now = self.clock.now()
        if self.speaker.finishes_at(now) <= now:  # nothing left to say, yet lines wait: speech out failed
            for line in [e for e in self.upcoming if isinstance(e, Said)]:
                self.upcoming.remove(line)
                self.publish(dataclasses.replace(line, t=now))  # their cues are printed instead, now
        while self.upcoming and self.upcoming[0].t <= now:
            self.publish(self.upcoming.pop(0))

    def _say_all(self, lines: tuple[str, ...]) -> None:
        for line in lines:
            self._say(line)


def run_session(session: Session, clock: Clock, events: queue.SimpleQueue[InputEvent]) -> str:
    """Drive ``session`` from ``events`` on ``clock`` until it ends; return the end reason."""
    session.begin()
    while not session.ended:
        event = clock.wait(events, session.next_deadline())
        if event is None:
            session.tick()
        else:
            session.handle(event)
    assert session.end_reason is not None
    return session.end_reason
