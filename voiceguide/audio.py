"""Audio sources: the microphone and WAV files, behind one interface that yields timed blocks.

A block is 16-bit mono PCM at the source's ``sample_rate``, stamped with ``t``: the time of its
last sample (seconds into the file, or the real clock for the microphone). Blocks are at most
100 ms long.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import time
import wave
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import soxr

from voiceguide.errors import VoiceguideError

BLOCK_SECONDS = 0.1
QUIET = 30.0  # an int16 RMS below this is silence (about -60 dBFS)
VOICE_FRAMES = 30  # a voice's level: the loudest 0.3 s (30 frames of 10 ms) of what is heard
# The bench's clips reach that level at -17 to -23 dBFS (medians; -32 at the least) as it usually hears them, and at
# -43 dBFS (-36 at the most) in "low pink 10 dB", where it halts for 73 % of pain rather than 91 %: halfway.
FAINT_VOICE_DBFS = -33.0
METER_SECONDS = 10.0  # an utterance's level is measured over at most this much audio before its end


def rms(samples: np.ndarray) -> float:
    """The root-mean-square level of int16 samples (0 for none)."""
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


def frame_powers(samples: np.ndarray, frame: int) -> np.ndarray:
    """The mean square of each whole ``frame`` of ``samples`` (a part frame at the end is left out)."""
    frames = samples[: len(samples) // frame * frame].reshape(-1, frame).astype(np.float64)
    return (frames ** 2).mean(axis=1)


def faint(level: float | None) -> bool:
    """Is a voice ``level`` (dBFS; None: not measured, typed) too quiet to be heard well?"""
    return level is not None and level < FAINT_VOICE_DBFS


def voice_level(powers: np.ndarray) -> float:
    """How loud a voice is (dBFS), from the mean squares of its 10 ms frames: its loudest 0.3 s (VOICE_FRAMES
    frames, wherever they fall), so the silence around it does not count; -120 for none."""
    if not len(powers):
        return -120.0
    loudest = np.sort(powers)[-VOICE_FRAMES:]
    return max(-120.0, 10 * float(np.log10(max(float(np.mean(loudest)), 1e-12) / 32768 ** 2)))


class VoiceMeter:
    """How loud the latest utterance was: the 10 ms frames heard since the last one ended (the last
    METER_SECONDS at most), the guide's own playback left out (its voice is not the user's)."""

    def __init__(self, sample_rate: int):
        self.frame = sample_rate // 100
        self.powers: deque[float] = deque(maxlen=round(METER_SECONDS * 100))
        self.rest = np.zeros(0, dtype=np.int16)

    def hear(self, pcm: bytes, guide: bool = False) -> None:
        """Take a block of int16 audio; ``guide``: the guide's loudspeaker played during it."""
        if guide:
            self.rest = self.rest[:0]
            return
        samples = np.concatenate([self.rest, np.frombuffer(pcm[:len(pcm) - len(pcm) % 2], dtype=np.int16)])
        whole = len(samples) // self.frame * self.frame
        self.powers.extend(frame_powers(samples[:whole], self.frame).tolist())
        self.rest = samples[whole:]

    def utterance_ended(self) -> float | None:
        """The level (dBFS, see :func:`voice_level`) of what was heard since the last utterance ended, None if
        nothing was (all of it under the guide's voice); the next utterance is measured afresh."""
        level = round(voice_level(np.array(self.powers)), 1) if self.powers else None
        self.powers.clear()
        return level


class AudioError(VoiceguideError):
    """Audio that cannot be opened or read, in words a user can act on."""


@dataclass(frozen=True)
class Block:
    t: float
    pcm: bytes  # int16 mono, little-endian
    guide: bool = False  # the guide's loudspeaker was playing during this block
    talked_over: bool = False  # with this block, someone has been heard talking over the guide long enough


class AudioSource(Protocol):
    sample_rate: int

    def blocks(self) -> Iterator[Block]: ...


def to_mono_int16(samples: np.ndarray) -> np.ndarray:
    """Mix interleaved channels (shape frames x channels) down to one int16 channel."""
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    return np.clip(np.rint(samples), -32768, 32767).astype(np.int16)


class Resampler:
    """Streaming conversion of int16 mono PCM from one rate to another (soxr, high quality)."""

    def __init__(self, in_rate: int, out_rate: int):
        self.same = in_rate == out_rate
        self.stream = None if self.same else soxr.ResampleStream(in_rate, out_rate, 1, dtype="int16")

    def __call__(self, pcm: bytes, last: bool = False) -> bytes:
        if self.stream is None:
            return pcm
        return self.stream.resample_chunk(np.frombuffer(pcm, dtype=np.int16), last=last).tobytes()


MIN_RATE, MAX_RATE = 8000, 384000  # sample rates a recording may have


