"""The session state machine: full runs, timing on the virtual clock, commands, and the safety stop."""

from __future__ import annotations

import logging
import queue

import pytest

from tests.conftest import LIBRARY, FakeSpeaker, drive, json_collector, run_through
from voiceguide.advice import ADVICE
from voiceguide.audio import FAINT_VOICE_DBFS
from voiceguide.clock import VirtualClock
from voiceguide.events import DeviceBack, DeviceLost, Heard, InputEnded, InputFailed, Paused, Said, TalkedOver
from voiceguide.session import (
    ARE_YOU_OK,
    CONFIRM_PAIN,
    CONFIRM_STOP,
    DEAF,
    DONE,
    EXERCISING,
    FAINT_VOICE,
    HELP_LINE,
    LISTEN_FIRST,
    MIC_BACK,
    MIC_LOST,
    NO_ANSWER,
    PAUSED,
    PAUSED_LINE,
    STOP_AND_ADVISE,
    TALKED_OVER,
    UNSURE_AGAIN,
    Session,
    run_session,
)


@pytest.mark.parametrize("rid", list(LIBRARY))
def test_every_routine_runs_to_completion(rid):
    routine = LIBRARY[rid]
    d = drive(routine)
    run_through(d)
    assert d.session.end_reason == "completed"
    assert d.states()[-1] == DONE
    plan = routine.plan()
    assert d.states()[:-1] == [p.state for p in plan]
    timed = [p for p in plan if p.step.kind == "timed"]
    assert [(h.state, h.planned, h.held, h.completed) for h in d.holds()] == [
        (p.state, p.seconds, p.seconds, True) for p in timed]
    assert d.session.sets_done == routine.sets.default
    assert d.lines()[-len(routine.finish):] == list(routine.finish)
    assert d.json()[-1] == {"t": d.clock.t, "type": "end", "reason": "completed"}


def test_shotgun_flow_and_countdown():
    d = drive(LIBRARY["shotgun"], sets=2)
    d.say("ready", at=3)
    assert d.session.state == "squeeze"
    d.run_timers(until=7.999)
    assert d.session.state == "squeeze"
    said = [(e["t"], e["text"]) for e in d.json() if e["type"] == "say" and e["t"] >= 3]
    assert [s for s in said if s[1] in "54321"] == [(3.0, "5"), (4.0, "4"), (5.0, "3"), (6.0, "2"), (7.0, "1")]
    d.run_timers(until=8.0)
    assert d.session.state == "release"  # waits for the user
    d.run_timers(until=60)
    assert d.session.state == "release"
    d.say("ready")
    d.run_timers()
    assert d.session.state == "check_in"  # push, rest (timed, moves on by itself), then check in
    assert [s for s in d.states() if s != "setup"] == ["squeeze", "release", "push", "rest", "check_in"]
    d.say("fine")
    assert d.session.state == "squeeze"
    run_through(d)
    assert d.session.end_reason == "completed" and d.session.sets_done == 2


def test_pause_freezes_the_hold_and_resume_continues_it():
    d = drive(LIBRARY["spinal-twist"])
    d.say("ready", at=1)
    start = d.clock.t
    d.say("pause", at=start + 6.5)
    assert d.session.state == PAUSED
    d.run_timers(until=start + 500)  # nothing is due while paused
    assert d.session.state == PAUSED and d.session.next_deadline() is None
    d.say("resume")
    assert d.session.state == "hold"
    assert d.session.next_deadline() == pytest.approx(d.clock.t + 7 - 6.5)  # the check-in, 7 s in
    d.run_timers(until=d.clock.t + 13.5 - 1e-9)
    assert d.session.state == "hold"
    d.run_timers(until=d.clock.t + 1e-9)
    assert d.session.state == "switch_sides"
    assert d.holds()[0].held == pytest.approx(20.0)
    assert d.pauses() == 1


