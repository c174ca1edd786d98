"""Property-based tests: random utterances at random times, on every routine.

Invariants: no exception; after a pain intent the session is in stop_and_advise and never in an
exercise state again; a hold that is not interrupted spends exactly its duration in its state
(pauses excluded); the session always ends, or is left waiting for the user.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.conftest import LIBRARY, json_collector
from voiceguide.clock import VirtualClock
from voiceguide.events import Heard
from voiceguide.intents import IntentParser
from voiceguide.routines import spoken_names
from voiceguide.session import PAUSED, STOP_AND_ADVISE, Session
from voiceguide.simulate import simulate

PARSER = IntentParser(spoken_names(LIBRARY))
WORDS = [
    "ready", "next", "pause", "resume", "repeat", "stop", "fine", "okay", "help", "what can I say",
    "hold on", "carry on", "banana", "start shotgun", "let's do glute bridges", "no pain", "it doesn't hurt",
    "ouch", "that really hurts", "my leg is tingling", "pins and needles", "I wet myself", "not bad", "",
    "ready ready", "yes", "skip", "wait", "keep going",
]
utterance = st.sampled_from(WORDS)
gap = st.floats(min_value=0.0, max_value=40.0, allow_nan=False, allow_infinity=False)


def check(session: Session, events: list[dict]) -> None:
    exercise = set(session.routine.states())
    # Pain: the first pain heard is followed by stop_and_advise and nothing else of the routine.
    pain_at = next((i for i, e in enumerate(events) if e["type"] == "heard" and e["intent"] == "pain"), None)
    if pain_at is not None:
        after = [e["state"] for e in events[pain_at:] if e["type"] == "state"]
        assert after == [STOP_AND_ADVISE]
        assert not exercise & set(after)
        assert events[-1]["reason"] == "pain"
        assert session.state == STOP_AND_ADVISE
    # Holds that ran out spent exactly their planned time.
    for hold in (e for e in events if e["type"] == "hold"):
        if hold["completed"]:
            assert hold["held"] == pytest.approx(hold["planned"], abs=1e-9)
        else:
            assert hold["held"] <= hold["planned"] + 1e-9
    # It always ends; if the input ran out first, the session was waiting for the user.
    assert events[-1]["type"] == "end"
    if events[-1]["reason"] == "script_ended":
        waited_in = [e["state"] for e in events if e["type"] == "state"][-2]  # the state before "done"
        kinds = {step.state: step.kind for step in (*session.routine.setup, *session.routine.steps)}
        assert waited_in == PAUSED or kinds[waited_in] != "timed"


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rid=st.sampled_from(list(LIBRARY)), steps=st.lists(st.tuples(gap, utterance, st.booleans()), max_size=40),
       sets=st.none() | st.integers(2, 3), hold=st.none() | st.integers(15, 30))
def test_random_sessions_keep_the_invariants(rid, steps, sets, hold):
    routine = LIBRARY[rid]
    sets = sets if routine.sets.min <= (sets or routine.sets.min) <= routine.sets.max else None
    hold = hold if routine.hold and routine.hold.min <= (hold or 0) <= routine.hold.max else None
    t, heard = 0.0, []
    for dt, words, partial in steps:
        t += dt
        heard.append(Heard(t, words, partial))
    events, publish = json_collector()
    session = simulate(routine, heard, publish=publish, sets=sets, hold=hold)
    check(session, events)


class SessionMachine(RuleBasedStateMachine):
    """Interleaves clock advances and utterances on one session, checking after every step."""

    @initialize(rid=st.sampled_from(list(LIBRARY)))
    def begin(self, rid):
        self.clock = VirtualClock()
        self.events, publish = json_collector()
        self.session = Session(LIBRARY[rid], self.clock, publish=publish, parser=PARSER)
        self.session.begin()
        self.pained = False

    @rule(seconds=gap)
    def wait(self, seconds):
        until = self.clock.t + seconds
        for _ in range(10_000):
            deadline = self.session.next_deadline()
            if deadline is None or deadline > until:
                break
            self.clock.t = deadline
            self.session.tick()
        self.clock.t = until

    @rule(words=utterance, partial=st.booleans())
    def say(self, words, partial):
        was_live = not self.session.ended
        intent = self.session.hear(words, partial=partial)
        self.pained |= was_live and intent.intent == "pain"

    @invariant()
    def safe(self):
        if self.pained:
            assert self.session.state == STOP_AND_ADVISE
            states = [e["state"] for e in self.events if e["type"] == "state"]
            assert states[-1] == STOP_AND_ADVISE and states.count(STOP_AND_ADVISE) == 1
        if not self.session.ended and self.session.state != PAUSED and self.session.current.step.kind == "timed":
            assert self.session.next_deadline() is not None  # a hold never stalls

    @invariant()
    def holds_exact(self):
        for hold in (e for e in self.events if e["type"] == "hold"):
            if hold["completed"]:
                assert hold["held"] == pytest.approx(hold["planned"], abs=1e-9)


TestSessionMachine = SessionMachine.TestCase
TestSessionMachine.settings = settings(max_examples=500, stateful_step_count=60, deadline=None)
