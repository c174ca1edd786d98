"""The gate for the room's background talk: what goes on for most of the last seconds is turned down; someone
speaking over it, a sound of a few seconds, and anything before the room is learnt pass as they are."""

import numpy as np
import pytest

from voiceguide.audio import rms
from voiceguide.background import DOWN_DB, GATE, BackgroundGate

RATE = 16000


def talk(seconds: float, level: float, seed: int = 0) -> np.ndarray:
    """Speech-like sound: noise in syllables (4 a second) with a pause every 2 s, at RMS about ``level``."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    syllables = np.sin(2 * np.pi * 4 * t) ** 2 * (t % 2.0 < 1.7)
    return rng.normal(0, level * 1.6, len(t)) * syllables


def pcm(samples: np.ndarray) -> bytes:
    return np.clip(np.rint(samples), -32768, 32767).astype(np.int16).tobytes()


def kept(out: np.ndarray, original: np.ndarray) -> bool:
    """All but 1 % of ``original``'s energy came through as it was (its quietest moments may be turned down)."""
    return rms(out - np.frombuffer(pcm(original), dtype=np.int16)) < rms(original) / 10


def no_louder_than(gate: BackgroundGate, level: float) -> bool:
    """The gate's background is the level of ``level`` RMS noise, or none (everything passes)."""
    return gate.background is None or gate.background < 20 * np.log10(level) + 3


def through(gate: BackgroundGate, samples: np.ndarray, block: int = 1600) -> np.ndarray:
    audio = pcm(samples)
    out = b"".join(gate.process(audio[i:i + 2 * block]) for i in range(0, len(audio), 2 * block))
    return np.frombuffer(out, dtype=np.int16).astype(np.float64)


def test_talk_that_goes_on_is_turned_down_and_a_voice_over_it_passes():
    background = talk(20, 300)
    voice = talk(2, 3000, seed=1)  # 20 dB louder: someone speaking to the guide
    mixed = background.copy()
    mixed[16 * RATE:18 * RATE] += voice
    out = through(BackgroundGate(RATE), mixed)
    assert rms(out[12 * RATE:16 * RATE]) < rms(mixed[12 * RATE:16 * RATE]) / 10 ** ((DOWN_DB - 3) / 20)
    assert kept(out[16 * RATE:18 * RATE], mixed[16 * RATE:18 * RATE])  # the voice over the talk
    assert rms(out[18 * RATE + 6400:]) < rms(mixed[18 * RATE + 6400:]) / 10  # and after it, down again


def test_nothing_is_turned_down_before_the_room_is_learnt():
    audio = talk(GATE.seconds - 0.01, 300)
    assert np.array_equal(through(BackgroundGate(RATE), audio), np.frombuffer(pcm(audio), dtype=np.int16))


@pytest.mark.parametrize("seconds", [1, 3, GATE.seconds - 1])
@pytest.mark.parametrize("louder_db", [15, 32])
def test_a_loud_sound_of_a_few_seconds_never_deafens_it(seconds, louder_db):
    """A vacuum cleaner, a child, someone calling from the next room: what does not go on for most of the
    window never becomes background, nor does it together with a voice just after it, if it is more than
    ``spread_db`` louder (15 dB or more); so that voice passes as it is."""
    quiet = 20.0
    room = np.random.default_rng(2).normal(0, quiet, 12 * RATE)  # a quiet room, learnt
    loud = talk(seconds, 200 * 10 ** (louder_db / 20), seed=3)
    after = talk(2, 200, seed=4)
    gate = BackgroundGate(RATE)
    out = through(gate, np.concatenate([room, loud, after]))
    assert kept(out[-len(after):], after)
    assert no_louder_than(gate, quiet)  # still the quiet room's, or none


def test_a_background_that_stops_is_forgotten():
    gate = BackgroundGate(RATE)
    through(gate, talk(20, 3000))
    assert gate.background is not None
    through(gate, np.random.default_rng(5).normal(0, 20, (GATE.window - GATE.seconds + 1) * RATE))
    assert no_louder_than(gate, 20)
    quiet_voice = talk(1, 300, seed=6)  # 20 dB below the talk that was
    assert kept(through(gate, quiet_voice), quiet_voice)


def test_a_user_talking_on_is_not_taken_for_the_background():
    """Utterances filling half of every window (a user describing what they feel) stay the foreground."""
    room = np.random.default_rng(7).normal(0, 20, 10 * RATE)
    pieces = [room]
    for i in range(8):
        pieces += [talk(2.5, 3000, seed=10 + i), np.random.default_rng(i).normal(0, 20, int(2.5 * RATE))]
    audio = np.concatenate(pieces)
    gate = BackgroundGate(RATE)
    out = through(gate, audio)
    assert kept(out[10 * RATE:], audio[10 * RATE:])
    assert no_louder_than(gate, 20)


def test_the_output_does_not_depend_on_how_the_input_is_cut_and_a_reset_forgets():
    audio = np.concatenate([talk(12, 500), talk(3, 5000, seed=8)])
    gate = BackgroundGate(RATE)
    whole = through(gate, audio, block=len(audio))
    gate.reset()
    assert np.array_equal(through(gate, audio, block=160), whole)
    assert len(whole) == len(audio)


def test_a_part_frame_at_the_end_comes_out_as_it_went_in():
    gate = BackgroundGate(RATE)
    through(gate, talk(12, 3000))
    assert gate.background is not None
    tail = pcm(np.full(100, 50.0))  # under 10 ms, quiet: it would be turned down if it were a whole frame
    assert gate.process(pcm(np.full(160, 50.0)) + tail)[-len(tail):] == tail
