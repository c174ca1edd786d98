"""Acoustic echo cancellation: take the guide's own voice out of what the microphone hears.

The guide knows exactly what it plays, so that signal is the reference for Xiph's speexdsp echo canceller
(the system library ``libspeexdsp1``, which PulseAudio itself uses), with its residual-echo suppressor.
This is a thin ctypes binding; nothing is compiled. Without the library, :class:`EchoCanceller` raises
EchoError saying why, and the guide relies on its other defence (the recogniser knows the guide's lines).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import threading
from collections import deque
from collections.abc import Iterator
from functools import cache
from typing import Protocol

import numpy as np

from voiceguide.audio import QUIET, AudioSource, Block, Resampler, rms
from voiceguide.errors import VoiceguideError
from voiceguide.events import Heard
from voiceguide.talk_over import TalkOverGuide

RATE = 16000  # the echo canceller and the recognisers work at 16 kHz
FRAME = 160  # samples per frame at 16 kHz: 10 ms
# Over the guide's voice, a result is sure only if someone was heard talking over it within the last 1.5 s: by
# the talk-over detector once it has learnt the echo; before that, by 0.4 s of talk in 1.5 s from DoubleTalk.
TALK_BLOCKS, TALK_NEEDED = 15, 4
TALK_MARGIN_DB = 10.0  # someone talks over the guide when the microphone is this much louder than its echo
# The guide stops to listen once 0.18 s of the last 0.5 s (in 10 ms frames) held talk over its voice, as told by
# talk_over.TalkOverGuide; tuned with it by scripts/tune-talk-over.py, on data the bench does not use.
TALK_OVER_FRAMES, TALK_OVER_WINDOW = 18, 5
# Pain made out over the guide's voice, though not sure, halts it to ask when this much talk was heard with it
# (within TALK_BLOCKS): halfway between the most the guide's echo alone reached on the talk-over tuning data (9)
# and what halts it by itself (18). (One frame more than that most, 10, let the guide stop itself once in CI:
# its voice varies from run to run, and so does how much of its echo stands out.)
TALK_WITH_PAIN_FRAMES = 14
TALK_DELAY_MOVED = 0.1  # seconds the echo's delay may move before the talk detector learns the echo afresh
TAIL = 4000  # samples the echo path may last: 250 ms of delay and room
SPEEX_ECHO_SET_SAMPLING_RATE = 24
SPEEX_PREPROCESS_SET_DENOISE = 0
SPEEX_PREPROCESS_SET_ECHO_SUPPRESS = 20
SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE = 22
SPEEX_PREPROCESS_SET_ECHO_STATE = 24


class EchoError(VoiceguideError):
    """The echo canceller cannot run here."""


@cache
def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("speexdsp") or "libspeexdsp.so.1"
    try:
        lib = ctypes.CDLL(name)
    except OSError as e:
        raise EchoError(f"the speexdsp library is missing ({e}); sudo apt install libspeexdsp1") from None
    lib.speex_echo_state_init.restype = ctypes.c_void_p
    lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.speex_echo_state_destroy.argtypes = [ctypes.c_void_p]
    lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    lib.speex_preprocess_state_init.restype = ctypes.c_void_p
    lib.speex_preprocess_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.speex_preprocess_state_destroy.argtypes = [ctypes.c_void_p]
    lib.speex_preprocess_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.speex_preprocess_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    return lib


class EchoCanceller:
    """Removes the reference (what the guide played) from the microphone signal, frame by frame at 16 kHz.

    ``process(mic, played)`` takes equal-length int16 arrays, aligned in time, of any length; whole 10 ms
    frames are cancelled and what is left over waits for the next call.
    """

    def __init__(self, sample_rate: int = 16000):
        lib = _library()
        self.lib = lib
        self.echo = lib.speex_echo_state_init(FRAME, TAIL)
        self.pre = lib.speex_preprocess_state_init(FRAME, sample_rate)
        rate = ctypes.c_int(sample_rate)
        lib.speex_echo_ctl(self.echo, SPEEX_ECHO_SET_SAMPLING_RATE, ctypes.byref(rate))
        off = ctypes.c_int(0)
        lib.speex_preprocess_ctl(self.pre, SPEEX_PREPROCESS_SET_DENOISE, ctypes.byref(off))  # noise: the recogniser's
        lib.speex_preprocess_ctl(self.pre, SPEEX_PREPROCESS_SET_ECHO_STATE, ctypes.c_void_p(self.echo))
        suppress = ((SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, -60), (SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, -30))
        for request, db in suppress:
            value = ctypes.c_int(db)
            lib.speex_preprocess_ctl(self.pre, request, ctypes.byref(value))
        self.mic = np.zeros(0, dtype=np.int16)
        self.ref = np.zeros(0, dtype=np.int16)

    def process(self, mic: np.ndarray, played: np.ndarray) -> np.ndarray:
        """The microphone signal with the echo of ``played`` removed (as many whole frames as are ready)."""
        self.mic = np.concatenate([self.mic, mic.astype(np.int16)])
        self.ref = np.concatenate([self.ref, played.astype(np.int16)])
        frames = min(len(self.mic), len(self.ref)) // FRAME
        out = np.empty(frames * FRAME, dtype=np.int16)
        for k in range(frames):
            near = np.ascontiguousarray(self.mic[k * FRAME:(k + 1) * FRAME])
            far = np.ascontiguousarray(self.ref[k * FRAME:(k + 1) * FRAME])
            clean = np.empty(FRAME, dtype=np.int16)
            self.lib.speex_echo_cancellation(self.echo, near.ctypes.data, far.ctypes.data, clean.ctypes.data)
            self.lib.speex_preprocess_run(self.pre, clean.ctypes.data)
            out[k * FRAME:(k + 1) * FRAME] = clean
        self.mic, self.ref = self.mic[frames * FRAME:], self.ref[frames * FRAME:]
        return out

    def close(self) -> None:
        if self.echo:
            self.lib.speex_preprocess_state_destroy(self.pre)
            self.lib.speex_echo_state_destroy(self.echo)
            self.echo = self.pre = None

    def __del__(self) -> None:
        self.close()



class DoubleTalk:
    """Is someone besides the guide talking? Compares what the microphone hears with what the guide played.

    How loud the guide's own voice comes back (the echo path's gain, after any echo cancelling) is learnt from
    the blocks where only the guide is heard: the quieter quarter of the microphone-to-played ratios, since
    the user talks over the guide only now and then. A block counts as talk when the microphone is more than
    ``margin_db`` louder than the guide's echo alone would make it. The played level is held over the last
    ``hold`` blocks, so the room's reverberation after a line is not taken for talk. While the guide is
    silent, a block counts as talk when it is louder than silence and twice the room's quiet level (the
    quieter fifth of the silent blocks): a quiet block after a line is not taken for someone talking.
    """

    def __init__(self, margin_db: float = TALK_MARGIN_DB, hold: int = 6, history: int = 200):
        self.margin = 10 ** (margin_db / 20)
        self.played: deque[float] = deque(maxlen=hold)
        self.ratios: deque[float] = deque(maxlen=history)
        self.silent: deque[float] = deque(maxlen=history)  # levels heard while the guide was silent

    def talking(self, heard: np.ndarray, played: np.ndarray) -> bool:
        """Does this block hold someone talking: more than the guide's echo, or, while it is silent, more than
        the room's quiet?"""
        heard_rms = rms(heard)
        self.played.append(rms(played))
        level = max(self.played)
        if level < QUIET:
            self.silent.append(heard_rms)
            return heard_rms > max(QUIET, 2 * float(np.percentile(self.silent, 20)))
        self.ratios.append(heard_rms / level)
        return heard_rms > self.margin * float(np.percentile(self.ratios, 25)) * level + QUIET


