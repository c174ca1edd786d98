"""Is someone talking over the guide? Told from the microphone's spectrum, without trusting the echo canceller.

While the guide talks, the microphone hears its echo: the played voice, delayed by the room and coloured by
the loudspeaker and walls. An echo never puts more into a frequency band than the guide recently played
there, times how loudly that band comes back, fading as the room's reverberation dies away; a person talking
does, in the bands and the gaps between words where the guide's voice is not. So each 10 ms frame of the
microphone (raw, before any cancelling) is cut into bands, and each band is compared with the most the
guide's echo could give there:

- the echo's shape: the direct sound (the reference's loudest in that band over the last few frames) mixed with
  the room's tail (all the reference played before, summed, each frame fading by so many dB per 10 ms since it
  was played). Several decays and mixes are tried, and the one that fits what is heard most tightly is used: a
  dry room is mostly direct sound and fades fast, a reverberant one is mostly tail and fades slowly;
- times the band's echo gain, learnt as a high percentile of microphone to that shape while the guide talks and
  nobody else is heard;
- plus the room's own noise in the band (the median while the guide is silent).

A frame is *talk* when it is louder than silence and enough of its bands stand well above that bound. This
works where the canceller cannot: it needs the echo's level and timing only to within a frame or two, so a
loudspeaker whose clock drifts from the microphone's (a resampling loopback, a Bluetooth speaker), or a
reverberant room the canceller has not yet learnt, does not make the guide's own voice look like talk.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from voiceguide.audio import QUIET, frame_powers

RATE = 16000
HOP, WINDOW = 160, 320  # 10 ms frames, 20 ms windows
LOW, HIGH, BANDS = 300.0, 4000.0, 16  # log-spaced bands over the voice's range
# Tuned with scripts/tune-talk-over.py on rooms, echo levels, voices, phrases and routines the bench does not
# use (see there for the figures).
MARGIN_DB = 4.0  # a band is above the echo when this much louder than the most the echo could give
SHARE = 0.1  # a frame is talk when at least this share of its bands are (2 of 16)
HOLD = 0.6  # seconds after the guide's voice that its echo may still be heard
DECAYS_DB = (3.0, 1.5, 0.8, 0.5, 0.3)  # room decays tried, dB per 10 ms (RT60 0.2 s to 2 s)
DIRECT = 3  # frames the direct sound is taken from: the echo's timing is known to within a frame or two
# At the start of each of the guide's lines, frames the echo may come earlier than the reference lined up with it
# says (SLACK), or later (LATE, besides DIRECT). Live, through PulseAudio's loopback, a line now and then starts
# 10 to 30 ms later or earlier than the line before, and the delay found (from the last 2 s) is that far off until
# it is found again, about a second on; a syllable's echo heard even one frame before its reference counted as
# talk, enough to halt the guide. So each microphone frame is judged SLACK frames late, and in a line's first
# LOOSE frames against a bound whose direct sound spans the reference's frames from SLACK ahead of it to DIRECT +
# LATE before (an early echo makes a syllable's onset look like talk; a late one only its end, which the room's
# tail mostly covers); after that, against the reference as given, as the echo's gain and shape are learnt.
SLACK, LATE = 3, 1
LOOSE = 150  # frames (1.5 s)
LINE_GAP = 30  # frames of silence in the reference (0.3 s) before a sound that begins a new line
MIXES = (0.0, 0.5, 1.0)  # shares of the direct sound in the echo's shape tried (the rest: the room's tail)
GAIN_PERCENTILE = 90  # the echo gain of a band: this percentile of microphone / bound while the guide talks
HISTORY = 3000  # frames (30 s) the echo gain, the room's decay and its noise are learnt over
LEARNT = 200  # frames of the guide's voice (2 s) learnt from before any frame counts as talk
REFIT = 20  # frames between fits of the room's decay and the echo gain
AUDIBLE = 1e3  # a band's energy (int16 units squared, summed over its bins) below this is silence


def _band_edges() -> np.ndarray:
    bins = np.round(np.geomspace(LOW, HIGH, BANDS + 1) / (RATE / WINDOW)).astype(int)
    return np.unique(bins)


class TalkOverGuide:
    """Counts the frames of each block in which someone besides the guide is heard while its voice is up.

    ``frames(heard, played)`` takes the raw microphone block and the guide's played audio lined up with it
    (equal length, int16, 16 kHz) and returns how many of its 10 ms frames were talk: none until it is
    ``ready``, having learnt from ``LEARNT`` frames of the guide's voice. Each frame is judged ``SLACK`` frames
    late (30 ms), so that early in a line the echo's timing may be off either way. ``forget()`` starts learning
    again (the reference was moved).
    """

    def __init__(self) -> None:
        self.edges = _band_edges()
        self.window = np.hanning(WINDOW)
        self.margin = 10 ** (MARGIN_DB / 10)
        hold = round(HOLD * RATE / HOP)
        self.fading = np.array([10 ** (-d / 10) for d in DECAYS_DB])[:, None]  # per 10 ms, for each decay
        self.slowest = (10 ** (-min(DECAYS_DB) / 10)) ** np.arange(hold)[:, None]
        self.mixes = np.array(MIXES)[:, None, None]
        self.references: deque[np.ndarray] = deque(maxlen=hold)
        self.pending: deque[tuple[np.ndarray, bool]] = deque()  # the last SLACK microphone frames, not yet judged
        self.tails = np.zeros((len(DECAYS_DB), len(self.edges) - 1))  # the reference summed, fading, per decay
        self.tails_then: deque[np.ndarray] = deque(maxlen=SLACK + 1)  # the tails as of the last SLACK + 1 frames
        self.silent_for = 0  # frames since the guide last played anything
        self.line_for = 0  # frames since the guide's line began (the reference sounding after LINE_GAP of silence)
        self.heard_tail = np.zeros(WINDOW - HOP)
        self.played_tail = np.zeros(WINDOW - HOP)
        self.quiet: deque[np.ndarray] = deque(maxlen=HISTORY)  # band energies heard while the guide was silent
        self.noise: np.ndarray | float | None = None  # their median per band (the room's noise); None: to work out
        self.forget()

    def forget(self) -> None:
        """Learn the echo's gain and shape afresh."""
        # log(microphone / shape) for each shape and band, over the last HISTORY frames learnt from, kept as a
        # ring (a percentile does not depend on the order) with the frames last, for a fast percentile over them
        self.log_ratios = np.zeros((len(MIXES) * len(DECAYS_DB), len(self.edges) - 1, HISTORY))
        self.shape = 0  # which of the shapes (mix, decay) fits
        self.gain = np.zeros(len(self.edges) - 1)
        self.learnt = 0

    @property
    def ready(self) -> bool:
        """Has it learnt enough of how the guide's voice comes back to tell talk from it?"""
        return self.learnt >= LEARNT

    def frames(self, heard: np.ndarray, played: np.ndarray) -> int:
        """How many 10 ms frames of this block held talk over the guide's voice."""
        heard = np.concatenate([self.heard_tail, heard.astype(np.float64)])
        played = np.concatenate([self.played_tail, played.astype(np.float64)])
        self.heard_tail, self.played_tail = heard[-(WINDOW - HOP):], played[-(WINDOW - HOP):]
        if len(heard) < WINDOW:
            return 0
        # every frame's bands in one transform (a frame the guide played nothing in has bands of zero)
        frames, playing = _windows(heard), _windows(played)
        mics, references, sounding = self._bands(frames), self._bands(playing), playing.any(axis=1)
        # a frame of silence is not talk: the level of each frame's middle 10 ms
        loud = np.sqrt(frame_powers(heard[HOP // 2:], HOP)[: len(frames)]) >= QUIET
        talk = 0
        for i, played_now in enumerate(references):
            self.line_for = 0 if sounding[i] and self.silent_for >= LINE_GAP else self.line_for + 1
            self.silent_for = 0 if sounding[i] else self.silent_for + 1
            self.references.appendleft(played_now)
            self.tails = self.tails * self.fading + played_now
            self.tails_then.append(self.tails)
            self.pending.append((mics[i], bool(loud[i])))
            if len(self.pending) <= SLACK:
                continue
            mic, mic_loud = self.pending.popleft()  # the frame SLACK frames ago: its reference's future is known
            if self.silent_for >= len(self.references):  # the guide has been silent for the whole hold
                self._heard_quiet(mic)
                continue
            history = np.array(self.references)
            if (history * self.slowest[: len(history)]).max(axis=0).sum() < AUDIBLE * len(mic):  # its echo has died
                self._heard_quiet(mic)
                continue
            shapes = self._shapes(history[SLACK:], self.tails_then[0], DIRECT)  # lined up with the frame judged
            bound = shapes[self.shape]
            if self.line_for - SLACK < LOOSE:  # early in a line: the most the echo could give at any nearby timing
                bound = self._shapes(history, np.max(self.tails_then, axis=0), DIRECT + SLACK + LATE)[self.shape]
            if self.noise is None:
                self.noise = percentiles(np.array(self.quiet).T, (50,))[0] if self.quiet else 0.0
            above = mic > self.margin * (self.gain * bound + self.noise)
            is_talk = self.ready and mic_loud and bool(above.mean() >= SHARE)
            talk += int(is_talk)
            if not is_talk:  # learnt from the guide's voice alone
                self.log_ratios[:, :, self.learnt % HISTORY] = np.log(mic / (shapes + 1e-9) + 1e-12)
                self.learnt += 1
                if self.learnt % REFIT == 0:
                    self._fit()
        return talk

    def _heard_quiet(self, mic: np.ndarray) -> None:
        """A frame heard with the guide's echo gone: the room's noise, learnt again when next needed."""
        self.quiet.append(mic)
        self.noise = None

    def _shapes(self, history: np.ndarray, tails: np.ndarray, direct_frames: int) -> np.ndarray:
        """The echo's shape in each band, for each mix of direct sound and tail and each decay (mixes x decays,
        bands): the direct sound the loudest of the reference's last ``direct_frames`` (``history``, latest
        first), the tail (``tails``) scaled so that a steady sound gives the same as its direct part."""
        direct = history[:direct_frames].max(axis=0)
        tail = tails * (1 - self.fading)
        return (self.mixes * direct + (1 - self.mixes) * tail).reshape(-1, len(direct))

    def _fit(self) -> None:
        """Choose the echo's shape that fits it most tightly (the least spread between the median and the high
        percentile of microphone / shape, over the bands), and its echo gain."""
        logs = self.log_ratios[:, :, :min(self.learnt, HISTORY)]  # shapes, bands, frames
        low, high = percentiles(logs, (50, GAIN_PERCENTILE))
        self.shape = int(np.argmin((high - low).mean(axis=1)))
        self.gain = np.exp(high[self.shape])

    def _bands(self, frames: np.ndarray) -> np.ndarray:
        """The energy in each band of each frame (frames x WINDOW samples)."""
        energy = np.abs(np.fft.rfft(frames * self.window, axis=-1)) ** 2
        summed = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(energy, axis=-1)], axis=-1)
        return summed[:, self.edges[1:]] - summed[:, self.edges[:-1]]


def _windows(samples: np.ndarray) -> np.ndarray:
    """The WINDOW-long frames of ``samples``, HOP apart (as many whole ones as there are)."""
    return np.lib.stride_tricks.sliding_window_view(samples, WINDOW)[::HOP]


def percentiles(values: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """``np.percentile(values, qs, axis=-1)`` (its linear method), the same to the bit, for ``qs`` in increasing
    order, five times as fast: numpy partitions on several ranks at once, or along any axis but the last, far
    more slowly than on one rank along the last, so each rank is found in turn, among what lies above the one
    before (the interpolation is numpy's own, in the same order of operations)."""
    n = values.shape[-1]
    work = values.copy()
    out, done = [], 0
    for q in qs:
        index = (n - 1) * np.true_divide(q, 100)  # where numpy places the percentile among the sorted values
        below = int(np.floor(index))
        if below >= done:  # not already found for the percentile before (both in one rank)
            work[..., done:].partition(below - done, axis=-1)
        low = work[..., below]
        high = work[..., below + 1:].min(axis=-1) if below + 1 < n else low
        gamma = index - below
        diff = high - low
        out.append(high - diff * (1 - gamma) if gamma >= 0.5 else low + diff * gamma)
        done = below + 1
    return out
