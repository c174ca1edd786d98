"""The speaker on the virtual clock: speaking takes the time it takes live, with nothing played.

Each line lasts as long as its synthesised audio (the real speech-out engine, pyttsx3 with espeak-ng, at the
voice's rate), or, where that engine cannot run, as long as :func:`voiceguide.speech.spoken_seconds`
estimates. Lines play one after another and an interrupt cuts the line being said, so ``busy(t)`` and
``finishes_at(now)`` are exact. ``simulate`` times its lines with it; the virtual room also plays its audio
into the microphone.
"""

from __future__ import annotations

import atexit
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import soxr

from voiceguide.clock import VirtualClock
from voiceguide.speech import TAIL_SECONDS, SilentSpeaker, Synthesizer, Voice, spoken_seconds

log = logging.getLogger(__name__)

RATE = 16000


@cache
def _synthesizer() -> Synthesizer:
    atexit.register(_synthesizer.cache_clear)  # let pyttsx3 close its engine while the interpreter still runs
    return Synthesizer()


def synthesize(text: str, rate: int) -> np.ndarray:
    """``text`` said by the real speech-out engine at ``rate`` words per minute, as 16 kHz float samples."""
    return _said(text, rate).copy()


@cache
def _said(text: str, rate: int) -> np.ndarray:
    clip = _synthesizer().synthesize(text, rate)
    return soxr.resample(clip.samples.astype(np.float32), clip.rate, RATE).astype(np.float64)


def estimated(text: str, rate: int) -> np.ndarray:
    """Silence as long as ``text`` would take to say at ``rate``: for timing where no synthesiser runs."""
    return np.zeros(round(spoken_seconds(text, rate) * RATE))


def speech_timing() -> Callable[[str, int], np.ndarray]:
    """The real engine's audio if it runs here, else :func:`estimated` (saying why, in the log)."""
    try:
        _synthesizer()
    except Exception as e:  # pyttsx3, or its espeak-ng backend, is missing or broken
        log.info("line durations are estimated: the speech-out engine cannot run (%s)", e)
        return estimated
    return synthesize


@dataclass
class Line:
    text: str
    start: float
    samples: np.ndarray

    @property
    def end(self) -> float:
        return self.start + len(self.samples) / RATE


@dataclass
class VirtualSpeaker(SilentSpeaker):
    """Lines take their audio's time on ``clock``, queue one after another; ``interrupt()`` cuts the line
    being said and drops the rest; ``busy(t)`` is exact."""

    clock: VirtualClock
    say_as: Callable[[str, int], np.ndarray] = synthesize
    voice: Voice = field(default_factory=Voice)
    lines: list[Line] = field(default_factory=list)

    @property
    def free_at(self) -> float:
        return max((line.end for line in self.lines), default=0.0)

    def say(self, text: str) -> None:
        samples = self.say_as(text, self.voice.rate) * self.voice.volume
        self.lines.append(Line(text, max(self.clock.now(), self.free_at), samples))

    def interrupt(self) -> None:
        now = self.clock.now()
        self.lines = [line for line in self.lines if line.start < now]
        for line in self.lines:
            if line.end > now:
                line.samples = line.samples[: int((now - line.start) * RATE)]

    def busy(self, t: float) -> bool:
        return any(line.start - 0.05 <= t <= line.end + TAIL_SECONDS for line in self.lines)

    def finishes_at(self, now: float) -> float:
        return max(now, self.free_at)

    def adjust(self, change: str) -> bool:
        return self.voice.adjust(change)

    def between(self, t0: float, n: int) -> np.ndarray:
        """What the loudspeaker plays over ``n`` samples from time ``t0``: the echo canceller's reference."""
        out = np.zeros(n)
        first = round(t0 * RATE)
        for line in self.lines:
            a = round(line.start * RATE) - first
            lo, hi = max(0, a), min(n, a + len(line.samples))
            if lo < hi:
                out[lo:hi] += line.samples[lo - a:hi - a]
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)
