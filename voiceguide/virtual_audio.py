"""A private PulseAudio daemon with two null sinks, so the real sounddevice paths run with no sound card.

Used by the tests and by ``voiceguide bench`` (CPU while listening) on machines with no microphone.

- ``mic``: what is played into it (``paplay -d mic``) is what the default input device hears.
- ``speaker``: the default output; the guide talks into it, apart from the microphone, as in a room
  where the guide's voice does not loop straight back into the input.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PulseUnavailable(Exception):
    """PulseAudio is not installed or would not start; the message says which."""


@contextmanager
def pulse_daemon(folder: Path) -> Iterator[dict[str, str]]:
    """Run the daemon for the duration of the block; yield the environment its clients need."""
    if not shutil.which("pulseaudio") or not shutil.which("pactl"):
        raise PulseUnavailable("PulseAudio is not installed (apt install pulseaudio pulseaudio-utils)")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(folder), "HOME": str(folder), "PULSE_RUNTIME_PATH": str(folder)}
    daemon = subprocess.Popen(
        ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--use-pid-file=no", "--log-target=stderr",
         "--load=module-native-protocol-unix", "--load=module-null-sink sink_name=mic",
         "--load=module-null-sink sink_name=speaker"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise PulseUnavailable(f"PulseAudio did not start: {daemon.stderr.read() if daemon.stderr else ''}")
            time.sleep(0.1)
        for command in (["set-default-source", "mic.monitor"], ["set-default-sink", "speaker"]):
            subprocess.run(["pactl", *command], env=env, check=True)
        yield env
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


def play_into_mic(wav: Path, env: dict[str, str]) -> None:
    """Play ``wav`` into the microphone, in real time; returns when it has been played."""
    subprocess.run(["paplay", "-d", "mic", str(wav)], env=env, check=True, timeout=60)


@contextmanager
def loudspeaker_into_mic(env: dict[str, str], latency_ms: int = 30) -> Iterator[None]:
    """While the block runs, the guide's loudspeaker is heard by its microphone, as in a room with no headphones.

    PulseAudio's module-loopback carries it, resampling adaptively to hold its latency: like a microphone and a
    loudspeaker on separate clocks, the echo path drifts a little, which a linear echo canceller finds hard.
    """
    loaded = subprocess.run(["pactl", "load-module", "module-loopback", "source=speaker.monitor", "sink=mic",
                             f"latency_msec={latency_ms}"], env=env, capture_output=True, text=True, check=True)
    try:
        yield
    finally:
        subprocess.run(["pactl", "unload-module", loaded.stdout.strip()], env=env, check=True)
