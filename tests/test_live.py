"""Live sessions through the real devices: pyttsx3 + sounddevice out, sounddevice in, on a PulseAudio null sink."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from voiceguide.corpus import concat, louder, silence, synth
from voiceguide.speech import SpeakerThread
from voiceguide.virtual_audio import PulseUnavailable, loudspeaker_into_mic, play_into_mic, pulse_daemon

pytestmark = [pytest.mark.audio, pytest.mark.device]

LONG_LINE = ("Lie on your back with your knees bent and your feet flat on the floor, "
             "then breathe slowly in and out, and let your lower back settle.")


def _reload_sounddevice() -> None:
    """PortAudio lists devices when it starts: restart it so it sees the daemon's."""
    import sounddevice as sd

    sd._terminate()
    sd._initialize()


@pytest.fixture(scope="module")
def pulse(tmp_path_factory):
    try:
        with pulse_daemon(tmp_path_factory.mktemp("pulse")) as env:
            saved = dict(os.environ)
            os.environ.update(env)
            _reload_sounddevice()
            yield env
            os.environ.clear()
            os.environ.update(saved)
            _reload_sounddevice()
    except PulseUnavailable as e:
        pytest.skip(str(e))


@pytest.fixture(scope="module")
def spoken(tmp_path_factory) -> dict[str, Path]:
    """Commands as a person would say them into the microphone, with a little silence around."""
    folder = tmp_path_factory.mktemp("spoken")
    pad = silence(0.5, folder / "pad.wav")
    return {text: concat([pad, synth(text, "flite:rms", folder / f"{i}.wav"), pad], folder / f"cmd{i}.wav")
            for i, text in enumerate(["it hurts", "start dead bug", "ready"])}


# ------------------------------------------------------------ speech out


def test_speaker_speaks_many_lines_in_a_row(pulse):
    messages: list[str] = []
    speaker = SpeakerThread(notify=messages.append)
    speaker.start()
    lines = [f"Set {n}. Squeeze." for n in range(1, 7)]
    for line in lines:
        speaker.say(line)
    assert speaker.wait_until_done(timeout=120)
    speaker.close()
    assert messages == []
    assert speaker.played == lines
    assert len(speaker.windows) == len(lines)
    assert all(end - start > 0.5 for start, end in speaker.windows)  # played out in real time, not dropped


def test_the_speaker_prepares_lines_while_idle_so_their_lengths_are_known():
    from voiceguide.speech import spoken_seconds

    speaker = SpeakerThread(output_device="no such device", notify=lambda message: None)
    speaker.start()
    line = "Slowly draw your right knee across your body toward your left side."
    speaker.prepare([line, "5", line])
    deadline = time.monotonic() + 30
    while (line, speaker.voice.rate) not in speaker.durations and time.monotonic() < deadline:
        time.sleep(0.05)
    exact = speaker.durations[(line, speaker.voice.rate)]
    speaker.close()
    assert abs(exact - spoken_seconds(line, speaker.voice.rate)) > 0.1  # the estimate alone would be off
    assert speaker.duration(line) == exact and speaker.duration("not prepared") == spoken_seconds("not prepared",
                                                                                                  speaker.voice.rate)


def test_interrupt_cuts_the_line_at_once_and_the_speaker_goes_on(pulse):
    speaker = SpeakerThread(notify=pytest.fail)
    speaker.start()
    speaker.say(LONG_LINE)
    speaker.say("This line is dropped by the interrupt.")
    deadline = time.monotonic() + 30
    while speaker.speaking_since is None:
        assert time.monotonic() < deadline, "the speaker never started"
        time.sleep(0.01)
    time.sleep(0.5)
    speaker.interrupt()
    assert speaker.wait_until_done(timeout=10)
    start, end = speaker.windows[-1]
    assert end - start < 2.0  # cut about 0.5 s in; said to the end, LONG_LINE takes about 8 s
    assert not speaker.busy(end + 1.0)
    speaker.say("Release.")
    assert speaker.wait_until_done(timeout=30)
    speaker.close()
    assert speaker.played == ["Release."]