def test_pause_and_resume_in_a_waiting_step():
    d = drive(LIBRARY["shotgun"])
    d.say("hold on")
    assert d.session.state == PAUSED
    d.say("ready")  # 'ready' resumes too
    assert d.session.state == "setup"
    d.say("ready")
    assert d.session.state == "squeeze"


def test_repeat_says_the_current_instruction_again_without_restarting_the_hold():
    d = drive(LIBRARY["shotgun"])
    d.say("ready", at=1)
    d.say("repeat", at=2.5)
    assert d.lines()[-1] == LIBRARY["shotgun"].steps[0].say[-1]
    d.run_timers(until=5.999)
    assert d.session.state == "squeeze"
    d.run_timers(until=6.0)  # still 5 s after the hold began
    assert d.session.state == "release"
    d.say("what can I say")
    assert "repeat" in d.lines()[-1]


def test_next_skips_a_hold_and_says_its_closing_line():
    d = drive(LIBRARY["spinal-twist"])
    d.say("ready", at=1)
    d.say("next", at=4)
    assert d.session.state == "switch_sides"
    assert "Slowly bring your knee back to the centre." in d.lines()
    assert d.holds()[0].completed is False


def test_stop_ends_the_session():
    d = drive(LIBRARY["glute-bridge"])
    d.say("ready", at=1)
    d.say("stop", at=2)
    assert d.session.state == DONE and d.session.end_reason == "stopped"
    assert d.json()[-1] == {"t": 2.0, "type": "end", "reason": "stopped"}


@pytest.mark.parametrize("words, reason", [("stop", "stopped"), ("it hurts", "pain")])
def test_a_hold_cut_short_is_logged_with_the_time_held(words, reason):
    d = drive(LIBRARY["spinal-twist"])
    d.say("ready", at=1)  # the first side's hold starts
    d.say(words, at=3.5)
    assert d.session.end_reason == reason
    assert [(h.state, h.held, h.completed) for h in d.holds()] == [("hold", pytest.approx(2.5), False)]
    assert "Slowly bring your knee back to the centre." not in d.lines()  # nor does it say its closing line


def test_a_paused_hold_cut_short_is_logged_under_its_exercise():
    d = drive(LIBRARY["shotgun"])
    d.say("ready", at=1)
    d.say("pause", at=2)
    d.say("ouch", at=60)  # paused time does not count as holding
    assert [(h.state, h.held, h.completed) for h in d.holds()] == [("squeeze", pytest.approx(1.0), False)]


def test_words_that_mean_nothing_here_are_ignored(caplog):
    caplog.set_level(logging.INFO, logger="voiceguide.session")
    d = drive(LIBRARY["shotgun"])
    d.say("fine", at=1)  # 'fine' during set-up
    assert d.session.state == "setup"
    d.say("ready", at=2)
    d.say("ready", at=3)  # 'ready' during a hold
    assert d.session.state == "squeeze"
    d.say("start glute bridges", at=4)
    assert d.session.state == "squeeze"
    assert "ignored 'fine' (ok) in state setup" in caplog.text
    assert "ignored 'ready' (ready) in state squeeze" in caplog.text


def test_hold_check_in_answers():
    d = drive(LIBRARY["spinal-twist"])
    d.say("ready", at=1)
    d.run_timers(until=8)  # 7 s into a 20-s hold: well before "10 seconds left" and the countdown
    assert d.lines()[-1] == "How is that feeling?"
    d.say("fine")
    assert d.lines()[-1] == "Good." and d.session.state == "hold"
    d.say("it hurts")
    assert d.session.state == STOP_AND_ADVISE


def _reach(rid: str, state: str):
    """A driven session standing in ``state``."""
    d = drive(LIBRARY[rid])
    if state == PAUSED:
        d.say("pause")
        return d
    for _ in range(200):
        if d.session.state == state:
            return d
        if d.session.hold is not None:
            d.clock.t = d.session.next_deadline()
            d.session.tick()
        else:
            d.say("fine" if d.session.current.step.kind == "check_in" else "ready")
    raise AssertionError(f"never reached {state}")


