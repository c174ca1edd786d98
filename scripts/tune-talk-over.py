#!/usr/bin/env python3
"""Tune how the guide tells someone talking over it from its own echo (``talk_over.py``, ``TALK_OVER_*`` in
echo.py).

The tuning data is kept apart from the bench's: other rooms (reverberation times and reflections the bench does
not use), other echo levels (+3 and -5 dB; the bench uses 0 and -10), other voices (flite kal; espeak-ng
en-gb-scotland and en-us+m3), other phrases ("that hurts", "my hip hurts", "pins and needles", "ow stop"),
said over other routines' opening lines (figure-four 5 s in, psoas-stretch 3 s in, spinal-twist 3.5 s in,
each in the middle of a line; the bench uses shotgun at 4 s). It records, in the virtual room and with nobody
interrupting the guide (nothing is recognised, nothing halts it):

- every routine run to the end with a patient user (only "ready" and "fine", typed): what the microphone
  heard, and what the guide played;
- the phrases said over the guide's opening lines.

Then, for each band margin (``MARGIN_DB``) and share of bands (``SHARE``), it runs the detector over each
recording, with the reference lined up exactly (the virtual room has no delay to find), and sums its talk
frames over windows of ``TALK_OVER_WINDOW`` blocks. It prints the most any self-run reached (a halt at any
threshold up to it) and, for each threshold, the phrases caught (reached between their start and 1 s after
their end). The rule: the halt threshold is twice the most any self-run reached, but never below SHORTEST
frames (a cough, a knock or a dropped cup is shorter than that, and should not stop the guide: a test in
tests/test_echo.py holds it to that), and the margin and share chosen are those that then catch the most
phrases (on a tie, the larger margin and share). Pain made out over the guide, though not sure, halts it with
less talk: halfway between the most any self-run reached and that threshold (``TALK_WITH_PAIN_FRAMES``; one
frame more than the most, the rule first used, let the guide stop itself once in CI, its voice varying from run
to run). About 20 minutes on 2 cores.

    python scripts/tune-talk-over.py
"""

from __future__ import annotations

import math
import tempfile
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from voiceguide import echo, talk_over
from voiceguide.audio import WavSource
from voiceguide.clock import VirtualClock
from voiceguide.corpus import said_at
from voiceguide.recognizers import Result
from voiceguide.room import BLOCK, Room, RoomMicrophone, patient_user, run_in_room
from voiceguide.routines import load_library
from voiceguide.virtual_speaker import VirtualSpeaker

ROOMS = [Room(db, reverb, rt60=rt60, seed=seed) for db in (3.0, -5.0)
         for reverb, rt60, seed in ((False, 0.5, 7), (True, 0.7, 3), (True, 0.3, 5))]
VOICES = ("flite:kal", "espeak:en-gb-scotland", "espeak:en-us+m3")
PHRASES = ("that hurts", "my hip hurts", "pins and needles", "ow stop")
MOMENTS = (("figure-four", 5.0), ("psoas-stretch", 3.0), ("spinal-twist", 3.5))  # routine, seconds in

MARGINS = (4.0, 5.0, 6.0)  # dB above the echo bound that a band must be
SHARES = (0.1, 0.15, 0.2)  # of the bands, for a frame to be talk
THRESHOLDS = (15, 20, 25, 30, 35)  # talk frames in the window
SHORTEST = 15  # the least talk (frames of 10 ms) that may halt the guide


class HearsNothing:
    """A recogniser that makes out nothing: the guide runs on as if nobody interrupted it."""

    name, sample_rate = "nothing", 16000

    def accept(self, pcm: bytes, guide: bool = False) -> list[Result]:
        return []

    def flush(self) -> list[Result]:
        return []

    def reset(self) -> None:
        pass


