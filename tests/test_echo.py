"""The echo path: the guide's played voice lined up with what the microphone hears, and cancelled."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from voiceguide.audio import Block
from voiceguide.echo import RATE, CancelledMicrophone, EchoDelay, PlayedLog, SampleClock

BLOCK = 1600  # 100 ms


def speechlike(seconds: float, seed: int = 1) -> np.ndarray:
    """Noise shaped into syllables (4 per second) with pauses: broadband, with speech's on-off rhythm."""
    rng = np.random.default_rng(seed)
    n = round(seconds * RATE)
    envelope = np.clip(np.sin(np.arange(n) * 2 * np.pi * 4 / RATE), 0, None) * (rng.random(n // 4000 + 1) > 0.2
                                                                                  ).repeat(4000)[:n]
    return (rng.standard_normal(n) * 3000 * envelope).astype(np.int16)


@dataclass
class LateMicrophone:
    """A microphone that hears the loudspeaker ``late`` seconds after the played log says it played, at
    ``gain``, and whose callback times jitter by up to ``jitter`` seconds, as under a sound server."""

    played: np.ndarray
    late: float
    gain: float = 0.5
    jitter: float = 0.04
    sample_rate: int = RATE
    talk: np.ndarray | None = None  # someone else, heard too (as long as ``played``)

    def blocks(self):
        rng = np.random.default_rng(3)
        lag = round(self.late * RATE)
        heard = np.concatenate([np.zeros(lag), self.played * self.gain])[: len(self.played)]
        if self.talk is not None:
            heard = heard + self.talk
        for start in range(0, len(heard) - BLOCK + 1, BLOCK):
            t_end = 10.0 + (start + BLOCK) / RATE + rng.uniform(0, self.jitter)
            yield Block(t_end, heard[start:start + BLOCK].astype(np.int16).tobytes())


def _log(samples: np.ndarray) -> PlayedLog:
    log = PlayedLog(keep=60.0)
    for start in range(0, len(samples), 800):
        log.add(10.0 + start / RATE, samples[start:start + 800])
    return log


def test_the_sample_clock_counts_through_jitter_and_starts_again_after_a_gap():
    clock = SampleClock()
    starts = [clock.start(t_end, BLOCK) for t_end in (1.1, 1.23, 1.3, 1.41, 1.5)]  # callbacks 100 ms +- 30 ms
    assert starts == pytest.approx([1.0, 1.1, 1.2, 1.3, 1.4])
    assert clock.start(3.0, BLOCK) == pytest.approx(2.9)  # a second lost: counted again from the block's time


@pytest.mark.parametrize("late", [0.03, 0.6, 1.2])
def test_the_echo_delay_is_found_from_the_sound(late):
    played = speechlike(8.0)
    log, delay = _log(played), EchoDelay()
    clock = SampleClock()
    shifts = [delay.listen(np.frombuffer(b.pcm, dtype=np.int16), clock.start(b.t, BLOCK), log)
              for b in LateMicrophone(played, late).blocks()]
    assert delay.found == pytest.approx(late, abs=0.005)
    assert late - delay.slack <= shifts[-1] <= late  # the canceller's filter covers what is left
    assert shifts.index(shifts[-1]) <= 50  # within 5 s of the guide starting to talk


def test_a_delay_that_flips_between_nearby_peaks_leaves_the_reference_where_it_is():
    """In a reverberant room the strongest peak can flip between the direct sound and an early reflection:
    each shift of the reference would make the canceller learn the echo path again."""
    played = speechlike(8.0)
    delay = EchoDelay()
    for late in (0.3, 0.307, 0.3, 0.307, 0.35):
        clock = SampleClock()
        for b in LateMicrophone(played, late).blocks():
            delay.listen(np.frombuffer(b.pcm, dtype=np.int16), clock.start(b.t, BLOCK), _log(played))
        assert delay.found == pytest.approx(late, abs=0.005)
        assert delay.seconds == pytest.approx(0.3 - delay.lead, abs=0.005)


def test_nothing_is_taken_for_an_echo_while_the_guide_is_quiet():
    delay = EchoDelay()
    talk = speechlike(6.0, seed=9)  # someone talking; the loudspeaker silent
    for start in range(0, len(talk), BLOCK):
        assert delay.listen(talk[start:start + BLOCK], 10.0 + start / RATE, PlayedLog()) == 0.0


def test_a_microphone_that_hears_the_guide_late_still_has_its_echo_cancelled():
    played = speechlike(12.0)
    mic = CancelledMicrophone(LateMicrophone(played, late=0.6), _log(played))
    out = np.concatenate([np.frombuffer(b.pcm, dtype=np.int16) for b in mic.blocks()]).astype(np.float64)
    heard = played[: len(out)] * 0.5

    def level(x: np.ndarray) -> float:
        return 10 * np.log10(np.mean(x[-4 * RATE:] ** 2) + 1e-9)

    assert level(heard) - level(out) > 20  # dB of echo taken out over the last 4 s


@pytest.mark.parametrize("seconds, marked", [(0.0, 0), (0.1, 0), (1.0, 1), (3.0, 1)])
def test_talk_over_the_guide_is_marked_once_it_has_lasted(seconds, marked):
    """About 0.2 s of someone talking over the guide's voice marks one block: the guide stops to listen. Its own
    echo, or a sound as short as a cough or a knock, marks none."""
    played = speechlike(10.0)
    talk = np.zeros(len(played))
    start = 5 * RATE
    talk[start:start + round(seconds * RATE)] = np.random.default_rng(4).standard_normal(round(seconds * RATE)) * 3000
    mic = CancelledMicrophone(LateMicrophone(played, late=0.0, talk=talk), _log(played))
    marks = [b.t - 10.0 for b in mic.blocks() if b.talked_over]
    assert len(marks) == marked
    assert all(5.0 + 0.2 <= t <= 5.0 + 0.4 for t in marks)


@pytest.mark.parametrize("seconds", [0.0, 0.16])
def test_a_moment_of_talk_too_short_to_halt_the_guide_is_still_told(seconds):
    """0.16 s of someone talking over the guide does not halt it by itself, but is told for the next 1.5 s, so
    that pain made out with it does; the guide's own echo alone is never told."""
    played = speechlike(10.0)
    talk = np.zeros(len(played))
    start = 5 * RATE
    talk[start:start + round(seconds * RATE)] = np.random.default_rng(4).standard_normal(round(seconds * RATE)) * 3000
    mic = CancelledMicrophone(LateMicrophone(played, late=0.0, talk=talk), _log(played))
    heard = [(b.talked_over, round(b.t - 10.0, 1)) for b in mic.blocks() if mic.someone_talked()]
    told = [t for _, t in heard]
    assert not any(halted for halted, _ in heard)
    if seconds:
        assert told and 5.0 < told[0] < 5.3 and 6.5 < told[-1] < 7.1
    else:
        assert told == []


def test_a_quiet_block_after_the_guide_is_not_talk():
    from voiceguide.echo import DoubleTalk

    double_talk = DoubleTalk()
    silent = np.zeros(BLOCK, dtype=np.int16)
    voice = (np.random.default_rng(5).standard_normal(BLOCK) * 2000).astype(np.int16)
    assert not any(double_talk.talking(silent, silent) for _ in range(20))
    assert double_talk.talking(voice, silent)


def drifting_loudspeaker(talk_seconds: float) -> tuple[CancelledMicrophone, np.ndarray]:
    """A loudspeaker whose clock runs 0.2 % fast against the microphone's (as through a resampling loopback),
    heard 0.3 s late, with ``talk_seconds`` of someone talking from 8 s; and the echo as played there."""
    import soxr

    played = speechlike(14.0)
    drifted = soxr.resample(played.astype(np.float64), RATE, RATE * 1.002)[: len(played)]
    talk = np.zeros(len(played))
    talk[8 * RATE:8 * RATE + round(talk_seconds * RATE)] = np.random.default_rng(4).standard_normal(
        round(talk_seconds * RATE)) * 3000
    return CancelledMicrophone(LateMicrophone(drifted, late=0.3, talk=talk), _log(played)), drifted


@pytest.mark.parametrize("talk_seconds, marked", [(0.0, 0), (1.0, 1)])
def test_talk_over_the_guide_is_told_from_an_echo_the_canceller_cannot_take_out(talk_seconds, marked):
    """Through a drifting loudspeaker the canceller takes out little of the echo, yet its echo alone marks
    nothing, and a sound over it is marked."""
    mic, drifted = drifting_loudspeaker(talk_seconds)
    blocks = list(mic.blocks())
    marks = [b.t - 10.0 for b in blocks if b.talked_over]
    assert len(marks) == marked and all(8.0 < t < 8.6 for t in marks)
    if not talk_seconds:
        out = np.concatenate([np.frombuffer(b.pcm, dtype=np.int16) for b in blocks]).astype(np.float64)
        heard = drifted[: len(out)] * 0.5
        assert 10 * np.log10(np.mean(heard[-4 * RATE:] ** 2) / np.mean(out[-4 * RATE:] ** 2)) < 12  # dB taken out


@pytest.mark.parametrize("talk_seconds", [0.0, 1.0])
def test_over_the_guide_a_result_is_sure_only_while_someone_is_heard_talking(talk_seconds):
    """The recogniser may be "sure" of a phrase in the guide's own echo: that is sure only within 1.5 s of talk
    over the guide, as the talk-over detector tells it (here the canceller leaves much of the echo, which a
    level-based check could take for talk)."""
    mic, _ = drifting_loudspeaker(talk_seconds)
    sure_at = [round(b.t - 10.0, 1) for b in mic.blocks() if mic._learnt() and mic.sure(True)]
    if talk_seconds:
        assert sure_at and 8.0 < sure_at[0] < 8.6 and sure_at[-1] < 8.0 + talk_seconds + 2.1  # 0.5 s window, 1.5 s
    else:
        assert sure_at == []
