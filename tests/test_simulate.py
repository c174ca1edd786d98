"""`voiceguide simulate`: scripts, the exact JSON event format, and clear errors."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import LIBRARY, cli, json_collector
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


def test_full_session_json_lines_in_time_order(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text(FULL_SHOTGUN)
    result = cli("simulate", "shotgun", "--script", str(path), "--json", "--sets", "2")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0] == {"t": 0.0, "type": "start", "routine": "shotgun",
                         "title": "Shotgun squeeze and push", "sets": 2}
    assert events[1] == {"t": 0.0, "type": "state", "state": "setup"}
    assert all(isinstance(e["t"], float) for e in events)
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)
    for e in events:
        expected = {"start": {"t", "type", "routine", "title", "sets"}, "state": {"t", "type", "state"},
                    "say": {"t", "type", "text"}, "heard": {"t", "type", "text", "intent"},
                    "hold_start": {"t", "type", "state", "seconds"},
                    "hold": {"t", "type", "state", "planned", "held", "completed"},
                    "set": {"t", "type", "number", "of"},
                    "end": {"t", "type", "reason"}}[e["type"]]
        assert set(e) == expected
    assert {"t": 2.0, "type": "heard", "text": "ready", "intent": "ready"} in events
    assert {"t": 2.0, "type": "state", "state": "squeeze"} in events
    assert {"t": 7.0, "type": "state", "state": "release"} in events
    assert {"t": 13.0, "type": "state", "state": "rest"} in events  # push 8-13 s
    assert {"t": 23.0, "type": "state", "state": "check_in"} in events  # rest 10 s
    assert {"t": 27.0, "type": "heard", "text": "ready", "intent": "ready"} in events
    assert {"t": 46.0, "type": "state", "state": "check_in"} in events  # 2nd set: 25-30, 31-36, 36-46
    assert events[-1] == {"t": 50.0, "type": "end", "reason": "completed"}


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
    assert lines[-1] == "    5.0s  ── session ended: pain"


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
    assert {"t": 31.0, "type": "state", "state": "switch_sides"} in events
