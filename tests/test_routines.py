"""Routines as data: the six seed routines, their numbers, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import cli
from voiceguide.routines import RoutineError, SettingError, load_routine_file, parse_routine

SHOTGUN = (Path(__file__).parent.parent / "voiceguide" / "routines" / "shotgun.toml").read_text()


def test_the_six_seed_routines_ship(library):
    assert list(library) == ["shotgun", "spinal-twist", "figure-four", "dead-bug", "glute-bridge", "psoas-stretch"]


def test_shotgun_numbers_are_the_seeds(library):
    shotgun = library["shotgun"]
    by_state = {s.state: s for s in shotgun.steps}
    assert (by_state["squeeze"].seconds, by_state["squeeze"].source) == (5, "seed")
    assert (by_state["push"].seconds, by_state["push"].source) == (5, "seed")
    assert (shotgun.sets.default, shotgun.sets.min, shotgun.sets.max, shotgun.sets.source) == (3, 2, 3, "seed")
    assert [s.state for s in shotgun.steps] == ["squeeze", "release", "push", "rest", "check_in"]
    assert by_state["rest"].source == "project"


def test_twist_hold_is_the_seeds_range(library):
    hold = library["spinal-twist"].hold
    assert (hold.min, hold.max, hold.source) == (15, 30, "seed")
    assert hold.min <= hold.default <= hold.max
    holds = [s for s in library["spinal-twist"].steps if s.kind == "timed"]
    assert len(holds) == 2 and all(s.check_in for s in holds)  # each side, with a mid-hold check-in


@pytest.mark.parametrize("rid", ["figure-four", "dead-bug", "glute-bridge", "psoas-stretch"])
def test_numbers_the_seed_does_not_give_are_marked_as_ours(library, rid):
    routine = library[rid]
    numbers = [routine.sets, routine.hold] if routine.hold else [routine.sets]
    timed = [s for s in routine.steps if s.kind == "timed" and s.seconds != "hold"]
    assert all(n.source == "project" for n in numbers)
    assert all(s.source == "project" for s in timed)


def test_plan_refuses_sets_outside_the_seed_range(library):
    assert len([p for p in library["shotgun"].plan(sets=2) if p.state == "squeeze"]) == 2
    with pytest.raises(SettingError, match="sets must be 2 to 3"):
        library["shotgun"].plan(sets=4)
    with pytest.raises(SettingError, match="hold must be 15 to 30"):
        library["spinal-twist"].plan(hold=45)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(("old", "new", "field", "message"), [
    ('seconds = 5\nsource = "seed"        # "Push', 'seconds = "five"\nsource = "seed"        # "Push',
     "set.2.seconds", "must be a whole number"),
    ('kind = "check_in"', 'kind = "chek_in"', "set.4.kind", "must be one of wait, timed, check_in"),
    ("countdown = 5\nsay = [\"Push", "countdown = 9\nsay = [\"Push", "set.2.countdown", "cannot be longer"),
    ('state = "rest"', 'state = "done"', "set.3.state", "other than paused"),
    ("default = 3", "default = 4", "sets.0.default", "between min (2) and max (3)"),
    ('say = ["How did that set feel?"]', 'say = ["Stop and breathe."]', "set.4.say", "heard as 'stop'"),
    ('say = ["How did that set feel?"]', 'say = ["Does that hurt?"]', "set.4.say", "heard as 'pain'"),
    ('kind = "check_in"', 'kind = "check_in"\nsecconds = 3', "set.4.secconds", "unknown field"),
    ("seconds = 10", "seconds = 999999999999", "set.3.seconds", "a whole number from 1 to 600"),
    ("max = 3", "max = 100000", "sets.0.max", "a whole number from 1 to 50"),
])
def test_malformed_routine_names_field_and_line(old, new, field, message):
    assert old in SHOTGUN
    text = SHOTGUN.replace(old, new, 1)
    with pytest.raises(RoutineError) as caught:
        parse_routine(text, "mine.toml")
    err = caught.value
    assert err.field == field
    assert message in str(err)
    expected_line = _line_of(text, new.splitlines()[-1] if "secconds" in new else new.splitlines()[0])
    assert err.line == expected_line, str(err)
    assert str(err).startswith(f"mine.toml, line {expected_line}: '{field}': ")


def test_missing_required_field_and_bad_toml():
    with pytest.raises(RoutineError, match="'id': is required"):
        parse_routine(SHOTGUN.replace('id = "shotgun"\n', ""), "x.toml")
    broken = SHOTGUN.replace('title = "Shotgun squeeze and push"', 'title = "Shotgun squeeze and push', 1)
    with pytest.raises(RoutineError, match=rf"x.toml, line {_line_of(broken, 'title =')}: not valid TOML"):
        parse_routine(broken, "x.toml")
    with pytest.raises(RoutineError, match="no such file"):
        load_routine_file("/nonexistent/routine.toml")


def test_user_routine_file_runs_through_the_cli(tmp_path):
    mine = tmp_path / "gentle.toml"
    mine.write_text(SHOTGUN.replace('id = "shotgun"', 'id = "gentle-shotgun"').replace(
        'names = ["shotgun", "shot gun", "squeeze and push"]', 'names = ["gentle squeeze"]'))
    listed = cli("list", "--routine-file", str(mine))
    assert listed.returncode == 0 and "gentle-shotgun" in listed.stdout
    script = tmp_path / "s.txt"
    script.write_text("1 ready\n")
    run = cli("simulate", "gentle-shotgun", "--routine-file", str(mine), "--script", str(script), "--json")
    assert run.returncode == 0, run.stderr
    assert '"state": "squeeze"' in run.stdout
    parsed = cli("parse", "--routine-file", str(mine), "let's do the gentle squeeze")
    assert '"routine": "gentle-shotgun"' in parsed.stdout


def test_broken_routine_file_is_one_clear_line_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(SHOTGUN.replace('kind = "check_in"', 'kind = "chek_in"'))
    result = cli("list", "--routine-file", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert f"bad.toml, line {_line_of(bad.read_text(), 'chek_in')}: 'set.4.kind'" in result.stderr


def test_list_shows_steps_holds_and_repetitions():
    out = cli("list").stdout
    assert "3 sets (2-3, from the seed text)" in out
    assert "squeeze       5 s (from the seed text), counts down the last 5" in out
    assert "hold 15-30 s, default 20 (from the seed text)" in out
    assert "8 reps (our choice)" in out


def test_absurd_numbers_are_one_line_from_the_cli_not_a_crash_mid_session(tmp_path):
    mine = tmp_path / "long.toml"
    mine.write_text(SHOTGUN.replace("seconds = 10", "seconds = 999999999999"))
    run = cli("simulate", "shotgun", "--routine-file", str(mine), "--script", "-", stdin="1 ready\n2 ouch\n")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "'set.3.seconds': must be a whole number from 1 to 600" in run.stderr