EVERY_STATE = [(rid, s) for rid, r in LIBRARY.items() for s in [*r.states(), PAUSED]]


@pytest.mark.parametrize(("rid", "state"), EVERY_STATE)
@pytest.mark.parametrize(("words", "level"), [
    ("ouch", "stop"), ("pain down my leg", "professional"), ("I wet myself", "emergency")])
def test_pain_from_every_state_stops_at_once_with_the_matching_advice(rid, state, words, level):
    d = _reach(rid, state)
    t = d.clock.t
    d.session.hear(words)
    assert d.session.state == STOP_AND_ADVISE
    assert d.session.next_deadline() is None  # the hold's timer is gone
    events = d.json()
    after = events[next(i for i, e in enumerate(events) if e["type"] == "heard" and e["text"] == words):]
    assert after[1] == {"t": t, "type": "state", "state": STOP_AND_ADVISE}
    pain = [e for e in after if e["type"] == "pain"]
    assert pain == [{"t": t, "type": "pain", "words": words, "advice": level,
                     "state": d.session.current.state}]
    assert [e["text"] for e in after if e["type"] == "say"] == list(ADVICE[level])
    assert after[-1] == {"t": t, "type": "end", "reason": "pain"}
    d.session.hear("ready")
    d.session.hear("resume")
    assert d.session.state == STOP_AND_ADVISE


def test_pain_as_a_partial_result_acts_before_the_utterance_ends():
    d = drive(LIBRARY["shotgun"])
    d.session.hear("ready set", partial=True)  # a partial that is not pain is not acted on
    assert d.session.state == "setup"
    d.session.hear("oh that hurts", partial=True)
    assert d.session.state == STOP_AND_ADVISE


def test_pain_interrupts_speech_and_wins_while_the_guide_talks():
    speaker = FakeSpeaker(busy_always=True)
    d = drive(LIBRARY["shotgun"], speaker=speaker)
    d.say("ready")
    assert d.session.state == "setup"  # dropped: the guide was speaking
    d.say("pause")
    assert d.session.state == PAUSED and speaker.interrupts == 1
    d.say("resume")
    assert d.session.state == PAUSED  # dropped
    d.say("ow")
    assert d.session.state == STOP_AND_ADVISE and speaker.interrupts == 2
    heard = [(e["text"], e.get("ignored")) for e in d.json() if e["type"] == "heard"]
    assert heard == [("ready", "the guide was speaking"), ("pause", None), ("resume", "the guide was speaking"),
                     ("ow", None)]


def test_stop_and_advise_has_no_way_out_in_any_machine():
    for routine in LIBRARY.values():
        d = drive(routine)
        machine = d.session.machine
        assert machine.get_triggers(STOP_AND_ADVISE) == []
        sources = {source for event in machine.events.values() for source in event.transitions}
        assert STOP_AND_ADVISE not in sources
        assert {t.dest for t in machine.events["pain"].transitions[PAUSED]} == {STOP_AND_ADVISE}
        assert set(machine.events["pain"].transitions) == {EXERCISING, PAUSED}


def _run(events, routine="shotgun", speaker=None):
    inbox: queue.Queue = queue.Queue()
    for event in events:
        inbox.put(event)
    clock = VirtualClock()
    out, publish = json_collector()
    session = Session(LIBRARY[routine], clock, publish=publish, speaker=speaker)
    run_session(session, clock, inbox)
    return session, out