class PlayedLog:
    """What the guide's loudspeaker played, and when (monotonic seconds), at 16 kHz: the echo reference.

    The speaker thread adds each chunk as it plays it; the microphone thread reads the stretch that matches each
    block it hears. Old audio is forgotten after ``keep`` seconds.
    """

    def __init__(self, rate: int = 16000, keep: float = 20.0):
        self.rate, self.keep = rate, keep
        self.chunks: deque[tuple[float, np.ndarray]] = deque()
        self.lock = threading.Lock()

    def add(self, start: float, samples: np.ndarray) -> None:
        with self.lock:
            self.chunks.append((start, samples.astype(np.int16)))
            while self.chunks and self.chunks[0][0] < start - self.keep:
                self.chunks.popleft()

    def between(self, t0: float, n: int) -> np.ndarray:
        """The ``n`` samples played from time ``t0`` (silence where nothing was)."""
        out = np.zeros(n, dtype=np.int16)
        with self.lock:
            chunks = list(self.chunks)
        for start, samples in chunks:
            a = round((start - t0) * self.rate)
            lo, hi = max(0, a), min(n, a + len(samples))
            if lo < hi:
                out[lo:hi] = samples[lo - a:hi - a]
        return out


class Played(Protocol):
    def between(self, t0: float, n: int) -> np.ndarray: ...


