"""`voiceguide simulate`: scripts, the exact JSON event format, and clear errors."""

from __future__ import annotations

import itertools
import json
import re

import pytest

from tests.conftest import LIBRARY, cli, json_collector
from voiceguide.advice import ADVICE
from voiceguide.session import ARE_YOU_OK, NO_ANSWER
from voiceguide.simulate import ScriptError, parse_script, script_events, simulate

FULL_SHOTGUN = """\
# a whole shotgun session, two sets
2 ready
8 ready        # belt on
25 feels fine
27 ready       # during the squeeze: ignored
31 ready
50 good
"""


def run(script: str, rid: str = "shotgun", **kw) -> list[dict]:
    events, publish = json_collector()
    simulate(LIBRARY[rid], script_events(parse_script(script.splitlines())), publish=publish, **kw)
    return events


def test_full_session_json_lines_in_time_order():
    events = run(FULL_SHOTGUN, sets=2)  # lines take no time here: the timings are the plan's own
    assert events[0] == {"t": 0.0, "type": "start", "routine": "shotgun",
                         "title": "Shotgun squeeze and push", "sets": 2, "unit": "set"}
    assert events[1] == {"t": 0.0, "type": "state", "state": "setup"}
    assert all(isinstance(e["t"], float) for e in events)
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)
    for e in events:
        in_a_set = e.get("state") not in ("setup", "paused", "done", "stop_and_advise")
        expected = {"start": {"t", "type", "routine", "title", "sets", "unit"},
                    "state": {"t", "type", "state"} | ({"set_number"} if in_a_set else set()),
                    "say": {"t", "type", "text", "duration"}, "heard": {"t", "type", "text", "intent"},
                    "hold_start": {"t", "type", "state", "seconds"},
                    "hold": {"t", "type", "state", "planned", "held", "completed"},
                    "set": {"t", "type", "number", "of"},
                    "end": {"t", "type", "reason"}}[e["type"]]
        assert set(e) == expected
    assert {"t": 2.0, "type": "heard", "text": "ready", "intent": "ready"} in events
    assert {"t": 2.0, "type": "state", "state": "squeeze", "set_number": 1} in events
    assert {"t": 7.0, "type": "state", "state": "release", "set_number": 1} in events
    assert {"t": 13.0, "type": "state", "state": "rest", "set_number": 1} in events  # push 8-13 s
    assert {"t": 23.0, "type": "state", "state": "check_in", "set_number": 1} in events  # rest 10 s
    assert {"t": 27.0, "type": "heard", "text": "ready", "intent": "ready"} in events
    assert {"t": 46.0, "type": "state", "state": "check_in", "set_number": 2} in events  # 25-30, 31-36, 36-46
    assert events[-1] == {"t": 50.0, "type": "end", "reason": "completed"}


def _timed(rid: str, script: str, *args: str) -> list[dict]:
    result = cli("simulate", rid, "--script", "-", "--json", *args, stdin=script)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.audio
def test_speech_takes_time_and_each_hold_is_counted_in_full_after_its_instruction():
    events = _timed("spinal-twist", "1 ready\n70 ready\n")
    said = [e for e in events if e["type"] == "say"]
    assert all(e["duration"] > 0.3 for e in said)  # timed by the real speech-out engine
    for before, after in itertools.pairwise(said):
        assert after["t"] >= before["t"] + before["duration"] - 1e-3, (before, after)  # never overlapping
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)
    starts = [e for e in events if e["type"] == "hold_start"]
    assert len(starts) == 2
    for start in starts:
        instruction = max((e for e in said if e["t"] < start["t"]), key=lambda e: e["t"])
        assert start["t"] == pytest.approx(instruction["t"] + instruction["duration"], abs=2e-3)
        counts = {e["text"]: e["t"] - start["t"] for e in said if start["t"] <= e["t"] <= start["t"] + 20}
        assert counts["5"] == pytest.approx(15, abs=2e-3) and counts["1"] == pytest.approx(19, abs=2e-3)
        assert counts["10 seconds left."] == pytest.approx(10, abs=2e-3)
        end = next(e for e in events if e["type"] == "hold" and e["t"] > start["t"])
        assert end["held"] == 20.0 and end["t"] == pytest.approx(start["t"] + 20, abs=2e-3)


