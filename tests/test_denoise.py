"""The recogniser's input: steady noise suppressed, a constant noise floor added, nothing lost or reordered."""

import numpy as np

from voiceguide.audio import rms
from voiceguide.denoise import FRAME_BYTES, Denoiser, NoiseFloor


def pcm(samples: np.ndarray) -> bytes:
    return np.clip(samples, -32768, 32767).astype(np.int16).tobytes()


def samples(audio: bytes) -> np.ndarray:
    return np.frombuffer(audio, dtype=np.int16).astype(np.float64)


def test_digital_silence_comes_out_at_the_floor_and_the_same_after_a_reset():
    floor = NoiseFloor(30.0)
    first = floor.add(bytes(32000))
    assert 27 < rms(samples(first)) < 33
    floor.reset()
    assert floor.add(bytes(32000)) == first


def test_a_relative_floor_stays_that_far_below_the_loudest_recent_sound_within_its_bounds():
    def floor_after(level: float) -> float:
        floor = NoiseFloor(30.0, below=-40.0)
        tone = level * np.sqrt(2) * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)
        return rms(samples(floor.add(pcm(tone) + bytes(32000)))[16000:])  # the 2 s of silence after it

    assert 2.7 < floor_after(0.0) < 3.3  # nothing heard: the least floor
    assert 18 < floor_after(2000.0) < 22  # 40 dB under the tone
    assert 27 < floor_after(20000.0) < 33  # never above the fixed floor


def test_every_sample_comes_out_once_in_order_whatever_the_block_sizes():
    ramp = pcm(np.arange(-5000, 5000, 3))
    denoiser = Denoiser(level=0)
    out = b"".join(denoiser.process(ramp[i:i + 998]) for i in range(0, len(ramp), 998))
    assert len(out) % FRAME_BYTES == 0
    assert out + denoiser.flush() == ramp


def test_steady_noise_is_suppressed_and_a_tone_over_it_is_kept():
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 2000, 16000 * 3)
    tone = np.zeros_like(noise)
    t = np.arange(16000) / 16000
    tone[32000:] = 6000 * np.sin(2 * np.pi * 440 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))  # a voiced "syllable"
    out = samples(Denoiser(level=3).process(pcm(noise + tone)))
    noise_left = rms(out[16000:32000])  # the noise alone, once learnt
    assert noise_left < rms(noise[16000:32000]) / 4  # more than 12 dB taken out
    before = rms(tone[32000:]) / rms(noise[32000:])
    assert rms(out[32000:]) / noise_left > 3 * before  # the tone stands out of what is left: 10 dB more than before


def test_without_the_suppressor_library_it_still_hears(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_webrtc(name, *args, **kwargs):
        if name == "webrtc_noise_gain":
            raise ImportError("not installed")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_webrtc)
    denoiser = Denoiser(level=3)
    audio = pcm(np.full(1600, 1234))
    assert denoiser.process(audio) == audio


def test_a_floor_that_follows_the_voice_is_the_same_whatever_the_blocks_of_whole_frames():
    rng = np.random.default_rng(4)
    audio = pcm(rng.normal(0, 1, 16000 * 8) * np.repeat(rng.uniform(0, 3000, 80), 1600))
    whole = NoiseFloor(30.0, below=-40.0).add(audio)
    floor, cuts = NoiseFloor(30.0, below=-40.0), np.cumsum(rng.integers(1, 40, 200)) * FRAME_BYTES
    parts = [audio[a:b] for a, b in zip([0, *cuts], [*cuts, len(audio)], strict=True)]
    assert b"".join(floor.add(part) for part in parts) == whole