def test_microphone_lost_mid_hold_pauses_and_carries_on_where_it_was():
    speaker = FakeSpeaker()
    _, out = _run([Heard(1.0, "ready"), DeviceLost(3.0), DeviceBack(20.0), InputEnded(60.0)], speaker=speaker)
    states = [(e["t"], e["state"]) for e in out if e["type"] == "state"]
    assert states[:4] == [(0.0, "setup"), (1.0, "squeeze"), (3.0, PAUSED), (20.0, "squeeze")]
    assert (23.0, "release") in states  # the 5 s squeeze had 3 s left when the microphone went
    said = [(e["t"], e["text"]) for e in out if e["type"] == "say"]
    assert (3.0, MIC_LOST) in said and (20.0, MIC_BACK) in said
    # Not a pause the user asked for, and its announcement is not cut off.
    assert [e for e in out if e["type"] == "pause"] == [{"t": 3.0, "type": "pause", "by": "microphone"}]
    assert MIC_LOST in speaker.play() and MIC_LOST not in speaker.dropped


def test_a_user_pause_still_cuts_the_speaker():
    speaker = FakeSpeaker()
    d = drive(LIBRARY["shotgun"], speaker=speaker)
    d.say("ready", at=1)
    d.say("pause", at=2)
    assert "Squeeze your knees together against the towel, using your inner thighs." in speaker.dropped
    assert d.pauses() == 1


def test_the_rest_of_an_utterance_heard_before_the_session_is_dropped():
    inbox: queue.Queue = queue.Queue()
    for event in (Heard(0.5, "it hurts", utterance=4), Heard(1.0, "ready", utterance=5), InputEnded(2.0)):
        inbox.put(event)
    clock = VirtualClock()
    out, publish = json_collector()
    session = Session(LIBRARY["shotgun"], clock, publish=publish, heard_before=4)
    run_session(session, clock, inbox)
    assert [e["text"] for e in out if e["type"] == "heard"] == ["ready"]
    assert session.last_utterance == 5


def test_input_that_dies_ends_the_session_out_loud():
    session, out = _run([Heard(1.0, "ready"), InputFailed(2.0, "typed input failed: boom")])
    assert session.end_reason == "input_failed"
    assert any(e["type"] == "say" and e["text"] == DEAF for e in out)
    assert next(e for e in out if e["type"] == "hold")["completed"] is False


def test_silence_at_a_check_in_asks_once_more_then_ends_safely():
    d = drive(LIBRARY["shotgun"], sets=2)
    for _ in range(2):  # set-up, then the belt: squeeze, push and rest run by themselves
        d.say("ready", at=d.clock.t + 1)
        d.run_timers()
    assert d.session.state == "check_in"
    asked = d.clock.t
    d.run_timers(until=asked + 19.9)
    assert d.lines()[-1] == "How did that set feel?"
    d.run_timers(until=asked + 20)
    assert d.lines()[-1] == ARE_YOU_OK["check_in"]
    d.run_timers(until=asked + 40)
    assert d.session.end_reason == "no_answer" and d.lines()[-1] == NO_ANSWER


def test_an_answer_resets_the_follow_up_and_a_pause_is_never_chased():
    d = drive(LIBRARY["shotgun"])
    d.say("what can I say", at=50)  # talking, if not yet ready
    d.run_timers(until=109)
    assert d.lines()[-1] == HELP_LINE  # nothing chased before 60 s of silence
    d.run_timers(until=110)
    assert d.lines()[-1] == "Say ready when you are in position."
    d.say("pause", at=111)
    d.run_timers(until=5000)
    assert d.session.state == PAUSED and not d.session.ended


def test_unsure_pain_halts_and_asks_and_the_answer_decides():
    speaker = FakeSpeaker()
    d = drive(LIBRARY["spinal-twist"], speaker=speaker)
    d.say("ready", at=1)
    d.session.hear("ow", partial=True, utterance=7, sure=False)
    assert d.session.state == PAUSED and d.lines()[-1] == CONFIRM_PAIN  # the hold froze at once
    d.session.hear("ow", utterance=7, sure=False)  # the rest of the same utterance is not an answer
    assert d.session.state == PAUSED
    d.session.hear("fine", utterance=8)
    assert d.session.state == "hold" and not d.session.ended
    d.session.hear("ow", utterance=9, sure=False)
    d.run_timers(until=d.clock.t + 10)  # no answer: the safe reading
    assert d.session.state == STOP_AND_ADVISE


