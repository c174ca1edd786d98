"""Turning down the room's steady background talk (a television, a radio, people chatting) before the recogniser
hears it.

pocketsphinx's endpointer never finds the end of an utterance in continuous talk, and its closed grammar forces
that talk onto phrase after phrase: with a television on, the guide halted to ask about pain several times a
minute. Talk that has gone on for most of the last few seconds is the room's background; a person speaking to
the guide stands out from it, louder, and for a while only.

Each second's level is the level its loudest 10 % of 10 ms frames reach. The background is a level that
``seconds`` of the last ``window`` seconds reached, all within ``spread_db`` of one another (steady talk, or
steady noise; the highest such level): sound that has not gone on for that long (the user speaking, a cough, a
door, a loud noise of a few seconds) never becomes background by itself, and a background that stops is
forgotten once it has been quiet for ``window - seconds + 1`` seconds. A frame passes as it is when it stands
``margin_db`` above the background, and so do the ``hold`` seconds after it (a word's quieter sounds); the rest
is turned down by ``DOWN_DB``. While no background has been found, everything passes.

The limit, said plainly: a sound that went on for a few seconds at the user's level or up to ``spread_db``
above it, with the user's words straight after it, fills ``seconds`` of the window together with them, and the
user's following words are turned down until that sound has left the window (at most ``window`` seconds).
And talk whose loudness changes from sentence to sentence more than ``margin_db`` is not held down: on the
bench's human reader the gate lets the talk's louder moments through (see the README's figures).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from voiceguide.audio import frame_powers

FRAMES_A_SECOND = 100  # 10 ms frames
SECOND_PEAK = 90  # a second's level: the level its loudest 10 % of frames reach
DOWN_DB = 30.0  # how far what does not stand out is turned down


@dataclass(frozen=True)
class GateSettings:
    """How the gate tells the room's background from someone speaking to the guide, chosen with
    ``scripts/tune-gate.py`` on its own voices, phrasings and background talk (not the bench's)."""

    margin_db: float = 10.0  # how far above the background a frame must be to pass as it is
    seconds: int = 7  # how many of the last ``window`` seconds a sound must fill to be the background
    spread_db: float = 12.0  # how far apart the levels of those seconds may be
    window: int = 10
    hold: float = 0.25  # seconds kept open after a frame that stood out


GATE = GateSettings()


def steady_level(levels: list[float], count: int, spread_db: float) -> float | None:
    """The highest level that ``count`` of ``levels`` reach while lying within ``spread_db`` of it, or None."""
    for level in sorted(levels, reverse=True):
        if sum(level <= other <= level + spread_db for other in levels) >= count:
            return level
    return None


class BackgroundGate:
    """The gate for int16 mono PCM at ``sample_rate``, fed whole 10 ms frames; as many come out, at once."""

    def __init__(self, sample_rate: int, settings: GateSettings = GATE):
        self.frame = sample_rate // FRAMES_A_SECOND
        self.settings = settings
        self.hold_frames = round(settings.hold * FRAMES_A_SECOND)
        self.reset()

    def reset(self) -> None:
        """Forget the room: pass everything until it has been heard for ``seconds``."""
        self.seconds: deque[float] = deque(maxlen=self.settings.window)
        self.this_second: list[float] = []
        self.background: float | None = None  # the room's background level (dB); None: none found
        self.open_for = 0  # frames still to pass after the last that stood out
        self.gain = 1.0  # of the frame before, to ramp from without a click

    def process(self, pcm: bytes) -> bytes:
        """``pcm`` (whole 10 ms frames) with what does not stand out from the background turned down."""
        samples = np.frombuffer(pcm, dtype=np.int16)
        if not len(samples):
            return pcm
        levels = 10 * np.log10(frame_powers(samples, self.frame) + 1.0)  # dB of int16 RMS, per 10 ms
        gains = np.empty(len(levels))
        for i, level in enumerate(levels):
            if self.background is None or level > self.background + self.settings.margin_db:
                self.open_for = self.hold_frames + 1
            self.open_for = max(self.open_for - 1, 0)
            gains[i] = 1.0 if self.open_for else 10 ** (-DOWN_DB / 20)
            self._learn(level)
        if np.all(gains == 1.0) and self.gain == 1.0:
            return pcm
        # each frame's gain ramps from the one before, so that turning down makes no click
        starts = np.concatenate(([self.gain], gains[:-1]))
        ramp = np.linspace(0.0, 1.0, self.frame, endpoint=False)
        envelope = (starts[:, None] + (gains - starts)[:, None] * ramp).ravel()
        self.gain = float(gains[-1])
        out = np.clip(np.rint(samples[: len(envelope)] * envelope), -32768, 32767).astype(np.int16)
        return out.tobytes() + samples[len(envelope):].tobytes()  # a part frame (never from the denoiser) as it is

    def _learn(self, level: float) -> None:
        self.this_second.append(level)
        if len(self.this_second) == FRAMES_A_SECOND:
            self.seconds.append(float(np.percentile(self.this_second, SECOND_PEAK)))
            self.this_second = []
            self.background = steady_level(list(self.seconds), self.settings.seconds, self.settings.spread_db)
