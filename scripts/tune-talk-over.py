#!/usr/bin/env python3
"""Tune how long someone must talk over the guide before it stops to listen (``TALK_OVER`` in echo.py).

The tuning data is kept apart from the bench's: other rooms (reverberation times and reflections the bench does
not use), other echo levels (+3 and -5 dB; the bench uses 0 and -10), other voices (flite kal; espeak-ng
en-gb-scotland and en-us+m3), other phrases ("that hurts", "my hip hurts", "pins and needles", "ow stop"),
said over another routine's opening lines (figure-four, 5 s in; the bench uses shotgun at 4 s). It runs:

- every routine to the end with a patient user (only "ready" and "fine", typed), the guide's voice reaching the
  microphone: the longest run of blocks in which the detector heard talk over the guide is a false halt at
  any threshold up to it;
- the phrases said over the guide: the longest run of talk from when they start is a halt at any threshold
  up to it.

With halting switched off (so each run goes on as if nobody interrupted), it prints, for each margin above
the echo (``TALK_OVER_MARGIN_DB``) and each number of blocks in a row (``TALK_OVER``), the self-runs that would
halt and the phrases that would be caught. About 3 minutes on 2 cores.

    python scripts/tune-talk-over.py
"""

from __future__ import annotations

import tempfile
from multiprocessing import Pool
from pathlib import Path

from voiceguide import echo
from voiceguide.audio import WavSource
from voiceguide.corpus import concat, silence, synth
from voiceguide.engines import EngineChoice, build_recognizer
from voiceguide.room import Room, patient_user, run_in_room
from voiceguide.routines import load_library

ROOMS = [Room(db, reverb, rt60=rt60, seed=seed) for db in (3.0, -5.0)
         for reverb, rt60, seed in ((False, 0.5, 7), (True, 0.7, 3), (True, 0.3, 5))]
VOICES = ("flite:kal", "espeak:en-gb-scotland", "espeak:en-us+m3")
PHRASES = ("that hurts", "my hip hurts", "pins and needles", "ow stop")
ROUTINE, AT = "figure-four", 5.0

MARGINS = (6.0, 8.0, 10.0, 12.0)  # dB above the guide's echo that count as talk
THRESHOLDS = range(2, 13)  # blocks of talk in a row

_levels: list[tuple[float, float, float]] = []  # per block of the run going on: time, level heard, echo alone
_recognizer = None


def _watch(blocks):
    def watched(self):
        for block in blocks(self):
            _levels.append((block.t, self.double_talk.heard_rms, self.double_talk.echo_rms))
            yield block
    return watched


def longest(levels: list[tuple[float, float, float]], margin_db: float, since: float = 0.0) -> int:
    """The longest run of blocks, from ``since``, in which the guide's voice was up and the microphone heard
    more than ``margin_db`` above its echo: what DoubleTalk.over says, at that margin."""
    margin, best, run = 10 ** (margin_db / 20), 0, 0
    for t, heard, echo_rms in levels:
        run = run + 1 if t >= since and echo_rms > 0 and heard > margin * echo_rms + echo.QUIET else 0
        best = max(best, run)
    return best


def start() -> None:
    global _recognizer
    echo.TALK_OVER = 10 ** 9  # never halt: each run goes on as if nobody had interrupted
    echo.CancelledMicrophone.blocks = _watch(echo.CancelledMicrophone.blocks)
    _recognizer = build_recognizer(EngineChoice("sphinx", None), load_library(), 16000)


def _room(room: Room) -> str:
    return f"{room.echo_db:+g} dB, rt60 {room.rt60 if room.reverb else 0} s"


def run(task: tuple) -> tuple[str, str, dict[float, int]]:
    kind, room, what = task
    library = load_library()
    _levels.clear()
    _recognizer.reset()
    if kind == "self":
        run_in_room(library[what], room, _recognizer, publish=lambda e: None, respond=patient_user())
        return kind, f"{what}, {_room(room)}", {m: longest(_levels, m) for m in MARGINS}
    voice, phrase = what
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        said = synth(phrase, voice, work / "said.wav")
        wav = concat([silence(AT, work / "lead.wav"), said, silence(2.0, work / "tail.wav")], work / "in.wav")
        run_in_room(library[ROUTINE], room, _recognizer, publish=lambda e: None,
                    recording=WavSource(wav, sample_rate=16000), until=AT + 4.0)
    return kind, f"{voice} {phrase!r}, {_room(room)}", {m: longest(_levels, m, AT) for m in MARGINS}


def main() -> None:
    tasks = [("self", room, rid) for rid in load_library() for room in ROOMS]
    tasks += [("barge", room, (v, p)) for room in ROOMS for v in VOICES for p in PHRASES]
    with Pool(2, initializer=start) as pool:
        results = pool.map(run, tasks)
    selves = [(label, n) for kind, label, n in results if kind == "self"]
    barges = [(label, n) for kind, label, n in results if kind == "barge"]
    print("longest talk over the guide (0.1-s blocks) in runs where nobody talked, at each margin:")
    for label, n in sorted(selves, key=lambda x: -x[1][MARGINS[0]])[:6]:
        print("  " + "  ".join(f"{n[m]:3d}" for m in MARGINS) + f"   {label}")
    print("\nself-runs halted / phrases caught, of " f"{len(selves)} / {len(barges)}")
    print("blocks " + "".join(f"{f'margin {m:g} dB':>18}" for m in MARGINS))
    for threshold in THRESHOLDS:
        cells = [f"{sum(n[m] >= threshold for _, n in selves):7d} / {sum(n[m] >= threshold for _, n in barges):3d}"
                 for m in MARGINS]
        print(f"{threshold:6d} " + "".join(f"{c:>18}" for c in cells))
    margin, threshold = echo.TALK_OVER_MARGIN_DB, echo.TALK_OVER
    print(f"\nphrases missed at the margin and threshold in use ({margin:g} dB, {threshold} blocks):")
    for label, n in barges:
        if n[margin] < threshold:
            print(f"  {n[margin]:3d}  {label}")


if __name__ == "__main__":
    main()
