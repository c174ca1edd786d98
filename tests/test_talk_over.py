"""Telling someone talking over the guide from the guide's own echo, band by band, in dry and reverberant rooms."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_echo import speechlike
from voiceguide import talk_over
from voiceguide.echo import TALK_OVER_FRAMES, TALK_OVER_WINDOW
from voiceguide.room import Reverb, impulse_response

BLOCK = 1600
PAUSE = 8000  # half a second of silence after each line


def _hear(played: np.ndarray, heard: np.ndarray) -> tuple[talk_over.TalkOverGuide, list[int]]:
    detector = talk_over.TalkOverGuide()
    counts = [detector.frames(heard[s:s + BLOCK], played[s:s + BLOCK]) for s in range(0, len(played), BLOCK)]
    return detector, counts


def _in_room(played: np.ndarray, rt60: float | None) -> np.ndarray:
    """The guide's voice as the microphone hears it: through the room, with the microphone's own noise."""
    noise = np.random.default_rng(2).standard_normal(len(played)) * 20
    if rt60 is None:
        return played * 0.7 + noise
    room = Reverb(impulse_response(rt60, seed=3))
    return np.concatenate([room(played[s:s + BLOCK]) for s in range(0, len(played), BLOCK)]) * 0.7 + noise


def _lines() -> np.ndarray:
    """Six lines of the guide's voice, each followed by half a second of silence."""
    line = speechlike(3.0)
    return np.concatenate([np.concatenate([line, np.zeros(PAUSE)]) for _ in range(6)]).astype(np.float64)


@pytest.mark.parametrize("rt60", [None, 0.3, 0.7], ids=["dry", "rt60-0.3", "rt60-0.7"])
def test_the_guide_s_echo_alone_comes_nowhere_near_a_halt(rt60):
    """Its echo alone: at most a stray frame taken for talk, never half of what would halt the guide."""
    detector, counts = _hear(_lines(), _in_room(_lines(), rt60))
    assert detector.ready
    assert max(np.convolve(counts, np.ones(TALK_OVER_WINDOW))) <= TALK_OVER_FRAMES / 2


@pytest.mark.parametrize("early_ms", [30, 20, 11, -30])
@pytest.mark.parametrize("rt60", [None, 0.3], ids=["dry", "rt60-0.3"])
def test_an_echo_a_little_off_the_delay_found_is_not_talk(rt60, early_ms):
    """Live, a line of the guide's now and then starts 10 to 30 ms off the one before, and the delay found is off
    by as much until it is found again: the echo heard that much earlier or later than its reference is still the
    guide's voice, not talk (at most a stray frame or two; up to 9 frames, taken as exact)."""
    shift = round(early_ms * 16)
    played = _lines()
    heard = _in_room(np.roll(played, -shift), rt60)  # early_ms > 0: the echo comes before its reference
    detector, counts = _hear(played, heard)
    assert detector.ready
    assert max(np.convolve(counts, np.ones(TALK_OVER_WINDOW))) <= 2


def test_the_room_s_decay_is_what_keeps_a_reverberant_tail_from_being_talk(monkeypatch):
    """With the echo bound fading as fast as a dry room's, the tail after each line in a reverberant room
    would be taken for talk: the decay learnt is what prevents it."""
    monkeypatch.setattr(talk_over, "DECAYS_DB", (max(talk_over.DECAYS_DB),))
    _, counts = _hear(_lines(), _in_room(_lines(), 0.7))
    assert sum(counts) > 50  # none with the decays learnt


@pytest.mark.parametrize("rt60", [None, 0.3], ids=["dry", "rt60-0.3"])
def test_someone_talking_over_the_guide_is_talk(rt60):
    """Someone close to the microphone, 12 dB above the guide's echo, for a second: the guide would stop to listen."""
    played = speechlike(12.0).astype(np.float64)
    talk = np.zeros(len(played))
    talk[8 * 16000:9 * 16000] = speechlike(1.0, seed=9) * 2.8
    _, counts = _hear(played, _in_room(played, rt60) + talk)
    assert sum(counts[:80]) == 0
    assert max(np.convolve(counts[80:92], np.ones(TALK_OVER_WINDOW))) >= TALK_OVER_FRAMES


def test_a_room_that_is_silent_after_the_guide_speaks_is_not_talk():
    """Near-digital silence as the reverberation dies away is never talk, however it compares with the bound."""
    played = np.concatenate([speechlike(4.0), np.zeros(16000)]).astype(np.float64)
    heard = _in_room(played, 0.7)
    heard[4 * 16000 + 3200:] *= 1e-3  # a microphone that goes near silent early
    _, counts = _hear(played, heard)
    assert sum(counts) == 0


@pytest.mark.parametrize("seed", range(6))
def test_percentiles_are_numpy_s_to_the_bit(seed):
    """The echo gain's percentiles, found rank by rank, are exactly what np.percentile gives (so the detector
    decides as it did with it), for any count of frames, ties, and the floor of a silent band."""
    rng = np.random.default_rng(seed)
    for n in (1, 2, 3, 20, 199, 3000):
        values = rng.normal(size=(3, 4, n)) * 10
        values[0] = np.round(values[0])  # ties
        values[1, :, : n // 2] = np.log(1e-12)  # many equal values, as a silent band gives
        for qs in ((50, talk_over.GAIN_PERCENTILE), (50,), (10, 50, 90, 99)):
            for want, got in zip(np.percentile(values, qs, axis=-1), talk_over.percentiles(values, qs), strict=True):
                assert np.array_equal(want, got)