class WavSource:
    """A WAV file of any usable rate and channel count, streamed as timed blocks (time = position in the file).

    The file is read one block at a time, never whole, so an hour-long recording costs no more memory than a
    second of it.
    """

    def __init__(self, path: str | Path, sample_rate: int | None = None):
        self.path = Path(path)
        try:
            with wave.open(str(self.path), "rb") as w:
                self.file_rate, self.channels, self.width = w.getframerate(), w.getnchannels(), w.getsampwidth()
                self.n_frames = w.getnframes()
        except FileNotFoundError:
            raise AudioError(f"no such audio file: {self.path}") from None
        except IsADirectoryError:
            raise AudioError(f"{self.path} is a folder, not an audio file") from None
        except (wave.Error, EOFError, OSError) as e:
            raise AudioError(f"{self.path} is not a PCM WAV file ({e}); convert it with: "
                             f"sox {self.path} -b 16 out.wav") from None
        if self.width not in (1, 2, 4):
            raise AudioError(f"{self.path}: {8 * self.width}-bit samples are not supported; use 8, 16 or 32-bit PCM")
        if not MIN_RATE <= self.file_rate <= MAX_RATE or self.channels < 1:
            raise AudioError(f"{self.path}: a sample rate of {self.file_rate} Hz with {self.channels} channel(s) is "
                             f"not usable; convert it with: sox {self.path} -r 16000 -c 1 out.wav")
        self.sample_rate = sample_rate or self.file_rate

    @property
    def duration(self) -> float:
        return self.n_frames / self.file_rate

    def _mono(self, frames: bytes) -> np.ndarray:
        dtype = {1: np.uint8, 2: np.int16, 4: np.int32}[self.width]
        whole = len(frames) - len(frames) % (self.width * self.channels)
        if self.width == 2 and self.channels == 1:  # already what the recognisers take
            return np.frombuffer(frames[:whole], dtype=np.int16)
        raw = np.frombuffer(frames[:whole], dtype=dtype).astype(np.float64)
        if self.width == 1:
            raw = (raw - 128) * 256
        elif self.width == 4:
            raw = raw / 65536
        return to_mono_int16(raw.reshape(-1, self.channels))

    def blocks(self) -> Iterator[Block]:
        convert = Resampler(self.file_rate, self.sample_rate)
        block_bytes = 2 * max(1, int(self.sample_rate * BLOCK_SECONDS))
        pending = bytearray()
        sent = 0  # bytes of output handed out so far

        def ready(final: bool) -> Iterator[Block]:
            nonlocal pending, sent
            while len(pending) >= block_bytes or (final and pending):
                pcm, pending = bytes(pending[:block_bytes]), pending[block_bytes:]
                sent += len(pcm)
                yield Block(sent / 2 / self.sample_rate, pcm)

        try:
            with wave.open(str(self.path), "rb") as w:
                while frames := w.readframes(int(self.file_rate * BLOCK_SECONDS) or 1):
                    pending += convert(self._mono(frames).tobytes())
                    yield from ready(final=False)
        except (wave.Error, EOFError, OSError) as e:
            raise AudioError(f"{self.path} could not be read to the end ({e})") from None
        pending += convert(b"", last=True)
        yield from ready(final=True)


class MicrophoneSource:
    """The microphone, through ``sounddevice.RawInputStream`` at the device's own rate.

    Blocks are copied out of PortAudio's callback into a queue; the callback never blocks.
    Opening fails with :class:`AudioError` saying what is wrong (no device, bad device number).
    """

    def __init__(self, device: int | str | None = None):
        import sounddevice as sd

        self.sd = sd
        self.device = device
        try:
            info = sd.query_devices(device, "input")
        except (sd.PortAudioError, ValueError) as e:
            raise AudioError(no_microphone_message(e)) from None
        self.name = str(info["name"])
        self.sample_rate = int(info["default_samplerate"])
        self.queue: queue.Queue[Block | None] = queue.Queue()
        self.closed = False
        self.record_to: Path | None = None

    def _callback(self, indata, frames, time_info, status) -> None:  # PortAudio's thread
        self.queue.put_nowait(Block(time.monotonic(), bytes(indata)))

    def blocks(self) -> Iterator[Block]:
        try:
            stream = self.sd.RawInputStream(
                samplerate=self.sample_rate, blocksize=int(self.sample_rate * BLOCK_SECONDS), device=self.device,
                channels=1, dtype="int16", callback=self._callback, finished_callback=lambda: self.queue.put(None))
        except self.sd.PortAudioError as e:
            raise AudioError(no_microphone_message(e)) from None
        with stream, self._recording() as keep:
            while not self.closed:
                try:
                    block = self.queue.get(timeout=2.0)
                except queue.Empty:
                    raise AudioError("the microphone stopped sending audio") from None
                if block is None:
                    if self.closed:
                        return
                    raise AudioError("the microphone was disconnected")
                keep(block.pcm)
                yield block

    @contextlib.contextmanager
    def _recording(self) -> Iterator[Callable[[bytes], None]]:
        if self.record_to is None:
            yield lambda pcm: None
            return
        self.record_to.mkdir(parents=True, exist_ok=True)
        path = self.record_to / time.strftime("voiceguide-%Y%m%d-%H%M%S.wav")
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(self.sample_rate)
            yield out.writeframes

    def recording_to(self, folder: Path) -> MicrophoneSource:
        """Also save what is heard, as a WAV in ``folder`` (only when the user asks with --record)."""
        self.record_to = folder
        return self

    def close(self) -> None:
        """Ask ``blocks()`` to end; it stops and closes the stream itself, on its own thread, within a block.

        PortAudio cannot shut down while a stream runs, but stopping the stream from this thread as well
        raced the capture thread's own close, and hung in PortAudio's abort.
        """
        self.closed = True


def shield_from_signals() -> None:
    """Leave Ctrl-C and SIGTERM to the main thread, for this thread and the audio threads it starts.

    Otherwise a signal can land in PortAudio's own thread mid-poll, and stopping the stream then hangs.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def no_microphone_message(error: Exception) -> str:
    """One sentence for a missing microphone, from PortAudio's error."""
    return (f"no microphone could be opened ({error}). Plug one in, or pick one with --device "
            "(list them with: python -m sounddevice).")