@pytest.mark.audio
def test_after_resume_the_time_left_is_said_and_held():
    events = _timed("spinal-twist", "20 ready\n35 pause\n40 resume\n")  # the set-up lines take 17.5 s
    said = [e["text"] for e in events if e["type"] == "say" and e["t"] >= 40]
    assert {"t": 40.0, "type": "state", "state": "hold", "set_number": 1} in events  # back in the set, as any step
    assert said[:3] == ["Resuming.", "Go only as far as a comfortable stretch, and hold it there.",
                        said[2]] and re.fullmatch(r"\d+ seconds left\.", said[2])
    again = [e for e in events if e["type"] == "hold_start"][-1]
    first = next(e for e in events if e["type"] == "hold_start")
    assert again["left"] == pytest.approx(20 - (35 - first["t"]), abs=2e-3)
    assert said[2] == f"{round(again['left'])} seconds left."
    end = next(e for e in events if e["type"] == "hold")
    assert end["completed"] and end["t"] == pytest.approx(again["t"] + again["left"], abs=2e-3)


def test_silence_at_a_wait_step_is_prompted_again_then_ends():
    events = run("2 ready\n")  # the squeeze runs out at 7 s; then nothing more is said
    said = [(e["t"], e["text"]) for e in events if e["type"] == "say" and e["t"] > 7.0]
    assert said == [(67.0, "Say ready when the belt is on."), (127.0, "Say ready when the belt is on."),
                    (187.0, ARE_YOU_OK["wait"]), (217.0, NO_ANSWER)]
    assert events[-1] == {"t": 217.0, "type": "end", "reason": "no_answer"}


def test_script_ended_while_paused():
    events = run("2 ready\n3 pause\n")
    assert events[-1] == {"t": 3.0, "type": "end", "reason": "script_ended"}


def test_pain_ends_with_reason_pain_and_the_rest_of_the_script_is_not_heard():
    events = run("2 ready\n4 my leg is numb\n8 ready\n")
    assert events[-1] == {"t": 4.0, "type": "end", "reason": "pain"}
    assert not any(e["type"] == "heard" and e["t"] == 8.0 for e in events)


def test_stop_reason():
    assert run("1 stop\n")[-1]["reason"] == "stopped"


def test_readable_transcript():
    result = cli("simulate", "spinal-twist", "--script", "-", stdin="1 ready\n5 ouch\n")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert "    1.0s  ── hold" in lines
    assert '    5.0s  you:   "ouch"  (pain)' in lines
    assert lines[-2].endswith("guide: " + ADVICE["stop"][-1])  # the advice is said after the pain is heard
    ends = float(lines[-1].split("s")[0])
    assert lines[-1].endswith("── session ended: pain") and ends > 5.0  # once the advice has been said


@pytest.mark.parametrize(("script", "message"), [
    ("ready\n", "line 1: expected '<seconds> <words>'"),
    ("3 ready\n1 next\n", "line 2: time 1 is earlier than the line before (3)"),
    ("-1 ready\n", "line 1: the time must be a number of seconds from 0"),
    ("# note\n4\n", "line 2: no words after the time 4"),
    ("nan ready\n", "line 1: the time must be"),
])
def test_bad_scripts_name_the_line(script, message):
    with pytest.raises(ScriptError, match=re.escape(message)):
        parse_script(script.splitlines(), "s.txt")


def test_cli_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("1 ready\nsoon next\n")
    for args in (["shotgun", "--script", str(bad)], ["shotgun", "--script", str(tmp_path / "missing.txt")],
                 ["nope", "--script", str(bad)], ["shotgun", "--script", str(bad), "--sets", "9"]):
        result = cli("simulate", *args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert "sets must be 2 to 3" in cli("simulate", "shotgun", "--script", "-", "--sets", "9", stdin="").stderr


def test_hold_choice_within_the_seed_range():
    events = run("1 ready\n", rid="spinal-twist", hold=30)
    assert {"t": 31.0, "type": "state", "state": "switch_sides", "set_number": 1} in events