def test_speaker_without_sound_output_says_so_once_and_goes_on():
    messages: list[str] = []
    speaker = SpeakerThread(output_device="no such device", notify=messages.append)
    speaker.start()
    for line in ("Squeeze.", "Release.", "Push."):
        speaker.say(line)
    assert speaker.wait_until_done(timeout=30)
    speaker.close()
    assert len(messages) == 1 and "the cues are printed instead" in messages[0]
    assert not speaker.working and speaker.played == []


# ------------------------------------------------------------ speech in, end to end


class Running:
    """``voiceguide`` in a subprocess, its output lines collected as they come."""

    def __init__(self, args: list[str], env: dict[str, str]):
        env = {**env, "PYTHONFAULTHANDLER": "1"}  # on a hang, SIGABRT shows where every thread was
        self.proc = subprocess.Popen([sys.executable, "-m", "voiceguide", *args], env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.proc.kill()
                raise AssertionError(f"no {text!r} in output: {self.seen}\n{self.proc.stderr.read()}") from None
            self.seen.append(line)
            if text in line:
                return line

    def finish(self, timeout: float = 180) -> tuple[int, str]:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGABRT)
            raise AssertionError(f"voiceguide did not exit: {self.seen}\n{self.proc.communicate()[1]}") from None
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        assert self.proc.stderr is not None
        return code, self.proc.stderr.read()


def test_start_hears_it_hurts_through_the_microphone_while_the_guide_talks(pulse, spoken):
    run = Running(["start", "shotgun", "--engine", "sphinx"], pulse)
    run.wait_for('said "Shotgun')  # the opening lines: the guide is talking from here on
    play_into_mic(spoken["it hurts"], pulse)
    run.wait_for("state stop_and_advise", timeout=20)
    code, err = run.finish()
    assert code == 4, err  # stopped for pain
    assert "Listening with sphinx" in err and "Traceback" not in err
    assert 'heard "it hurts" (pain)' in run.seen
    assert run.seen[-1] == "ended pain"


def _say_until(run: Running, wav: Path, env: dict[str, str], line: str, attempts: int = 4) -> None:
    """Say ``wav`` into the microphone until ``line`` is printed (say, "state setup"), as a person repeats themselves.

    A command said over the guide's voice is ignored by design, and the null sink's capture timing
    sometimes garbles a phrase that decodes cleanly from the file; each try is in ``run.seen``.
    """
    for _ in range(attempts):
        play_into_mic(wav, env)
        with contextlib.suppress(queue.Empty):
            while True:
                run.seen.append(run.lines.get(timeout=3))
        if line in run.seen:
            return
    raise AssertionError(f"never printed {line!r} after {attempts} tries: {run.seen}")


def test_listen_starts_a_routine_by_voice_and_stops_on_pain(pulse, spoken):
    run = Running(["listen", "--engine", "sphinx"], pulse)
    run.wait_for('said "Ready when you are.')
    _say_until(run, spoken["start dead bug"], pulse, "state setup")
    _say_until(run, spoken["ready"], pulse, "state lower", attempts=8)
    play_into_mic(spoken["it hurts"], pulse)
    run.wait_for("state stop_and_advise", timeout=20)
    run.wait_for('said "Say start, and the name of a routine, when you want another."')
    run.proc.send_signal(signal.SIGTERM)  # how systemd stops it
    code, err = run.finish()
    assert code == 143 and "Traceback" not in err, err


def test_a_faint_voice_is_told_it_can_only_just_be_heard_live(pulse, spoken, tmp_path):
    from voiceguide.session import FAINT_VOICE

    faint = louder(spoken["start dead bug"], -22, tmp_path / "faint.wav")  # ten times further away, and more
    run = Running(["listen", "--engine", "sphinx"], pulse)
    run.wait_for('said "Ready when you are.')
    _say_until(run, faint, pulse, f'said "{FAINT_VOICE}"')
    run.proc.send_signal(signal.SIGTERM)
    code, err = run.finish()
    assert run.seen.count(f'said "{FAINT_VOICE}"') == 1, run.seen
    assert code == 143 and "Traceback" not in err, err


