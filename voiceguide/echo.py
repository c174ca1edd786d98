"""Acoustic echo cancellation: take the guide's own voice out of what the microphone hears.

The guide knows exactly what it plays, so that signal is the reference for Xiph's speexdsp echo canceller
(the system library ``libspeexdsp1``, which PulseAudio itself uses), with its residual-echo suppressor.
This is a thin ctypes binding; nothing is compiled. Without the library, :class:`EchoCanceller` raises
EchoError saying why, and the guide relies on its other defence (the recogniser knows the guide's lines).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections import deque
from functools import cache

import numpy as np

from voiceguide.errors import VoiceguideError

FRAME = 160  # samples per frame at 16 kHz: 10 ms
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
    ``hold`` blocks, so the room's reverberation after a line is not taken for talk.
    """

    def __init__(self, margin_db: float = 10.0, hold: int = 6, history: int = 200):
        self.margin = 10 ** (margin_db / 20)
        self.played: deque[float] = deque(maxlen=hold)
        self.ratios: deque[float] = deque(maxlen=history)

    def talking(self, heard: np.ndarray, played: np.ndarray) -> bool:
        """Does this block hold more than the guide's echo? (True when the guide is silent: anyone may talk.)"""
        heard_rms = float(np.sqrt(np.mean(heard.astype(np.float64) ** 2))) if len(heard) else 0.0
        self.played.append(float(np.sqrt(np.mean(played.astype(np.float64) ** 2))) if len(played) else 0.0)
        level = max(self.played)
        if level < QUIET:
            return True
        self.ratios.append(heard_rms / level)
        gain = float(np.percentile(self.ratios, 25))
        return heard_rms > self.margin * gain * level + QUIET


QUIET = 30.0  # an int16 RMS below this is silence (about -60 dBFS)
