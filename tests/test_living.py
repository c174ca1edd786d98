"""Living with it: config, history, doctor, the systemd unit, and no network at run time."""

from __future__ import annotations

import configparser
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LIBRARY
from voiceguide.cli import main
from voiceguide.config import ConfigError, load_settings
from voiceguide.display import plain_line
from voiceguide.events import Understood

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A private config file and history for the test, for this process and any it starts."""
    monkeypatch.setenv("VOICEGUIDE_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("VOICEGUIDE_HISTORY", str(tmp_path / "history.jsonl"))
    for var in ("ENGINE", "MODEL", "DEVICE", "VOICE", "RATE", "VOLUME"):
        monkeypatch.delenv(f"VOICEGUIDE_{var}", raising=False)
    return tmp_path


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voiceguide", *args], input=stdin, capture_output=True, text=True,
                          timeout=120)


# ------------------------------------------------------------ config


def test_config_file_env_and_flags_in_that_order(home, monkeypatch):
    (home / "config.toml").write_text('engine = "sphinx"\nrate = 150\nvolume = 0.8\n'
                                      '[routines.shotgun]\nsets = 2\n[routines.spinal-twist]\nhold = 25\n')
    monkeypatch.setenv("VOICEGUIDE_RATE", "170")
    settings = load_settings(LIBRARY, {"volume": 0.5, "engine": None})
    assert settings.values == {"engine": "sphinx", "rate": 170, "volume": 0.5}
    assert settings.sources == {"engine": str(home / "config.toml"), "rate": "$VOICEGUIDE_RATE", "volume": "--volume"}
    assert settings.choice(LIBRARY["shotgun"], "sets") == 2 and settings.choice(LIBRARY["spinal-twist"], "hold") == 25
    shown = run("config", "show").stdout
    assert run("config").stdout == shown  # show is what config does when told nothing more
    assert "rate     = 170" in shown and "from $VOICEGUIDE_RATE" in shown
    assert "routines.shotgun.sets = 2" in shown and str(home / "config.toml") in shown


@pytest.mark.parametrize(("text", "message"), [
    ("rate = 'fast'", "rate = 'fast' is not allowed; it must be a whole number of words per minute from 80 to 400"),
    ("volume = 3", "volume = 3 is not allowed; it must be a number from 0.0 to 1.0"),
    ("engine = 'siri'", "engine = 'siri' is not allowed; it must be one of vosk, sphinx, keyboard"),
    ("colour = 'red'", "unknown key 'colour'"),
    ("rat = 150", "unknown key 'rat' (did you mean 'rate'?); known: engine"),
    ("[routines.shotgun]\nset = 2", "routines.shotgun.set is not a setting (did you mean 'sets'?)"),
    ("[routines.shotgn]\nsets = 2", "[routines.shotgn] names no routine (did you mean 'shotgun'?)"),
    ("[routines.shotgun]\nsets = 5", "routines.shotgun.sets = 5 is not allowed; the seed text allows a whole number "
                                     "from 2 to 3"),
    ("[routines.spinal-twist]\nhold = 40", "from 15 to 30"),
    ("[routines.dead-bug]\nsets = 2", "cannot be chosen for Dead bug"),
    ("[routines.yoga]\nsets = 2", "[routines.yoga] names no routine"),
    ("rate = ", "is not valid TOML"),
])
def test_bad_config_is_refused_naming_key_value_and_what_is_allowed(home, text, message):
    (home / "config.toml").write_text(text + "\n")
    with pytest.raises(ConfigError, match=None) as caught:
        load_settings(LIBRARY)
    assert message in str(caught.value)
    result = run("start", "shotgun", "--engine", "keyboard", stdin="")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_bad_environment_value_is_refused(home, monkeypatch):
    monkeypatch.setenv("VOICEGUIDE_VOLUME", "loud")
    result = run("config", "show")
    assert result.returncode == 2 and "$VOICEGUIDE_VOLUME: volume = 'loud' is not allowed" in result.stderr


# ------------------------------------------------------------ history


def _history(*args: str) -> list[dict]:
    result = run("history", "--json", *args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_each_session_appends_a_record_with_pain_reports(home):
    (home / "config.toml").write_text("[routines.shotgun]\nsets = 2\n")
    assert run("start", "shotgun", "--engine", "keyboard", stdin="ready\nstop\n").returncode == 3
    assert run("start", "dead-bug", "--engine", "keyboard", stdin="ready\nmy leg is numb\n").returncode == 4
    first, second = _history()
    assert (first["routine"], first["how"], first["pain"]) == ("shotgun", "stopped", [])
    assert (first["holds"], first["holds_done"]) == (1, 0)  # the squeeze, cut short by "stop"
    assert second["routine"] == "dead-bug" and second["how"] == "pain"
    assert second["pain"] == [{"words": "my leg is numb", "advice": "professional"}]
    assert _history("--last", "1") == [second]
    table = run("history").stdout
    assert "shotgun" in table and '! "my leg is numb"' in table and "(professional)" in table


def test_a_corrupt_line_is_skipped_with_a_warning(home):
    run("start", "shotgun", "--engine", "keyboard", stdin="stop\n")
    with (home / "history.jsonl").open("a") as f:
        f.write('{"session": "abc", "kind": "sta')  # a write cut short
    result = run("history", "--json")
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 1
    assert "history.jsonl:" in result.stderr and "skipped" in result.stderr


def test_a_killed_session_keeps_what_happened_before(home):
    proc = subprocess.Popen([sys.executable, "-m", "voiceguide", "start", "shotgun", "--engine", "keyboard"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("ready\n")
    proc.stdin.flush()
    for line in proc.stdout:  # the squeeze (5 s) is held to the end, then the release waits for "ready"
        if "state release" in line:
            break
    proc.stdin.write("ouch\n")  # a pain report lands...
    proc.stdin.flush()
    for line in proc.stdout:
        if "ended pain" in line:
            break
    proc.send_signal(signal.SIGKILL)  # ...and the process dies before it can finish anything else
    proc.wait()
    (record,) = _history()
    assert record["holds"] == 1 and record["holds_done"] == 1
    assert record["pain"] == [{"words": "ouch", "advice": "stop"}] and record["how"] == "pain"


# ------------------------------------------------------------ journal lines, doctor, unit file


def test_without_a_terminal_each_event_is_one_plain_line(home):
    out = run("start", "shotgun", "--engine", "keyboard", stdin="ready\nit hurts\n").stdout.splitlines()
    assert out[0] == "state setup" and out[1] == 'said "Shotgun squeeze and push."'
    assert 'heard "it hurts" (pain)' in out and out[-1] == "ended pain"
    assert plain_line(Understood(1.0, "ready", "ready", ignored="x")) == 'heard "ready" (ready, ignored: x)'


def test_quiet_prints_only_how_it_ended(home):
    assert run("start", "shotgun", "--engine", "keyboard", "--quiet", stdin="stop\n").stdout == "ended stopped\n"


def test_doctor_reports_every_check_and_fails_when_a_need_is_missing(home):
    result = run("doctor")
    out = result.stdout
    for name in ("python", "packages", "config", "microphone", "speech out", "embedded recogniser", "vosk model"):
        assert name in out
    failed = "fail" in out
    assert result.returncode == (1 if failed else 0)
    assert ("A session needs:" in out) == failed and "Traceback" not in result.stderr


def test_doctor_names_a_broken_config(home):
    (home / "config.toml").write_text("rate = 9000\n")
    result = run("doctor")
    assert result.returncode == 1 and "rate = 9000 is not allowed" in result.stdout


def test_systemd_unit_is_valid(tmp_path):
    unit = ROOT / "scripts" / "voiceguide.service"
    parsed = configparser.ConfigParser(strict=False, interpolation=None)
    parsed.optionxform = str  # type: ignore[assignment,method-assign]
    parsed.read(unit)
    service = parsed["Service"]
    assert service["ExecStart"].endswith("/voiceguide listen") and service["Restart"] == "on-failure"
    assert "143" in service["SuccessExitStatus"] and service["StandardOutput"] == "journal"
    assert parsed["Install"]["WantedBy"] == "default.target"
    if shutil.which("systemd-analyze"):
        local = tmp_path / "voiceguide.service"  # verify with this machine's real voiceguide as the command
        exe = Path(sys.executable).with_name("voiceguide")
        local.write_text(unit.read_text().replace("%h/voiceguide/.venv/bin/voiceguide", str(exe)))
        check = subprocess.run(["systemd-analyze", "verify", str(local)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


# ------------------------------------------------------------ no network at run time


def test_a_whole_session_opens_no_socket(home, monkeypatch, tmp_path, capsys):
    def refuse(*args, **kwargs):
        raise AssertionError("a session tried to use the network")

    monkeypatch.setattr(socket.socket, "__init__", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    script = tmp_path / "session.txt"
    script.write_text("1 ready\n")  # dead bug: ready, then six timed repetitions to the end
    assert main(["simulate", "dead-bug", "--script", str(script)]) == 0
    assert "session ended: completed" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="network"):  # the guard itself works
        socket.create_connection(("127.0.0.1", 9))


def test_terminal_panel_shows_routine_step_hold_countdown_heard_and_engine():
    import io

    from rich.console import Console

    from tests.conftest import drive
    from voiceguide.display import Display

    out = io.StringIO()
    d = drive(LIBRARY["shotgun"], sets=3)
    display = Display(engine="sphinx", stream=out, tty=True, clock=lambda: d.clock.t)
    d.say("ready", at=1.0)  # into the 5 s squeeze
    d.clock.t = 3.0
    for event in d.events:
        display(event)

    def panel_text() -> str:
        panel = Console(file=io.StringIO(), width=80, force_terminal=False)
        panel.print(display._panel())
        return panel.file.getvalue()

    text = panel_text()
    assert "Shotgun squeeze and push" in text and "squeeze" in text and "3 s left" in text
    assert re.search(r"set\s+1 of 3", text)
    assert '"ready" (ready)' in text and "sphinx" in text
    assert "repeat · stop" in text and "slower" not in text  # not offered where the recogniser cannot hear it
    seen = len(d.events)
    d.say("pause", at=4.0)
    d.say("resume", at=30.0)  # 2 s were left when paused
    d.clock.t = 30.5
    for event in d.events[seen:]:
        display(event)
    text = panel_text()
    display.close()
    assert "2 s left" in text
    assert "ready" in out.getvalue()  # the transcript line went to the terminal too


def test_devices_lists_microphones_and_speakers_or_says_why_there_are_none():
    result = run("devices")
    assert "microphones" in result.stdout and "speakers" in result.stdout and "Traceback" not in result.stderr
    has_mic = result.stdout.split("speakers")[0].count("Hz") > 0
    assert result.returncode == (0 if has_mic else 1)
    assert has_mic or "none: no sound card" in result.stdout


def test_terminal_panel_offers_slower_and_louder_only_when_typing():
    import io

    from rich.console import Console

    from voiceguide.display import Display

    for engine, offered in (("keyboard", True), ("vosk", False)):
        display = Display(engine=engine, stream=io.StringIO(), tty=True)
        panel = Console(file=io.StringIO(), width=100, force_terminal=False)
        panel.print(display._panel())
        display.close()
        assert ("slower · louder" in panel.file.getvalue()) == offered


def test_the_voice_level_is_the_loudest_third_of_a_second_whatever_the_silence_around_it():
    import numpy as np

    from voiceguide.audio import frame_powers, voice_level

    def level(pcm: bytes) -> float:
        return voice_level(frame_powers(np.frombuffer(pcm, dtype=np.int16), 160))

    t = np.arange(8000) / 16000  # half a second of a tone at a tenth of full scale: -23 dBFS (RMS)
    tone = (3277 * np.sin(2 * np.pi * 440 * t)).astype(np.int16).tobytes()
    quiet = bytes(2 * 16000 * 2)
    assert level(quiet + tone + quiet) == pytest.approx(-23.0, abs=0.2)
    assert level(tone) == level(quiet + tone)
    assert level(quiet) == -120.0 and level(b"") == -120.0


def test_the_voice_meter_measures_each_utterance_afresh_leaving_out_the_guide_s_own_voice():
    import numpy as np

    from voiceguide.audio import VoiceMeter

    t = np.arange(1600) / 16000
    tone = (3277 * np.sin(2 * np.pi * 440 * t)).astype(np.int16).tobytes()  # 0.1 s at -23 dBFS
    loud = (32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16).tobytes()  # 0.1 s at -3 dBFS
    meter = VoiceMeter(16000)
    assert meter.utterance_ended() is None  # nothing heard
    meter.hear(loud, guide=True)  # the guide's voice
    for _ in range(5):
        meter.hear(tone + bytes(3), guide=False)  # blocks that end mid-frame, even mid-sample
    assert meter.utterance_ended() == pytest.approx(-23.0, abs=0.2)
    meter.hear(tone[:3200 // 4] * 4)
    assert meter.utterance_ended() == pytest.approx(-23.0, abs=0.2)  # afresh: not the loudest of both
    meter.hear(loud, guide=True)
    assert meter.utterance_ended() is None