def test_the_second_fine_after_unsure_pain_is_told_what_makes_the_guide_unsure_once():
    """Someone else's talk near the microphone halts the embedded recogniser often: the second time the user says
    they are fine, the guide says what makes it unsure before carrying on, and never again in the session."""
    d = drive(LIBRARY["spinal-twist"])
    d.say("ready", at=1)
    for utterance, answer in ((7, "fine"), (9, "i'm okay"), (11, "yes")):
        d.run_timers(until=d.clock.t + 2)
        d.session.hear("ow", utterance=utterance, sure=False)
        assert (d.session.state, d.lines()[-1]) == (PAUSED, CONFIRM_PAIN)
        d.session.hear(answer, utterance=utterance + 1)
        assert d.session.state == "hold"
        assert (UNSURE_AGAIN in d.lines()[-4:]) == (utterance == 9)
    assert d.lines().count(UNSURE_AGAIN) == 1
    run_through(d)
    assert d.session.end_reason == "completed"


@pytest.mark.parametrize("first", ["talk", "stop", "pain"])
def test_only_fine_after_unsure_pain_counts_towards_saying_what_makes_it_unsure(first):
    """Talk over the guide or an unclear stop, answered, or pain then confirmed: none of them was pain heard for
    nothing, so one later fine after unsure pain is not yet the second."""
    d = drive(LIBRARY["spinal-twist"])
    d.say("ready", at=1)
    d.run_timers(until=5)
    if first == "talk":
        d.session.handle(TalkedOver(d.clock.t, 7))
        d.run_timers(until=d.clock.t + LISTEN_FIRST + 0.1)
        d.session.hear("fine", utterance=8)
    elif first == "stop":
        d.session.hear("stop", utterance=7, sure=False)
        d.session.hear("resume", utterance=8)
    assert d.session.state == "hold"
    d.session.hear("ow", utterance=9, sure=False)
    d.session.hear("fine" if first != "pain" else "it hurts", utterance=10)
    assert UNSURE_AGAIN not in d.lines()
    assert d.session.state == ("hold" if first != "pain" else STOP_AND_ADVISE)


@pytest.mark.parametrize("answer, ends", [("stop", "stopped"), ("i'm done for today", "stopped"), ("resume", None),
                                          ("no", None), (None, None), ("it hurts", "pain")])
def test_stop_heard_unclearly_halts_at_once_and_ends_only_when_told_again(answer, ends):
    """A recogniser's "stop" is never sure: the exercise halts at once (the hold freezes), and the session ends
    only on a second stop; resume carries on, and a no or silence leaves it halted. Pain answers with advice."""
    d = drive(LIBRARY["spinal-twist"])
    d.say("ready", at=1)
    d.run_timers(until=5)
    assert d.session.state == "hold"
    d.session.hear("stop", utterance=7, sure=False)
    assert (d.session.state, d.session.paused_by, d.lines()[-1]) == (PAUSED, "stop", CONFIRM_STOP)
    if answer is not None:
        d.session.hear(answer, utterance=8, sure=False)
    assert d.session.state == ("hold" if answer == "resume" else PAUSED if ends is None else DONE
                               if ends == "stopped" else STOP_AND_ADVISE)
    d.run_timers(until=d.clock.t + 30)
    assert d.session.end_reason == ends
    if answer != "resume" and ends is None:
        assert (d.session.state, d.session.paused_by, d.lines()[-1]) == (PAUSED, "user", PAUSED_LINE)


def test_a_sure_stop_ends_at_once():
    d = drive(LIBRARY["spinal-twist"])
    d.say("ready", at=1)
    d.session.hear("stop", utterance=7)  # typed, or a recogniser sure of it
    assert d.session.end_reason == "stopped"


