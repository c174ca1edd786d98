"""A session's own process, measured from outside: peak memory, and CPU listening to silence and guiding."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

from voiceguide.bench.plan import SESSION_ROUTINE
from voiceguide.errors import VoiceguideError


class BenchError(VoiceguideError):
    """The bench cannot run here, in words a user can act on."""


def _child_env(folder: Path) -> dict[str, str]:
    return {**os.environ, "VOICEGUIDE_CONFIG": str(folder / "none.toml"),
            "VOICEGUIDE_HISTORY": str(folder / "history.jsonl")}


def _engine_args(engine: str, model: str | None) -> list[str]:
    return ["--engine", engine, *(["--model", model] if model else [])]


def peak_rss_mb(engine: str, model: str | None, wav: Path, folder: Path) -> float:
    """Peak resident memory of ``voiceguide simulate --audio`` on a whole session recording."""
    proc = subprocess.Popen([sys.executable, "-m", "voiceguide", "simulate", SESSION_ROUTINE, "--audio", str(wav),
                             *_engine_args(engine, model)], env=_child_env(folder),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise BenchError(f"the {engine} session for the memory figure failed: {proc.stderr.read().decode()}")
    return usage.ru_maxrss / 1024  # kilobytes on Linux


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def listening_cpu(engine: str, model: str | None, seconds: float, folder: Path) -> tuple[float | None, str]:
    """Share of one core ``voiceguide listen`` uses over ``seconds`` of real-time silence from a microphone.

    With no sound card, the microphone is a PulseAudio null sink's monitor (a private daemon).
    """
    # let the greeting's synthesis finish; what remains is listening
    return _cpu_share(["listen"], engine, model, seconds, 2.0, folder, loopback=False,
                      how="PulseAudio null-sink microphone, digital silence")


def guiding_cpu(engine: str, model: str | None, seconds: float, folder: Path) -> tuple[float | None, str]:
    """Share of one core ``voiceguide start shotgun`` uses over ``seconds`` of its opening lines, its loudspeaker
    heard by its microphone: speech synthesis, echo cancelling, the talk-over detector and the recogniser."""
    return _cpu_share(["start", SESSION_ROUTINE], engine, model, seconds, 0.5, folder, loopback=True,
                      how="PulseAudio, the loudspeaker looped into the microphone, the guide's opening lines")


def _cpu_share(command: list[str], engine: str, model: str | None, seconds: float, settle: float, folder: Path,
               loopback: bool, how: str) -> tuple[float | None, str]:
    """Share of one core ``voiceguide COMMAND`` uses over ``seconds``, from ``settle`` seconds after it first
    speaks, against a private PulseAudio daemon (its loudspeaker looped into its microphone if ``loopback``),
    with its own files in a folder of ``folder``: two commands can be measured at once."""
    from voiceguide.virtual_audio import PulseUnavailable, loudspeaker_into_mic, pulse_daemon

    own = folder / command[0]
    own.mkdir(exist_ok=True)
    try:
        with pulse_daemon(own / "pulse") as env, loudspeaker_into_mic(env) if loopback else nullcontext():
            proc = subprocess.Popen([sys.executable, "-m", "voiceguide", *command, *_engine_args(engine, model)],
                                    env={**env, **_child_env(own)}, text=True, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            assert proc.stdout is not None
            try:
                for line in proc.stdout:  # the first line is queued: the microphone is open and heard
                    if line.startswith("said"):
                        break
                else:
                    return None, f"{command[0]} did not start: {proc.stderr.read() if proc.stderr else ''}"
                time.sleep(settle)
                before = _cpu_seconds(proc.pid)
                time.sleep(seconds)
                used = _cpu_seconds(proc.pid) - before
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
            return used / seconds, how
    except (PulseUnavailable, FileNotFoundError) as e:
        return None, str(e)


