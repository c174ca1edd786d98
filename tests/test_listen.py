"""`listen` (the mode the Pi service runs): the same settings and pain path as `start`, one session at a time.

The input thread is replaced by events put straight on the live queue, as the microphone thread puts them:
partial and final results of one utterance share its number.
"""

from __future__ import annotations

import io

from tests.conftest import LIBRARY, FakeSpeaker
from voiceguide.advice import ADVICE
from voiceguide.config import Settings
from voiceguide.events import Heard, InputEnded, OutputEvent, PainReported, Said, Started
from voiceguide.history import read_sessions
from voiceguide.live import Live, LiveOptions
from voiceguide.session import LISTEN_AGAIN, NO_MORE_TODAY


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