# ------------------------------------------------------------ a room with a loudspeaker, and doctor


@pytest.fixture
def loudspeaker_room(pulse):
    """The guide's loudspeaker heard by its own microphone, as in a room with no headphones."""
    with loudspeaker_into_mic(pulse):
        yield pulse


def test_in_a_room_with_a_loudspeaker_a_whole_routine_runs_without_stopping_itself(loudspeaker_room, spoken):
    run = Running(["start", "glute-bridge", "--engine", "sphinx"], loudspeaker_room)
    run.wait_for('said "Say ready when you are set."')
    time.sleep(3.0)  # the user answers once the line (2 s) is over: what this test watches is the guide's own voice
    _say_until(run, spoken["ready"], loudspeaker_room, "state lift", attempts=8)
    run.wait_for("ended", timeout=240)
    code, err = run.finish()
    heard = [line for line in run.seen if line.startswith("heard")]
    assert run.seen[-1] == "ended completed" and code == 0, (run.seen, err)
    assert not any(line.startswith(("state paused", "state stop_and_advise", "pain")) for line in run.seen), heard


def test_doctor_measures_the_microphone_level(pulse, tmp_path):
    def doctor() -> dict[str, dict]:
        result = subprocess.run([sys.executable, "-m", "voiceguide", "doctor", "--json"], env=pulse,
                                capture_output=True, text=True, timeout=60)
        assert "Traceback" not in result.stderr, result.stderr
        return {c["name"]: c for c in map(json.loads, result.stdout.splitlines())}

    quiet = doctor()  # nothing plays into the null sink: digital silence
    assert quiet["microphone"]["status"] == "warn" and "digital silence" in quiet["microphone"]["detail"]
    assert "it hears nothing at all" in quiet["microphone"]["fix"]
    assert quiet["room echo"]["status"] == "warn" and "module-echo-cancel" in quiet["room echo"]["fix"]
    tone = tmp_path / "tone.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-b", "16", str(tone), "synth", "6", "sine", "440", "vol", "0.1"],
                   check=True)
    playing = threading.Thread(target=play_into_mic, args=(tone, pulse))
    playing.start()
    time.sleep(0.5)
    heard = doctor()["microphone"]
    playing.join()
    level = re.search(r"3 s heard at (-\d+) dBFS", heard["detail"])
    assert heard["status"] == "ok" and level and -26 <= int(level.group(1)) <= -20, heard  # 0.1 of full scale


def test_doctor_voice_says_whether_a_voice_reaches_the_microphone_loudly_enough(pulse, tmp_path):
    """``doctor --voice`` asks the user to speak and measures how loudly the voice arrives: said close to the
    microphone it is fine; 25 dB lower (a microphone far away, or its gain low) it is faint, and the fix says so."""
    said = synth("it hurts, my back hurts", "flite:rms", tmp_path / "said.wav")
    pause = silence(0.5, tmp_path / "pause.wav")
    talking = concat([said, pause] * 8, tmp_path / "talking.wav")  # longer than the checks listen
    faint = louder(talking, -25, tmp_path / "faint.wav")

    def voice_check(wav: Path) -> tuple[dict, str]:
        playing = threading.Thread(target=play_into_mic, args=(wav, pulse))
        playing.start()
        time.sleep(0.3)
        result = subprocess.run([sys.executable, "-m", "voiceguide", "doctor", "--json", "--voice"], env=pulse,
                                capture_output=True, text=True, timeout=60)
        playing.join()
        assert "Traceback" not in result.stderr, result.stderr
        checks = {c["name"]: c for c in map(json.loads, result.stdout.splitlines())}
        return checks["voice level"], result.stderr

    close, asked = voice_check(talking)
    assert "Say something for 4 seconds" in asked  # the request goes to stderr, keeping stdout JSON
    level = re.search(r"your voice reached (-\d+) dBFS", close["detail"])
    assert close["status"] == "ok" and level and -25 <= int(level.group(1)) <= -10, close
    far, _ = voice_check(faint)
    assert far["status"] == "warn" and "faint" in far["detail"] and "closer" in far["fix"], far