@pytest.mark.parametrize("words", ["next", "stop", "pause", "repeat", "fine"])
def test_a_command_read_out_of_longer_talk_is_not_acted_on_but_pain_is(words):
    """Someone talking near the microphone: the grammar forces their sentence onto its nearest phrase, which is
    then not the utterance alone. Commands so heard change nothing (the hold goes on); pain still halts."""
    d = drive(LIBRARY["spinal-twist"])
    d.say("ready", at=1)
    d.run_timers(until=5)
    lines = len(d.lines())
    d.session.hear(words, utterance=7, sure=False, alone=False)
    assert (d.session.state, len(d.lines())) == ("hold", lines)
    assert d.json()[-1]["ignored"] == "it came amid longer talk"
    d.session.hear("it hurts", utterance=8, sure=False, alone=False)
    assert (d.session.state, d.session.paused_by, d.lines()[-1]) == (PAUSED, "unsure", CONFIRM_PAIN)
    d.session.hear(words, utterance=9, sure=False, alone=False)  # an answer must be said alone too
    assert d.session.state == PAUSED
    d.session.hear("fine", utterance=10, sure=False)
    assert d.session.state == "hold"


@pytest.mark.parametrize("talk, halted", [(True, True), (False, False)])
def test_unsure_pain_over_the_guide_halts_it_when_someone_was_heard_talking_with_it(talk, halted):
    """Over the guide's voice, pain the recogniser is not sure of counts only with a moment of talk heard over
    the guide at the same time (too little to halt it by itself): the words and the voice agree."""
    speaker = FakeSpeaker(busy_always=True)
    d = drive(LIBRARY["shotgun"], speaker=speaker)
    d.session.hear("it hurts", partial=True, utterance=7, sure=False, over_guide=True, talk=talk)
    assert (d.session.state == PAUSED) is halted
    assert (d.session.paused_by == "unsure") is halted and (speaker.interrupts == 1) is halted
    d.session.hear("stop", utterance=7, sure=False, over_guide=True, talk=True)  # only pain counts so
    assert d.session.state == (PAUSED if halted else "setup")
    d.session.hear("it hurts", utterance=8, sure=False, over_guide=True, talk=True)  # it halts; it answers nothing
    assert d.session.state == PAUSED and not d.session.ended


def _talked_over_mid_hold() -> tuple:
    speaker = FakeSpeaker()
    d = drive(LIBRARY["spinal-twist"], speaker=speaker)
    d.say("ready", at=1)
    d.run_timers(until=d.clock.t + 4)
    assert d.session.state == "hold"
    d.session.handle(TalkedOver(d.clock.t, utterance=7))
    return d, speaker


def test_talk_over_the_guide_halts_the_exercise_and_asks():
    """Someone talked over the guide, and the recogniser could not make out what: it may be pain."""
    d, speaker = _talked_over_mid_hold()
    halted, said = d.clock.t, d.lines()
    assert speaker.interrupts and d.session.state == PAUSED  # it stops talking, and the exercise halts
    assert [e.by for e in d.events if isinstance(e, Paused)] == ["talk"]
    left = d.session.hold.left(d.clock.t)
    d.run_timers(until=halted + LISTEN_FIRST - 0.01)
    assert d.lines() == said  # it listens to the rest of what they say
    d.run_timers(until=halted + 5)
    assert d.lines() == [*said, TALKED_OVER]  # then asks
    assert [e.t for e in d.events if isinstance(e, Said)][-1] == halted + LISTEN_FIRST
    assert d.session.hold.left(d.clock.t) == left  # the hold is frozen while it asks
    d.session.hear("fine", utterance=8)
    assert d.session.state == "hold" and not d.session.ended


