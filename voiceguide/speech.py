"""Speech out: a speaker on its own thread, fed by a queue.

Each line is synthesised to a WAV with pyttsx3 and played through ``sounddevice``. We never call
``engine.stop()`` (with pyttsx3 2.99 it can hang ``runAndWait()`` for good when called from another
thread): stopping playback is immediate, and the exact window in which the guide was talking is known,
so what the microphone hears in that window can be filtered (see :meth:`SpeakerThread.busy`).

If pyttsx3, its speech backend or the sound output is missing, the speaker says so once and stays
silent; the session goes on with the cues printed.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import soxr

from voiceguide.audio import shield_from_signals
from voiceguide.echo import PlayedLog
from voiceguide.events import Said

log = logging.getLogger(__name__)

SYNTH_ATTEMPTS = 4
SYNTH_SECONDS = 20.0  # a line not written in this long: pyttsx3's loop has hung (it can), so it is ended
REFERENCE_RATE = 16000  # the rate of the echo reference (the recogniser's)
TAIL_SECONDS = 0.6  # after the guide stops talking, echoes and room reverb can still reach the microphone


@dataclass(frozen=True)
class Clip:
    rate: int
    samples: np.ndarray  # int16 mono


class Synthesizer:
    """pyttsx3 writing each line to a WAV file. Use it from one thread only."""

    def __init__(self, voice: str | None = None, rate: int | None = None):
        self.voice, self.rate = voice, rate
        self.engine = self._new_engine()
        self.folder = Path(tempfile.mkdtemp(prefix="voiceguide-tts-"))
        self.count = 0
        self.cache: dict[tuple[str, int | None], Clip] = {}
        self.synthesize("ready")  # the first runAndWait() after init() can return early: warm up on a throwaway

    def _new_engine(self):
        import pyttsx3

        # pyttsx3.init() hands back any engine still alive in this process, whichever thread made it, and
        # driving it from a second thread can hang: each Synthesizer gets its own.
        engine = pyttsx3.Engine()
        _quiet_espeak_driver()
        if self.voice:
            voices = engine.getProperty("voices")
            ids = {v.id for v in voices} | {v.name for v in voices}
            if self.voice not in ids:
                raise ValueError(f"no voice called {self.voice!r}; voices here: {', '.join(sorted(ids)[:12])}")
            engine.setProperty("voice", self.voice)
        if self.rate is not None:
            engine.setProperty("rate", self.rate)
        return engine

    def synthesize(self, text: str, rate: int | None = None) -> Clip:
        """The spoken ``text`` as int16 mono samples, at ``rate`` words per minute if given."""
        if rate is not None and rate != self.rate:
            self.engine.setProperty("rate", rate)
            self.rate = rate
        key = (text, self.rate)
        if key in self.cache:
            return self.cache[key]
        for _ in range(SYNTH_ATTEMPTS):  # pyttsx3 now and then ends its loop before writing the file: again
            self.count += 1
            path = self.folder / f"line{self.count}.wav"  # a new file each time: pyttsx3 may reuse an old target
            self.engine.save_to_file(text, str(path))
            self._run_with_watchdog()
            clip = _read_complete(path)
            path.unlink(missing_ok=True)
            if clip is not None:
                break
        else:
            raise RuntimeError(f"speech synthesis wrote no audio for {text!r} in {SYNTH_ATTEMPTS} attempts")
        if len(self.cache) < 200:
            self.cache[key] = clip
        return clip

    def _run_with_watchdog(self) -> None:
        """``runAndWait()``, ended from a timer thread if it runs past SYNTH_SECONDS: the espeak driver's loop
        waits for a callback that now and then never comes (pyttsx3 issues #126, #194), and would wait forever.
        An engine that hung once writes nothing more, so it is replaced by a new one."""
        hung = threading.Event()

        def end_loop() -> None:
            hung.set()
            # The driver's own endLoop(): the engine's refuses, as by then it takes its loop to be over.
            self.engine.proxy._driver.endLoop()
            log.warning("speech synthesis hung for %.0f s; ended it, to try again with a new engine", SYNTH_SECONDS)

        watchdog = threading.Timer(SYNTH_SECONDS, end_loop)
        watchdog.daemon = True
        watchdog.start()
        try:
            self.engine.runAndWait()
        finally:
            watchdog.cancel()
        if hung.is_set():
            self.engine = self._new_engine()


def _quiet_espeak_driver() -> None:
    """The espeak driver prints "Audio saved to ..." for every line: send that to the log instead.

    Not ``contextlib.redirect_stdout``: it swaps ``sys.stdout`` for every thread, so the session's own
    output printed meanwhile on the main thread would be lost.
    """
    driver = sys.modules.get("pyttsx3.drivers.espeak")
    if driver is not None:
        driver.print = lambda *args, **kwargs: log.debug(" ".join(map(str, args)))


def _read_complete(path: Path) -> Clip | None:
    """The clip in ``path``, or None if there is no complete WAV with audio there."""
    try:
        with wave.open(str(path), "rb") as w:
            frames = w.readframes(w.getnframes())
            return Clip(w.getframerate(), np.frombuffer(frames, dtype=np.int16)) if frames else None
    except (FileNotFoundError, EOFError, wave.Error):
        return None


VOICE_CHANGES: dict[str, tuple[str, float]] = {"slower": ("rate", -25), "faster": ("rate", 25),
                                               "louder": ("volume", 0.2), "quieter": ("volume", -0.2)}
RATE_RANGE = (100, 260)  # words per minute the voice controls keep to
VOLUME_RANGE = (0.3, 1.0)


@dataclass
class Voice:
    """How the guide speaks: words per minute and loudness, changed by "slower", "louder"... within bounds."""

    rate: int = 175
    volume: float = 1.0

    def adjust(self, change: str) -> bool:
        """Apply a voice control; False if the voice is already at its bound that way."""
        what, step = VOICE_CHANGES[change]
        low, high = RATE_RANGE if what == "rate" else VOLUME_RANGE
        now = getattr(self, what)
        new = min(high, max(low, now + step))
        if abs(new - now) < 1e-9:
            return False
        setattr(self, what, type(now)(round(new, 2)))
        return True


def spoken_seconds(text: str, rate: int) -> float:
    """About how long ``text`` takes to say at ``rate`` words per minute (with the synthesiser's own pauses)."""
    return 0.3 + 60.0 * len(text.split()) / rate


class Speaker(Protocol):
    """Where spoken lines go. The session uses ``say``, ``interrupt`` and ``busy(t)`` (was the guide
    talking at time ``t``?); a live run also starts it, waits for it to finish, and closes it."""

    def say(self, text: str) -> None: ...

    def interrupt(self) -> None: ...

    def busy(self, t: float) -> bool: ...

    def finishes_at(self, now: float) -> float:
        """When everything said so far will have been spoken (``now`` if nothing is waiting)."""
        ...

    def adjust(self, change: str) -> bool: ...

    def prepare(self, lines: list[str]) -> None:
        """Lines likely to be said soon: a speaker may synthesise them ahead to know their lengths."""
        ...

    def start(self) -> None: ...

    def wait_until_done(self, timeout: float = 60.0) -> bool: ...

    def close(self) -> None: ...

    @property
    def played_log(self) -> PlayedLog: ...


def say_timed(speaker: Speaker, text: str, now: float) -> Said:
    """Queue ``text`` on ``speaker``; the event for it: when it will begin, and how long it will take."""
    begins = speaker.finishes_at(now)
    speaker.say(text)
    return Said(begins, text, round(speaker.finishes_at(now) - begins, 3))


class SilentSpeaker:
    """A speaker that takes no time and is never busy: for simulation."""

    def __init__(self) -> None:
        self.voice = Voice()
        self.played_log = PlayedLog()  # nothing is ever played

    def say(self, text: str) -> None:
        pass

    def adjust(self, change: str) -> bool:
        return self.voice.adjust(change)

    def prepare(self, lines: list[str]) -> None:
        pass

    def interrupt(self) -> None:
        pass

    def busy(self, t: float) -> bool:
        return False

    def finishes_at(self, now: float) -> float:
        return now

    def start(self) -> None:
        pass

    def wait_until_done(self, timeout: float = 60.0) -> bool:
        return True

    def close(self) -> None:
        pass


class SpeakerThread:
    """Speaks queued lines on a background thread (from ``start()``); ``interrupt()`` cuts the current line."""

    def __init__(self, voice: str | None = None, rate: int | None = None, volume: float | None = None,
                 output_device: int | str | None = None, notify: Callable[[str], None] = log.warning):
        # Shared with the main thread, where a signal's handler raises Terminated between any two steps: a
        # queue.Queue or an Event takes a Python-level lock, which the exception can leave held (CPython runs the
        # handler right after a lock is taken, before the with-block that releases it begins), and then this thread
        # and the shutdown wait on it for ever (two sessions left by a loop of the signal tests were found so).
        # SimpleQueue and a plain flag take none.
        self.lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.stop_now = False  # cut the line being played
        self.idle = threading.Event()
        self.idle.set()
        self.windows: list[tuple[float, float]] = []  # (start, end) of recent speech, monotonic
        self.played_log = PlayedLog()  # what was played, when: the echo canceller's reference
        self.free_at = 0.0  # monotonic time by which the queued lines should have been said
        self.speaking_since: float | None = None
        self.notify = notify
        self.working = True
        self.played: list[str] = []  # lines spoken to the end (not cut by an interrupt)
        self.options = (voice, rate)
        self.voice = Voice(rate or Voice.rate, volume if volume is not None else Voice.volume)
        self.output_device = output_device
        self.ready = threading.Event()
        self.durations: dict[tuple[str, int], float] = {}  # seconds of each line synthesised so far, by rate
        self.to_prepare: list[str] = []  # lines to synthesise ahead, while nothing waits to be said
        self.thread = threading.Thread(target=self._run, name="speaker", daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        """Start the thread and wait (up to ``timeout``) until it can speak, or has said why it cannot."""
        self.thread.start()
        self.ready.wait(timeout=timeout)

    # ---------------------------------------------------------- API used by the session

    def say(self, text: str) -> None:
        if self.working:
            self.idle.clear()
            self.lines.put(text)
            now = time.monotonic()
            self.free_at = max(now, self.free_at) + self.duration(text)

    def prepare(self, lines: list[str]) -> None:
        """Synthesise ``lines`` ahead, whenever nothing waits to be said, so that their lengths are known."""
        self.to_prepare = list(dict.fromkeys(lines))

    def duration(self, text: str) -> float:
        """How long ``text`` takes to say: exact once it has been synthesised, else estimated from its words."""
        return self.durations.get((text, self.voice.rate)) or spoken_seconds(text, self.voice.rate)

    def finishes_at(self, now: float) -> float:
        """When the lines queued so far will have been said (see :meth:`duration`)."""
        return max(now, self.free_at) if self.working else now

    def adjust(self, change: str) -> bool:
        """A voice control, for every line from the next one on (rate when synthesised, volume when played)."""
        return self.voice.adjust(change)

    def interrupt(self) -> None:
        """Drop everything queued and cut the line being spoken."""
        self.free_at = time.monotonic()
        with contextlib.suppress(queue.Empty):
            while True:
                self.lines.get_nowait()
        self.stop_now = True

    def busy(self, t: float) -> bool:
        """Was the guide talking (or within its tail) at monotonic time ``t``?"""
        if self.speaking_since is not None and t >= self.speaking_since - 0.05:
            return True
        return any(start - 0.05 <= t <= end + TAIL_SECONDS for start, end in self.windows)

    def wait_until_done(self, timeout: float = 60.0) -> bool:
        """Block until every queued line has been spoken (or dropped)."""
        return self.idle.wait(timeout)

    def close(self) -> None:
        self.interrupt()
        self.lines.put(None)
        if self.thread.is_alive():
            self.thread.join(timeout=5)

    # ---------------------------------------------------------- the thread

    def _run(self) -> None:
        shield_from_signals()
        try:
            synth = Synthesizer(*self.options)
        except Exception as e:  # pyttsx3 or its backend missing: say so once, go on silently
            self._give_up(f"speech output is unavailable ({e}); the cues are printed instead")
            self.ready.set()
            return
        self.ready.set()
        while (text := self._next_line(synth)) is not None:
            self.stop_now = False
            try:
                if self._play(self._synthesize(synth, text)):
                    self.played.append(text)
            except Exception as e:
                what = "stopped working" if self.played else "is unavailable"
                self._give_up(f"speech output {what} ({e}); the cues are printed instead")
                return
            finally:
                if self.lines.empty():
                    self.idle.set()

    def _next_line(self, synth: Synthesizer) -> str | None:
        """The next line to say; while none is waiting, synthesise a line to prepare."""
        while True:
            while self.to_prepare and self.lines.empty():
                with contextlib.suppress(Exception):  # only a help: a failure shows when the line is said
                    self._synthesize(synth, self.to_prepare.pop(0))
            with contextlib.suppress(queue.Empty):
                return self.lines.get(timeout=0.25)  # and look for lines to prepare again

    def _synthesize(self, synth: Synthesizer, text: str) -> Clip:
        rate = self.voice.rate
        clip = synth.synthesize(text, rate)
        self.durations[(text, rate)] = len(clip.samples) / clip.rate
        return clip

    def _give_up(self, message: str) -> None:
        self.working = False
        self.idle.set()
        self.notify(message)

    def _play(self, clip: Clip) -> bool:
        start = time.monotonic()
        self.speaking_since = start
        try:
            return self._stream(clip)
        finally:
            self.speaking_since = None
            self.windows = [*self.windows[-20:], (start, time.monotonic())]

    def _stream(self, clip: Clip) -> bool:
        """Play ``clip``; False if an interrupt cut it."""
        import sounddevice as sd

        chunk = clip.rate // 20  # 50 ms: how soon an interrupt takes effect
        samples = (clip.samples * self.voice.volume).astype(np.int16) if self.voice.volume < 1.0 else clip.samples
        reference = soxr.resample(samples, clip.rate, REFERENCE_RATE) if clip.rate != REFERENCE_RATE else samples
        with sd.RawOutputStream(samplerate=clip.rate, channels=1, dtype="int16", device=self.output_device) as out:
            heard_from = time.monotonic() + float(out.latency)  # when the first sample leaves the loudspeaker
            for start in range(0, len(samples), chunk):
                if self.stop_now:
                    out.abort()
                    return False
                self.played_log.add(heard_from + start / clip.rate,
                                    reference[start * REFERENCE_RATE // clip.rate:
                                              (start + chunk) * REFERENCE_RATE // clip.rate])
                out.write(samples[start:start + chunk].tobytes())
        return True
