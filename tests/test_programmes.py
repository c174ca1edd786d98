"""Programmes: routines run one after another, as the seed text groups them; a pain stop ends the whole."""

from __future__ import annotations

import io

import pytest

from tests.conftest import LIBRARY, FakeSpeaker, cli, json_collector
from voiceguide.config import Settings
from voiceguide.events import Heard, InputEnded, Started
from voiceguide.history import read_sessions
from voiceguide.live import Live, LiveOptions
from voiceguide.programmes import builtin_programmes, parse_programme
from voiceguide.routines import RoutineError
from voiceguide.simulate import parse_script, script_events, simulate_programme

PROGRAMMES = builtin_programmes(LIBRARY)


def test_the_seed_texts_two_groups_ship_in_its_order():
    assert PROGRAMMES["self-adjustment"].routines == ("shotgun", "spinal-twist", "figure-four")
    assert PROGRAMMES["maintenance"].routines == ("dead-bug", "glute-bridge", "psoas-stretch")


def _simulate(pid: str, script: str) -> tuple[str, list[dict]]:
    events, publish = json_collector()
    reason = simulate_programme(PROGRAMMES[pid], LIBRARY, script_events(parse_script(script.splitlines())),
                                publish=publish)
    return reason, events


def test_simulate_maintenance_runs_the_three_routines_in_order():
    _, events = _simulate("maintenance", "1 ready\n50 ready\n120 ready\n160 ready\n")
    starts = [(e["routine"], e["programme"]) for e in events if e["type"] == "start"]
    assert starts == [("dead-bug", "maintenance"), ("glute-bridge", "maintenance"), ("psoas-stretch", "maintenance")]
    assert [e["reason"] for e in events if e["type"] == "end"][:2] == ["completed", "completed"]


def test_a_pain_stop_ends_the_whole_programme():
    reason, events = _simulate("maintenance", "1 ready\n50 ready\n55 my leg is numb\n")
    assert reason == "pain"
    assert [e["routine"] for e in events if e["type"] == "start"] == ["dead-bug", "glute-bridge"]


def test_listen_starts_a_programme_by_name_and_history_keeps_it(tmp_path):
    history = tmp_path / "history.jsonl"
    speaker = FakeSpeaker()
    shown: list = []
    live = Live(LIBRARY, Settings(), speaker, shown.append, lambda m: None, io.StringIO(), LiveOptions(history))
    for event in (Heard(1.0, "start maintenance", utterance=1), Heard(2.0, "stop", utterance=2), InputEnded(3.0)):
        live.events.put(event)
    live.listen()
    assert [(e.routine, e.programme) for e in shown if isinstance(e, Started)] == [("dead-bug", "maintenance")]
    (record,) = read_sessions(history, print)
    assert record.programme == "maintenance" and record.how == "stopped"


def test_a_programme_naming_no_routine_is_one_clear_error():
    with pytest.raises(RoutineError, match="no routine called yoga"):
        parse_programme('id = "x"\ntitle = "X"\nsummary = "x"\nroutines = ["yoga"]\n', "x.toml", LIBRARY)
    with pytest.raises(RoutineError, match="sets must be 2 to 3"):
        parse_programme('id = "x"\ntitle = "X"\nsummary = "x"\nroutines = ["shotgun"]\n[settings.shotgun]\nsets = 9\n',
                        "x.toml", LIBRARY)


def test_list_start_and_simulate_know_programmes():
    assert "maintenance  ·  Maintenance exercises (a programme)" in cli("list").stdout
    result = cli("simulate", "self-adjustment", "--script", "-", stdin="1 ready\n3 ouch\n")
    assert result.returncode == 0 and "session ended: pain" in result.stdout
    bad = cli("simulate", "maintenance", "--script", "-", "--sets", "2", stdin="1 ready\n")
    assert bad.returncode == 2 and "a programme" in bad.stderr
    assert cli("start", "maintenanse", "--engine", "keyboard", stdin="").stderr.count("Did you mean 'maintenance'")