class SampleClock:
    """When each block's first sample was heard, counted in samples from the first block.

    A block's own time is when PortAudio's callback ran, which jitters by tens of milliseconds as the sound
    server hands audio over in bursts; an echo canceller needs a reference that is continuous to the sample.
    Counting samples gives that; the count is set again from the block times only if they part by more than
    ``slack`` seconds (samples were lost, or the stream restarted).
    """

    def __init__(self, rate: int = RATE, slack: float = 0.25):
        self.rate, self.slack = rate, slack
        self.origin: float | None = None
        self.samples = 0

    def start(self, t_end: float, n: int) -> float:
        """The start of a block of ``n`` samples whose callback ran at ``t_end``."""
        counted = None if self.origin is None else self.origin + self.samples / self.rate
        if counted is None or abs(counted - (t_end - n / self.rate)) > self.slack:
            self.origin, self.samples = t_end - n / self.rate, 0
            counted = self.origin
        self.samples += n
        return counted


class EchoDelay:
    """How much later than the played log says the microphone hears the guide's voice, found from the sound.

    The log's times are when the sound leaves the loudspeaker as PortAudio reports it, and a block's time is
    when the microphone callback ran; the sound server's buffers, a loopback or a Bluetooth speaker add delay
    on top, hundreds of milliseconds under PulseAudio. The echo canceller only models 250 ms, so the
    reference must be lined up first. Every half second while the guide talks, the last two seconds heard are
    cross-correlated (phase transform, as in GCC-PHAT) with what was played, over lags from ``-early`` to
    ``late`` seconds; a clear peak, found twice within 10 ms, is the delay found (``found``).

    The reference is then shifted by a little less than that (``lead`` seconds less), and the shift is left
    alone while the delay found stays within ``slack`` of it: the canceller's own filter covers a delay that
    small, and every shift makes it learn the echo path again. (In a reverberant room the strongest peak can
    flip between the direct sound and an early reflection a few milliseconds later; shifting the reference
    each time left the echo uncancelled for half a second.)
    """

    def __init__(self, rate: int = RATE, window: float = 2.0, early: float = 0.2, late: float = 1.5,
                 every: float = 0.5, clarity: float = 8.0, lead: float = 0.02, slack: float = 0.08):
        self.rate, self.early, self.late, self.clarity = rate, early, late, clarity
        self.lead, self.slack = lead, slack
        self.found: float | None = None
        self.heard: deque[np.ndarray] = deque()
        self.size = round(window * rate)
        self.every = round(every * rate)
        self.since_estimate = 0
        self.seconds = 0.0  # the shift applied to the reference
        self.candidate: float | None = None

    def listen(self, heard: np.ndarray, start: float, played: Played) -> float:
        """Take a block heard from ``start``; return the delay to apply to the reference (seconds)."""
        self.heard.append(heard.astype(np.float64))
        while sum(map(len, self.heard)) - len(self.heard[0]) >= self.size:
            self.heard.popleft()
        self.since_estimate += len(heard)
        if self.since_estimate >= self.every:
            self.since_estimate = 0
            self._estimate(start + len(heard) / self.rate, played)
        return self.seconds

    def _estimate(self, end: float, played: Played) -> None:
        mic = np.concatenate(self.heard)[-self.size:]
        if len(mic) < self.size:
            return
        t0 = end - len(mic) / self.rate
        early, late = round(self.early * self.rate), round(self.late * self.rate)
        reference = played.between(t0 - self.late, len(mic) + late + early).astype(np.float64)
        if not np.any(reference) or rms(mic) < QUIET:
            return  # the guide was quiet, or nothing was heard: nothing to line up
        n = 1 << int(np.ceil(np.log2(len(reference) + len(mic))))
        cross = np.conj(np.fft.rfft(mic, n)) * np.fft.rfft(reference, n)
        cross /= np.abs(cross) + 1e-9
        score = np.fft.irfft(cross, n)
        # the mic at sample i matches the reference at i + shift: shift = late - delay, for delays early..late
        shifts = score[: late + early + 1]
        best = int(np.argmax(shifts))
        if shifts[best] < self.clarity * np.mean(np.abs(shifts)):
            return
        delay = (late - best) / self.rate
        if self.candidate is not None and abs(delay - self.candidate) <= 0.01:
            self.found = delay
            if not self.seconds <= delay <= self.seconds + self.slack:
                self.seconds = max(0.0, delay - self.lead)
        self.candidate = delay