@pytest.mark.parametrize("answer, sure", [("it hurts", True), ("ow", False), ("no", True)])
def test_pain_or_a_no_after_talk_over_the_guide_stops_with_advice(answer, sure):
    d, _ = _talked_over_mid_hold()
    d.session.hear(answer, utterance=8, sure=sure)
    assert d.session.state == STOP_AND_ADVISE


def test_pain_made_out_in_the_talk_itself_makes_silence_stop_with_advice():
    d, _ = _talked_over_mid_hold()
    d.session.hear("ow", utterance=7, sure=False)  # the same utterance, made out unclearly
    assert d.session.state == PAUSED
    d.run_timers(until=d.clock.t + LISTEN_FIRST + 10)
    assert d.session.state == STOP_AND_ADVISE


def test_silence_after_talk_over_the_guide_stays_paused_until_resume():
    d, _ = _talked_over_mid_hold()
    d.run_timers(until=d.clock.t + LISTEN_FIRST + 9.9)
    assert d.lines()[-1] == TALKED_OVER
    d.run_timers(until=d.clock.t + 0.1)
    assert d.session.state == PAUSED and d.lines()[-1] == PAUSED_LINE and not d.session.ended
    d.run_timers(until=d.clock.t + 600)
    assert d.session.state == PAUSED and not d.session.ended  # a pause is never chased
    d.session.hear("resume", utterance=9)
    assert d.session.state == "hold"


def test_ready_after_talk_over_the_guide_at_a_step_waiting_for_it_goes_on():
    """Someone who says "ready" while the guide is still giving the set-up is ready: asked, "ready" moves on."""
    d = drive(LIBRARY["glute-bridge"], speaker=FakeSpeaker())
    d.session.handle(TalkedOver(2.0, utterance=3))
    d.run_timers(until=2.0 + LISTEN_FIRST)
    assert d.session.state == PAUSED and d.lines()[-1] == TALKED_OVER
    d.session.hear("ready", utterance=4)
    assert d.session.state == "lift" and d.lines()[-1] == "Squeeze your glutes and lift your hips."


def test_stop_after_talk_over_the_guide_ends_the_session():
    d, _ = _talked_over_mid_hold()
    d.session.hear("stop", utterance=8)
    assert d.session.end_reason == "stopped"


def test_talk_over_the_guide_while_paused_or_asking_changes_nothing():
    d, _ = _talked_over_mid_hold()
    lines = d.lines()
    d.session.handle(TalkedOver(d.clock.t, utterance=8))
    assert d.lines() == lines
    d.session.hear("pause", utterance=9)
    d.session.handle(TalkedOver(d.clock.t, utterance=10))
    assert d.session.state == PAUSED and [e.by for e in d.events if isinstance(e, Paused)] == ["talk"]


def test_words_of_an_utterance_begun_over_the_guide_count_as_over_it_even_once_it_is_quiet():
    """The guide's echo heard as pain, its result coming after the guide went quiet, must not stop or halt it."""
    d = drive(LIBRARY["spinal-twist"], speaker=FakeSpeaker())
    d.say("ready", at=1)
    d.session.hear("pulled a muscle", utterance=5, sure=False, over_guide=True)
    d.session.hear("pulled a muscle", partial=True, utterance=6, sure=False, over_guide=True)
    assert d.session.state == "hold"
    d.session.hear("it hurts", partial=True, utterance=7, sure=True, over_guide=True)  # spotted: sure
    assert d.session.state == STOP_AND_ADVISE


def test_sure_pain_stops_at_once_even_while_asking():
    d = drive(LIBRARY["shotgun"])
    d.session.hear("ow", utterance=3, sure=False)
    d.session.hear("it hurts", partial=True, utterance=3, sure=True)
    assert d.session.state == STOP_AND_ADVISE


class DyingSpeaker(FakeSpeaker):
    """Takes 4 s a line until speech out fails; then, like SpeakerThread, it takes no time at all."""

    def __init__(self, clock: VirtualClock):
        super().__init__()
        self.clock, self.free_at, self.working = clock, 0.0, True

    def say(self, text: str) -> None:
        super().say(text)
        if self.working:
            self.free_at = max(self.clock.t, self.free_at) + 4.0

    def finishes_at(self, now: float) -> float:
        return max(now, self.free_at) if self.working else now


