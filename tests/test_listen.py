"""`listen` (the mode the Pi service runs): the same settings and pain path as `start`, one session at a time.

The input thread is replaced by events put straight on the live queue, as the microphone thread puts them:
partial and final results of one utterance share its number.
"""

from __future__ import annotations

import io

from tests.conftest import LIBRARY, FakeSpeaker
from voiceguide.advice import ADVICE
from voiceguide.audio import FAINT_VOICE_DBFS
from voiceguide.config import Settings
from voiceguide.events import Heard, InputEnded, OutputEvent, PainReported, Said, Started
from voiceguide.history import read_sessions
from voiceguide.live import Live, LiveOptions
from voiceguide.session import FAINT_VOICE, LISTEN_AGAIN, NO_MORE_TODAY


def listen(heard: list[Heard], settings: Settings | None = None, history=None) -> tuple[list[OutputEvent], list[str]]:
    shown: list[OutputEvent] = []
    speaker = FakeSpeaker()
    live = Live(LIBRARY, settings or Settings(), speaker, shown.append, lambda message: None, io.StringIO(),
                LiveOptions(history=history))
    for event in [*heard, InputEnded(99.0)]:
        live.events.put(event)
    live.listen()
    return shown, speaker.play()


def test_listen_plans_the_sets_the_config_chose():
    shown, _ = listen([Heard(1.0, "start shotgun", utterance=1), Heard(2.0, "stop", utterance=2)],
                      Settings(routines={"shotgun": {"sets": 2}}))
    assert [(e.routine, e.sets) for e in shown if isinstance(e, Started)] == [("shotgun", 2)]


def test_pain_heard_as_a_partial_is_advised_once_not_again_for_its_final_result():
    _, spoken = listen([Heard(1.0, "start shotgun", utterance=1), Heard(2.0, "ready", utterance=2),
                        Heard(3.0, "it hurts", partial=True, utterance=3), Heard(3.5, "it hurts", utterance=3)])
    assert spoken.count(ADVICE["stop"][0]) == 1
    assert spoken[-1] == LISTEN_AGAIN


def test_after_red_flag_advice_no_routine_starts_again(tmp_path):
    history = tmp_path / "history.jsonl"
    shown, spoken = listen([Heard(1.0, "start dead bug", utterance=1), Heard(2.0, "my leg is numb", utterance=2),
                            Heard(5.0, "start glute bridge", utterance=3)], history=history)
    assert [e.routine for e in shown if isinstance(e, Started)] == ["dead-bug"]
    assert spoken[-2:] == [NO_MORE_TODAY, NO_MORE_TODAY]
    assert [r.how for r in read_sessions(history, print)] == ["pain"]


def test_pain_between_routines_gets_the_same_advice_and_is_kept(tmp_path):
    history = tmp_path / "history.jsonl"
    shown, spoken = listen([Heard(1.0, "ouch my back", utterance=1)], history=history)
    assert spoken[-3:] == list(ADVICE["stop"])
    assert [e.advice for e in shown if isinstance(e, PainReported)] == ["stop"]
    assert [e.text for e in shown if isinstance(e, Said)][-3:] == list(ADVICE["stop"])
    (record,) = read_sessions(history, print)
    assert record.how == "pain" and record.pain == [{"words": "ouch my back", "advice": "stop"}]


def test_a_faint_voice_is_told_once_before_the_routine_begins_and_not_again_in_it():
    faint = FAINT_VOICE_DBFS - 10
    shown, _ = listen([Heard(1.0, "start shotgun", utterance=1, level=faint),
                       Heard(2.0, "what can i say", utterance=2, level=faint), Heard(3.0, "stop", utterance=3)])
    said = [e.text for e in shown if isinstance(e, Said)]
    assert said.count(FAINT_VOICE) == 1 and said.index(FAINT_VOICE) < said.index(f"{LIBRARY['shotgun'].title}.")


def test_pain_heard_faintly_between_routines_gets_only_its_advice():
    _, spoken = listen([Heard(1.0, "ouch my back", utterance=1, level=FAINT_VOICE_DBFS - 10)])
    assert FAINT_VOICE not in spoken and spoken[-3:] == list(ADVICE["stop"])
