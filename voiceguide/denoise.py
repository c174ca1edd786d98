"""What the embedded recogniser hears: the microphone (after echo cancelling) with steady noise taken out, the
room's steady background talk turned down, and a constant, quiet noise floor put in.

- **Noise suppression** (WebRTC's, from the ``webrtc-noise-gain`` wheel, as wyoming-satellite uses): a fan, a
  hiss, a hum is learnt and taken out, 10 ms at a time, so the recogniser and its endpointer hear the voice.
- **A gate for background talk** (:mod:`voiceguide.background`): what does not stand out from talk that has
  gone on for most of the last seconds (a television, a radio) is turned down.
- **A noise floor** (seeded white noise, about -60 dBFS): pocketsphinx's features and its running cepstral
  mean go wrong on digital silence (a synthesised clip's padding, a sound server's idle stream, what suppression
  leaves), and then a word's path is pruned before it ends and nothing is heard at all. A real microphone
  always hisses a little; this makes every input do so, at the same level.

Suppression and the floor were chosen with ``python scripts/tune-recogniser.py``, the gate with
``python scripts/tune-gate.py``, each on its own voices and noise, not the bench's.
"""

from __future__ import annotations

import logging
from collections import deque

import numpy as np

from voiceguide.background import BackgroundGate, GateSettings

log = logging.getLogger(__name__)

RATE = 16000
FRAME_BYTES = RATE // 100 * 2  # 10 ms of int16 mono: what the suppressor takes
FLOOR_MEMORY = 500  # 10 ms frames (5 s): the floor follows the loudest sound heard in this long
FLOOR_LEAST = 3.0  # RMS (int16, about -81 dBFS): the floor never goes below this


class Denoiser:
    """Noise suppression at ``level`` (0 off, 1-4 stronger), the background ``gate`` (None: off) and a white
    noise floor of RMS ``floor`` (int16; 0 off), for int16 mono PCM at 16 kHz. Audio comes out as it goes in, up
    to 10 ms later. With ``below`` (dB), the floor is at most ``floor`` and otherwise that far below the loudest
    10 ms heard in the last 5 s (never under FLOOR_LEAST): quiet speech is not masked by a floor set for loud."""

    def __init__(self, level: int, floor: float, gate: GateSettings | None = None, below: float | None = None):
        self.level, self.floor, self.below = level, floor, below
        self.gate = BackgroundGate(RATE, gate) if gate is not None else None
        self.processor = None
        if level:
            try:
                from webrtc_noise_gain import AudioProcessor
            except (ImportError, OSError) as e:  # a machine fault: hear without it, and say so
                log.warning("noise suppression cannot load (%s); hearing without it. pip install webrtc-noise-gain", e)
            else:
                self.processor = AudioProcessor
        self.reset()

    def reset(self) -> None:
        """Forget the noise and the room learnt, and start the floor's noise again: the same input gives the same
        output."""
        # No automatic gain (0): the recogniser's cepstral mean normalises the level.
        self.suppressor = self.processor(0, self.level) if self.processor is not None else None
        self.random = np.random.default_rng(0)
        self.pending = b""
        self.loudest: deque[float] = deque(maxlen=FLOOR_MEMORY)
        if self.gate is not None:
            self.gate.reset()

    def process(self, pcm: bytes) -> bytes:
        """The whole 10 ms frames of what came so far, cleaned; the rest waits for the next call."""
        audio = self.pending + pcm
        whole = len(audio) - len(audio) % FRAME_BYTES
        audio, self.pending = audio[:whole], audio[whole:]
        if not audio:
            return b""
        if self.suppressor is not None:
            audio = b"".join(self.suppressor.Process10ms(audio[i:i + FRAME_BYTES]).audio
                             for i in range(0, len(audio), FRAME_BYTES))
        if self.gate is not None:
            audio = self.gate.process(audio)
        return self._with_floor(audio)

    def flush(self) -> bytes:
        """What is left (under 10 ms), with the floor but not suppressed: the end of a stream."""
        rest, self.pending = self.pending[:len(self.pending) // 2 * 2], b""
        return self._with_floor(rest) if rest else b""

    def _with_floor(self, audio: bytes) -> bytes:
        if not self.floor:
            return audio
        samples = np.frombuffer(audio, dtype=np.int16).astype(np.float64)
        if self.below is None:
            samples += self.random.normal(0.0, self.floor, len(samples))
        else:
            for start in range(0, len(samples), FRAME_BYTES // 2):
                frame = samples[start:start + FRAME_BYTES // 2]
                self.loudest.append(float(np.sqrt(np.mean(frame ** 2))))
                floor = min(self.floor, max(FLOOR_LEAST, max(self.loudest) * 10 ** (self.below / 20)))
                frame += self.random.normal(0.0, floor, len(frame))
        return np.clip(np.rint(samples), -32768, 32767).astype(np.int16).tobytes()
