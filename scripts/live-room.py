#!/usr/bin/env python3
"""Barge-in, live: is pain said over the guide's voice heard, when its loudspeaker reaches its microphone?

Runs `voiceguide start shotgun --engine sphinx` against a private PulseAudio daemon (no sound card needed)
whose loudspeaker is looped into its microphone (module-loopback), and says each phrase into the
microphone a few seconds into the guide's opening lines, once per trial. A trial counts as caught when the
session halts (stop-and-advise, or paused to ask) within 10 s. Not part of CI: about 25 s per trial.

    python scripts/live-room.py [--trials N] [--at SECONDS ...] [--voice flite:rms]
"""

from __future__ import annotations

import argparse
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from voiceguide.corpus import concat, silence, synth
from voiceguide.virtual_audio import loudspeaker_into_mic, play_into_mic, pulse_daemon

PHRASES = ("it hurts", "my back hurts", "my leg is numb")


def trial(env: dict[str, str], wav: Path, at: float) -> tuple[bool, list[str]]:
    """One session: ``wav`` said ``at`` seconds after the guide starts talking. Caught?, and what was printed."""
    proc = subprocess.Popen([sys.executable, "-m", "voiceguide", "start", "shotgun", "--engine", "sphinx"], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x.rstrip()) for x in proc.stdout or ()], daemon=True).start()
    seen: list[str] = []
    try:
        while not any(x.startswith("said") for x in seen):
            seen.append(lines.get(timeout=60))
        time.sleep(at)
        play_into_mic(wav, env)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                break
            if seen[-1] in ("state stop_and_advise", "state paused"):
                return True, seen
        return False, seen
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=2, help="sessions per phrase and moment (default 2)")
    parser.add_argument("--at", type=float, nargs="+", default=[3.0, 8.0],
                        help="seconds after the guide starts talking to say the phrase (default 3 8)")
    parser.add_argument("--voice", default="flite:rms", help="voice saying the phrases (default flite:rms)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="voiceguide-live-room-") as scratch:
        work = Path(scratch)
        pad = silence(0.5, work / "pad.wav")
        with pulse_daemon(work) as env, loudspeaker_into_mic(env):
            caught = total = 0
            for i, phrase in enumerate(PHRASES):
                wav = concat([pad, synth(phrase, args.voice, work / f"p{i}.wav"), pad], work / f"said{i}.wav")
                for at in args.at:
                    for _ in range(args.trials):
                        hit, seen = trial(env, wav, at)
                        caught, total = caught + hit, total + 1
                        heard = [x for x in seen if x.startswith("heard")]
                        print(f"{'caught' if hit else 'missed'}  {phrase!r} at {at:g} s  heard: {heard}", flush=True)
            print(f"barge-in caught live: {caught} of {total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
