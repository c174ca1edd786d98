"""What the embedded recogniser hears: the microphone (after echo cancelling) with steady noise taken out, the
room's steady background talk turned down, and a constant, quiet noise floor put in.

- **Noise suppression** (WebRTC's, from the ``webrtc-noise-gain`` wheel, as wyoming-satellite uses): a fan, a
  hiss, a hum is learnt and taken out, 10 ms at a time, so the recogniser and its endpointer hear the voice.
- **A gate for background talk** (:mod:`voiceguide.background`): what does not stand out from talk that has
  gone on for most of the last seconds (a television, a radio) is turned down.
- **A noise floor** (:class:`NoiseFloor`: seeded white noise, about -60 dBFS): pocketsphinx's features and its
  running cepstral mean go wrong on digital silence (a synthesised clip's padding, a sound server's idle stream,
  what suppression leaves), and then a word's path is pruned before it ends and nothing is heard at all. A real
  microphone always hisses a little; this makes every input do so. The endpointer hears it at one level always
  (a floor that moved would sound to it like speech starting, and two utterances ran into one); the decoders hear
  it 40 dB under the loudest sound of the last 5 s, at most that level, so that it does not mask a quiet voice.

Suppression and the floor were chosen with ``python scripts/tune-recogniser.py``, the gate with
``python scripts/tune-gate.py``, each on its own voices and noise, not the bench's.
"""

from __future__ import annotations

import logging

import numpy as np

from voiceguide.audio import frame_powers
from voiceguide.background import BackgroundGate, GateSettings

log = logging.getLogger(__name__)

RATE = 16000
FRAME_BYTES = RATE // 100 * 2  # 10 ms of int16 mono: what the suppressor takes
FLOOR_MEMORY = 500  # 10 ms frames (5 s): the floor follows the loudest sound heard in this long
FLOOR_LEAST = 3.0  # RMS (int16, about -81 dBFS): the floor never goes below this


class Denoiser:
    """Noise suppression at ``level`` (0 off, 1-4 stronger) and the background ``gate`` (None: off), for int16 mono
    PCM at 16 kHz. Audio comes out as it goes in, up to 10 ms later."""

    def __init__(self, level: int, gate: GateSettings | None = None):
        self.level = level
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
        """Forget the noise and the room learnt: the same input gives the same output."""
        # No automatic gain (0): the recogniser's cepstral mean normalises the level.
        self.suppressor = self.processor(0, self.level) if self.processor is not None else None
        self.pending = b""
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
        return audio

    def flush(self) -> bytes:
        """What is left (under 10 ms), not suppressed: the end of a stream."""
        rest, self.pending = self.pending[:len(self.pending) // 2 * 2], b""
        return rest


class NoiseFloor:
    """White noise of RMS ``floor`` (int16; 0 off) added to int16 mono PCM at 16 kHz, its own seeded noise. With
    ``below`` (dB), each 10 ms frame's floor is at most ``floor`` and otherwise that far below the loudest 10 ms of
    the last 5 s (never under FLOOR_LEAST): quiet speech is not masked by a floor set for loud."""

    def __init__(self, floor: float, below: float | None = None):
        self.floor, self.below = floor, below
        self.reset()

    def reset(self) -> None:
        """Start the noise again, and forget what was heard: the same input gives the same output."""
        self.random = np.random.default_rng(0)
        self.loudest = np.zeros(0)  # the level (RMS) of each 10 ms frame of the last 5 s but one

    def add(self, audio: bytes) -> bytes:
        """``audio`` (whole samples) with the floor in it."""
        if not self.floor or not audio:
            return audio
        samples = np.frombuffer(audio, dtype=np.int16).astype(np.float64)
        if self.below is None:
            samples += self.random.normal(0.0, self.floor, len(samples))
        else:  # each 10 ms frame's floor from the loudest frame of the 5 s up to it, itself included
            frame = FRAME_BYTES // 2
            levels = np.concatenate([self.loudest, np.sqrt(frame_powers(samples, frame)),
                                     np.sqrt(np.mean(samples[len(samples) // frame * frame:] ** 2, keepdims=True))
                                     if len(samples) % frame else []])
            heard = len(levels) - len(self.loudest)
            padded = np.concatenate([np.zeros(FLOOR_MEMORY - 1), levels])  # silence before the first frame
            windows = np.lib.stride_tricks.sliding_window_view(padded, FLOOR_MEMORY)[-heard:]
            floors = np.minimum(self.floor, np.maximum(FLOOR_LEAST, windows.max(axis=1) * 10 ** (self.below / 20)))
            self.loudest = levels[-(FLOOR_MEMORY - 1):]
            samples += np.repeat(floors, frame)[:len(samples)] * self.random.standard_normal(len(samples))
        return np.clip(np.rint(samples), -32768, 32767).astype(np.int16).tobytes()