def test_lines_are_reported_as_they_begin_and_all_at_once_when_speech_out_fails():
    clock = VirtualClock()
    events, publish = json_collector()
    speaker = DyingSpeaker(clock)
    session = Session(LIBRARY["shotgun"], clock, publish=publish, speaker=speaker)
    session.begin()
    said = [(e["t"], e["text"], e["duration"]) for e in events if e["type"] == "say"]
    assert said == [(0.0, "Shotgun squeeze and push.", 4.0)]  # the others wait for their turn
    clock.t = 4.0
    session.tick()
    assert [e["t"] for e in events if e["type"] == "say"] == [0.0, 4.0]
    speaker.working = False  # its queue is gone: the cues still waiting are printed now, in order
    clock.t = 5.0
    session.tick()
    lines = [e for e in events if e["type"] == "say"]
    assert len(lines) == 5 and [e["t"] for e in lines[2:]] == [5.0, 5.0, 5.0]
    assert [e["text"] for e in lines[2:]] == list(LIBRARY["shotgun"].setup[0].say)


FAINT = FAINT_VOICE_DBFS - 10  # a voice from across the room, or a microphone turned down


def test_a_faint_voice_is_told_once_when_the_guide_next_waits_never_over_a_hold():
    d = drive(LIBRARY["shotgun"])
    d.session.hear("ready", level=FAINT)
    assert d.session.state == "squeeze" and FAINT_VOICE not in d.lines()  # not over the countdown
    d.run_timers()
    assert d.session.state == "release" and d.lines()[-1] == FAINT_VOICE  # the squeeze is over: now they wait
    d.session.hear("ready", level=FAINT)
    run_through(d)
    assert d.lines().count(FAINT_VOICE) == 1 and d.session.end_reason == "completed"


def test_heard_faintly_while_the_guide_waits_it_says_so_at_once():
    d = drive(LIBRARY["shotgun"])
    d.session.hear("what can i say", level=FAINT)
    assert d.lines()[-2:] == [HELP_LINE, FAINT_VOICE]


@pytest.mark.parametrize("level", [FAINT_VOICE_DBFS, None], ids=["loud enough", "typed"])
def test_a_voice_heard_well_or_typed_is_never_told_it_is_faint(level):
    d = drive(LIBRARY["shotgun"])
    d.session.hear("ready", level=level)
    run_through(d)
    assert FAINT_VOICE not in d.lines() and d.session.end_reason == "completed"


def test_pain_heard_faintly_gets_its_advice_and_nothing_after_it():
    d = drive(LIBRARY["shotgun"])
    d.say("ready")
    d.session.hear("it hurts", level=FAINT)
    d.run_timers(until=d.clock.t + 60)
    assert d.session.state == STOP_AND_ADVISE and d.lines()[-len(ADVICE["stop"]):] == list(ADVICE["stop"])
    assert FAINT_VOICE not in d.lines()


def test_a_faint_answer_is_told_after_the_question_is_settled_not_over_it():
    d = drive(LIBRARY["shotgun"])
    d.say("ready")
    d.session.hear("ouch", sure=False, utterance=1)  # halts to ask
    assert d.session.state == PAUSED
    d.session.hear("i'm fine", level=FAINT, utterance=2)
    assert d.session.state == "squeeze" and FAINT_VOICE not in d.lines()
    d.run_timers()
    assert d.session.state == "release" and d.lines()[-1] == FAINT_VOICE


def test_told_before_the_session_it_is_not_said_again():
    d = drive(LIBRARY["shotgun"], told_faint=True)
    d.session.hear("what can i say", level=FAINT)
    assert FAINT_VOICE not in d.lines()