class CancelledMicrophone:
    """A microphone with the guide's own voice taken out: 16 kHz blocks, echo-cancelled against what the
    loudspeaker played at the same moment. It also tells whether the guide has been talking lately and
    whether someone talked over it (:class:`~voiceguide.talk_over.TalkOverGuide`, which reads the raw
    microphone and does not rely on the canceller): the first block with which ``TALK_OVER_FRAMES`` frames of
    the last ``TALK_OVER_WINDOW`` blocks held such talk is marked ``talked_over``, and the guide stops to listen
    (once it has learnt how its own voice comes back, with the echo's delay found)."""

    sample_rate = RATE

    def __init__(self, source: AudioSource, played: Played, cancel: bool = True):
        self.source, self.played, self.cancel = source, played, cancel
        self.double_talk = DoubleTalk()
        self.talk_over = TalkOverGuide()
        self.delay = EchoDelay()
        self.talk: deque[bool] = deque(maxlen=TALK_BLOCKS)  # DoubleTalk's verdict on each block
        # the talk-over detector's talk frames in the window ending with each block (0 until it has learnt)
        self.talk_heard: deque[int] = deque(maxlen=TALK_BLOCKS)
        self.playing: deque[bool] = deque(maxlen=TALK_BLOCKS)
        self.talk_frames: deque[int] = deque(maxlen=TALK_OVER_WINDOW)
        self.talk_learnt_at = 0.0  # the echo's delay when the talk detector began learning the echo

    def blocks(self) -> Iterator[Block]:
        canceller = EchoCanceller(RATE) if self.cancel else None
        convert = Resampler(self.source.sample_rate, RATE)
        clock = SampleClock()
        over = False
        for block in self.source.blocks():
            pcm = np.frombuffer(convert(block.pcm), dtype=np.int16)
            start = clock.start(block.t, len(pcm))
            reference = self.played.between(start - self.delay.listen(pcm, start, self.played), len(pcm))
            heard = canceller.process(pcm, reference) if canceller is not None else pcm
            self.playing.append(bool(np.any(reference)))
            self.talk.append(self.double_talk.talking(heard, reference[: len(heard)]))
            self.talk_frames.append(self.talk_over.frames(pcm, self._reference_for_talk(start, len(pcm))))
            self.talk_heard.append(sum(self.talk_frames) if self._learnt() else 0)
            was_over, over = over, self.talk_heard[-1] >= TALK_OVER_FRAMES
            yield Block(block.t, heard.tobytes(), guide=any(self.playing), talked_over=over and not was_over)

    def _reference_for_talk(self, start: float, n: int) -> np.ndarray:
        """What the guide played, lined up with the block at the echo's delay as found. (The canceller's reference
        is a little earlier, which its own filter takes up; the talk detector needs the echo's timing itself.)
        When the delay found moves far, the detector learns the echo afresh."""
        found = self.delay.found or 0.0
        if abs(found - self.talk_learnt_at) > TALK_DELAY_MOVED:
            self.talk_learnt_at = found
            self.talk_over.forget()
        return self.played.between(start - found, n)

    def _learnt(self) -> bool:
        """Can it tell talk from its echo? Not until it has heard enough of the guide's voice with the echo's
        delay found."""
        return self.talk_over.ready and self.delay.found is not None

    def sure(self, recognizer_sure: bool) -> bool:
        """Is a result sure? Within 1.5 s of the guide's voice, only if someone was heard talking too (over
        it, or after it): as the talk-over detector tells it once it has learnt the echo (the spotter can find
        "that hurts" in the guide's own reverberant "Say ready when the belt is on", where the level-based
        DoubleTalk took the echo's residue for talk), and as DoubleTalk tells it before."""
        if not recognizer_sure or not any(self.playing):
            return recognizer_sure
        if self._learnt():
            return max(self.talk_heard, default=0) >= TALK_OVER_FRAMES
        return sum(self.talk) >= TALK_NEEDED

    def someone_talked(self) -> bool:
        """Was someone heard talking over the guide in the last 1.5 s, if only briefly (``TALK_WITH_PAIN_FRAMES``)?
        Too little to halt the guide by itself, but with pain made out in the same moment, it does."""
        return max(self.talk_heard, default=0) >= TALK_WITH_PAIN_FRAMES

    def judge(self, heard: Heard) -> Heard:
        """A recogniser's result as the session should take it, with what this microphone heard around it: sure
        only as :meth:`sure` allows, and whether someone was heard talking over the guide with it."""
        return dataclasses.replace(heard, sure=self.sure(heard.sure), talk=self.someone_talked())

    def close(self) -> None:
        close = getattr(self.source, "close", None)
        if close is not None:
            close()