def record(task: tuple) -> dict:
    """Run one session in the room; return what the microphone heard and what the guide played."""
    kind, room, what, at = task
    library = load_library()
    echo.TALK_OVER_FRAMES = 10 ** 9  # never halt
    speaker = VirtualSpeaker(VirtualClock())
    with tempfile.TemporaryDirectory() as scratch:
        recording, end = None, None
        if kind == "self":
            run_in_room(library[what], room, HearsNothing(), publish=lambda e: None, respond=patient_user(),
                        speaker=speaker)
        else:
            voice, phrase, routine = what
            wav, end = said_at(phrase, voice, at, Path(scratch))
            run_in_room(library[routine], room, HearsNothing(), publish=lambda e: None,
                        recording=WavSource(wav, sample_rate=16000), speaker=speaker, until=at + 4.0)
            recording = WavSource(wav, sample_rate=16000)  # read again, for the same mix below
        blocks = int(speaker.clock.now() * 16000 / BLOCK) + 1
        heard = RoomMicrophone(room, speaker, recording).blocks()  # the same mix again, now that all is played
        raw = np.concatenate([np.frombuffer(next(heard).pcm, dtype=np.int16) for _ in range(blocks)])
    return {"kind": kind, "label": f"{what} {at:g} s, {room.echo_db:+g} dB, rt60 {room.rt60 if room.reverb else 0}",
            "at": at, "end": end, "raw": raw, "played": speaker.between(0.0, len(raw))}


def peak(task: tuple) -> tuple[str, str, float]:
    """The most talk frames the detector found in any window: in the whole run, or around the phrase."""
    run, margin, share = task
    talk_over.MARGIN_DB, talk_over.SHARE = margin, share
    detector = talk_over.TalkOverGuide()
    counts, times = [], []
    for start in range(0, len(run["raw"]) - BLOCK + 1, BLOCK):
        counts.append(detector.frames(run["raw"][start:start + BLOCK], run["played"][start:start + BLOCK]))
        times.append((start + BLOCK) / 16000)
    window = echo.TALK_OVER_WINDOW
    sums = np.convolve(counts, np.ones(window), mode="full")[: len(counts)]
    if run["kind"] == "barge":
        sums = [s for s, t in zip(sums, times, strict=True) if run["at"] <= t <= run["end"] + 1.0]
    return run["kind"], run["label"], float(max(sums, default=0))


def main() -> None:
    tasks = [("self", room, rid, 0.0) for rid in load_library() for room in ROOMS]
    tasks += [("barge", room, (v, p, rid), at)
              for room in ROOMS for v in VOICES for p in PHRASES for rid, at in MOMENTS]
    missed: list[str] = []
    with Pool(2) as pool:
        runs = pool.map(record, tasks)
        print(f"{sum(r['kind'] == 'self' for r in runs)} self-runs, {sum(r['kind'] == 'barge' for r in runs)} "
              f"phrases over the guide; talk frames in {echo.TALK_OVER_WINDOW} blocks")
        print("margin  share  self-runs' most   phrases caught at " + "  ".join(f"{t:>3}" for t in THRESHOLDS)
              + "   at twice the most")
        choices = []
        for margin in MARGINS:
            for share in SHARES:
                peaks = pool.map(peak, [(r, margin, share) for r in runs])
                selves = [p for kind, _, p in peaks if kind == "self"]
                barges = [p for kind, _, p in peaks if kind == "barge"]
                caught = "  ".join(f"{sum(p >= t for p in barges):3d}" for t in THRESHOLDS)
                rule = max(2 * int(max(selves)), SHORTEST)  # twice the most talk any self-run reached
                choices.append((sum(p >= rule for p in barges), margin, share, rule))
                print(f"{margin:6g}  {share:5g}  {max(selves):15g}   {'':18}{caught}   {choices[-1][0]:3d} at {rule}")
                if (margin, share) == (talk_over.MARGIN_DB, talk_over.SHARE):
                    missed = [f"  {p:4g}  {label}" for kind, label, p in peaks
                              if kind == "barge" and p < echo.TALK_OVER_FRAMES]
                    with_pain = math.ceil((max(selves) + echo.TALK_OVER_FRAMES) / 2)  # halfway to a halt
                    reached = sum(p >= with_pain for p in barges)
    best = max(choices)
    print(f"\nchosen: {best[1]:g} dB, share {best[2]:g}, {best[3]} frames ({best[0]} caught); in use: "
          f"{talk_over.MARGIN_DB:g} dB, share {talk_over.SHARE:g}, {echo.TALK_OVER_FRAMES} frames; missed in use:")
    print("\n".join(missed) or "  none")
    print(f"\nwith pain made out (not sure) over the guide: halts at {with_pain} frames, halfway between the most any "
          f"self-run reached and the halt threshold ({reached} phrases reach it); in use: {echo.TALK_WITH_PAIN_FRAMES}")


if __name__ == "__main__":
    main()
