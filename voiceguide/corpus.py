"""Synthesised speech for the tests and the bench: flite and espeak-ng to WAV, reshaped by sox, mixed with noise
(sox's, or recorded voices) in numpy.

A voice is written ``flite:NAME[:STRETCH]`` or ``espeak:NAME[:WPM]``; :func:`voice_at` picks the
speaking rate. Nothing here is committed audio: every clip is made on the fly, the same to the byte every time
(sox dithers what it writes at 16 bits with random noise unless told ``-R``).
"""

from __future__ import annotations

import functools
import gzip
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from voiceguide import audio
from voiceguide.audio import frame_powers

RATE = 16000
# Six or more voices across both synthesisers; kal16 is flite's 16 kHz diphone voice.
VOICES = ("flite:slt", "flite:rms", "flite:awb", "flite:kal16", "espeak:en-us", "espeak:en-us+f3",
          "espeak:en-gb-x-rp")
# Speaking rates: flite stretches durations (>1 is slower), espeak-ng takes words per minute.
SPEEDS = {"slow": ("1.25", "130"), "normal": ("1.0", "165"), "fast": ("0.8", "200")}
TESTDATA = Path("/usr/share/pocketsphinx/test/data")  # Debian's pocketsphinx-testdata
# Asterisk's English voice prompts, recorded by one woman (Allison Smith) at 8 kHz: asterisk-core-sounds-en-wav; what
# each says is in asterisk-core-sounds-en.
PROMPTS = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
PROMPT_TEXTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")


def voice_at(voice: str, speed: str) -> str:
    """``voice`` at one of the :data:`SPEEDS`."""
    engine, name = voice.split(":")[:2]
    stretch, wpm = SPEEDS[speed]
    return f"{engine}:{name}:{stretch if engine == 'flite' else wpm}"


def synth(text: str, voice: str, out: Path) -> Path:
    """Speak ``text`` with 'flite:VOICE[:STRETCH]' or 'espeak:VOICE[:WPM]' into a 16 kHz mono WAV."""
    engine, name, *speed = voice.split(":")
    raw = out.with_suffix(".raw.wav")
    if engine == "flite":
        cmd = ["flite", "-voice", name, "-t", text, "-o", str(raw)]
        if speed:
            cmd[1:1] = ["--setf", f"duration_stretch={speed[0]}"]
    else:
        cmd = ["espeak-ng", "-v", name, "-s", speed[0] if speed else "160", "-w", str(raw), text]
    subprocess.run(cmd, check=True, capture_output=True)
    subprocess.run(["sox", "-R", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out)], check=True)
    raw.unlink()
    return out


def silence(seconds: float, out: Path) -> Path:
    out.write_bytes(_silence(seconds))
    return out


@functools.lru_cache(maxsize=16)
def _silence(seconds: float) -> bytes:
    """A WAV of ``seconds`` of digital silence, as sox writes it (made once: the bench pads every clip)."""
    with tempfile.TemporaryDirectory(prefix="voiceguide-silence-") as folder:
        out = Path(folder) / "silence.wav"
        subprocess.run(["sox", "-R", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(out), "trim", "0",
                        str(seconds)], check=True)
        return out.read_bytes()


def concat(parts: list[Path], out: Path) -> Path:
    """WAVs made here (16 kHz mono, 16 bits) one after another, in ``out``."""
    return write_wav(np.concatenate([samples(part) for part in parts]), out)


def duration(path: Path) -> float:
    """Seconds of audio in a WAV, to the microsecond (as ``soxi -D`` prints it)."""
    with wave.open(str(path), "rb") as w:
        return float(f"{w.getnframes() / w.getframerate():f}")


def samples(path: Path) -> np.ndarray:
    """The int16 samples of a WAV made here (16 kHz mono, 16 bits)."""
    with wave.open(str(path), "rb") as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, RATE):
            raise ValueError(f"{path} is not a 16 kHz mono 16-bit WAV")
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def write_wav(signal: np.ndarray, out: Path) -> Path:
    """``signal`` (int16 scale) rounded and clipped to 16 bits, written to ``out`` as a mono WAV at RATE."""
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.clip(np.rint(signal), -32768, 32767).astype("<i2").tobytes())
    return out


def rms(path: Path) -> float:
    """RMS amplitude of a WAV (full scale = 1)."""
    return audio.rms(samples(path)) / 32768


@functools.lru_cache(maxsize=4)
def _noise(kind: str, seconds: int) -> np.ndarray:
    """``seconds`` of sox's ``kind`` noise at half scale, made once: sox draws it from a fixed seed (``-R``), so
    the first N samples are what it would make for a clip of N samples (but for its last 5 ms)."""
    with tempfile.TemporaryDirectory(prefix="voiceguide-noise-") as folder:
        noise = Path(folder) / "noise.wav"
        subprocess.run(["sox", "-R", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(noise),
                        "synth", str(seconds), f"{kind}noise", "vol", "0.5"], check=True)
        return samples(noise)


def add_noise(clean: Path, snr_db: float, out: Path, speech: Path | None = None, kind: str = "white",
              babble: Path | None = None, start: float = 0.0) -> Path:
    """Mix noise into ``clean`` at ``snr_db`` below the RMS level of ``speech`` (default: ``clean``).

    ``kind``: "white", "pink", "brown" (a fan's rumble), or "babble" (other people talking: ``babble``, a
    recording of several voices, looped, from ``start`` seconds into it).
    """
    words = samples(clean).astype(np.float64)
    if kind == "babble":
        assert babble is not None
        talk = samples(babble)
        first = round(start * RATE) % len(talk)
        noise = np.tile(talk, (first + len(words)) // len(talk) + 1)[first:first + len(words)]
    else:
        noise = _noise(kind, 60 * (len(words) // (60 * RATE) + 1))[:len(words)]
    level = audio.rms(samples(speech) if speech else words)  # int16 scale, as the noise's: the ratio is what counts
    gain = level / (10 ** (snr_db / 20)) / max(audio.rms(noise), 1e-9)
    # Both halved, as sox -m does: the ratio (the SNR) is what counts.
    return write_wav(0.5 * words + gain / 2 * noise, out)


def louder(clip: Path, db: float, out: Path) -> Path:
    """``clip`` ``db`` decibels louder (quieter when negative), written to ``out`` (which may be ``clip``)."""
    return write_wav(samples(clip) * 10 ** (db / 20), out)


def add_reverb(clean: Path, out: Path) -> Path:
    """``clean`` as heard across a small, bare room (sox reverb: 50 % reverberance)."""
    subprocess.run(["sox", "-R", str(clean), str(out), "reverb", "50", "50", "60", "pad", "0", "0.5"], check=True)
    subprocess.run(["sox", "-R", str(out), str(out.with_suffix(".mono.wav")), "remix", "-"], check=True)
    out.with_suffix(".mono.wav").replace(out)
    return out


def _readings() -> list[Path]:
    """The testdata's recordings of one person reading a novel, in order (none without the testdata)."""
    return sorted(TESTDATA.rglob("librivox/*.wav"))


def babble(folder: Path) -> Path | None:
    """Several people reading at once (the testdata recordings, mixed), or None without the testdata."""
    voices = _readings()[:4]
    if len(voices) < 2:
        return None
    parts = []
    for i, path in enumerate(voices):
        part = folder / f"babble{i}.wav"
        subprocess.run(["sox", "-R", str(path), "-r", str(RATE), "-c", "1", "-b", "16", str(part),
                        "trim", f"{0.7 * i}"], check=True)
        parts.append(str(part))
    out = folder / "babble.wav"
    subprocess.run(["sox", "-R", "-m", *parts, str(out)], check=True)
    return out


def talker(folder: Path) -> Path | None:
    """One person reading on and on, as a radio or a television talks in the room (the testdata's librivox
    recordings one after another), or None without the testdata."""
    readings = _readings()
    if not readings:
        return None
    return one_after_another(readings, folder / "talker.wav")


def speech_end(path: Path) -> float:
    """Seconds from the start of a clean clip to the end of its speech (last 10 ms frame above -40 dB of peak)."""
    frame = RATE // 100
    level = np.sqrt(frame_powers(samples(path), frame))
    loud = np.flatnonzero(level > level.max() / 100)
    return float((loud[-1] + 1) * frame / RATE) if len(loud) else 0.0


def said_at(text: str, voice: str, at: float, folder: Path, after: float = 2.0) -> tuple[Path, float]:
    """A recording of ``text`` said ``at`` seconds in, then ``after`` seconds of silence (a WAV in ``folder``),
    and the second at which its words end."""
    said = synth(text, voice, folder / "said.wav")
    wav = concat([silence(at, folder / "lead.wav"), said, silence(after, folder / "tail.wav")], folder / "in.wav")
    return wav, at + speech_end(said)


def session_audio(lines: list[tuple[float, str]], voice: str, folder: Path, name: str) -> Path:
    """A recording with each phrase starting at its time (seconds), silence between."""
    parts: list[Path] = []
    at = 0.0
    for i, (start, text) in enumerate(lines):
        if start > at:
            parts.append(silence(start - at, folder / f"{name}-gap{i}.wav"))
            at = start
        clip = synth(text, voice, folder / f"{name}-say{i}.wav")
        parts.append(clip)
        at += duration(clip)
    parts.append(silence(1.0, folder / f"{name}-end.wav"))
    return concat(parts, folder / f"{name}.wav")


def prompts() -> dict[Path, str]:
    """Asterisk's recorded English prompts, each with what it says (its tones and silences left out); none without
    the packages (apt install asterisk-core-sounds-en-wav asterisk-core-sounds-en)."""
    if not PROMPT_TEXTS.is_file():
        return {}
    said = {}
    with gzip.open(PROMPT_TEXTS, "rt", encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    for line in lines:
        name, colon, text = line.partition(":")
        path = PROMPTS / f"{name.strip()}.wav"
        if colon and not line.startswith(";") and not text.strip().startswith(("[", "(")) and path.is_file():
            said[path] = text.strip()
    return said


def in_runs(paths: list[Path], seconds: float) -> list[list[Path]]:
    """``paths`` (WAVs), in order, cut into runs of about ``seconds`` of audio each."""
    runs: list[list[Path]] = [[]]
    length = 0.0
    for path in paths:
        if length >= seconds:
            runs.append([])
            length = 0.0
        runs[-1].append(path)
        length += duration(path)
    return [run for run in runs if run]


def one_after_another(paths: list[Path], out: Path) -> Path:
    """Recordings (all at one sample rate) joined into one 16 kHz WAV, as they would be heard one after another."""
    subprocess.run(["sox", "-R", *map(str, paths), "-r", str(RATE), "-c", "1", "-b", "16", str(out)], check=True)
    return out


def testdata_recordings(folder: Path, limit: int | None = None) -> list[Path]:
    """Real read speech from pocketsphinx-testdata (none of it a voiceguide command), as 16 kHz WAVs in ``folder``.

    The first ``limit`` recordings (default: all); none if the package is not installed
    (apt install pocketsphinx-testdata).
    """
    out: list[Path] = []
    for path in (sorted(TESTDATA.rglob("*.wav")) + sorted(TESTDATA.rglob("*.raw")))[:limit]:
        wav = folder / f"testdata-{path.parent.name}-{path.stem}.wav"
        kind = ["-t", "raw", "-r", str(RATE), "-e", "signed", "-b", "16", "-c", "1"] if path.suffix == ".raw" else []
        subprocess.run(["sox", "-R", *kind, str(path), "-r", str(RATE), "-c", "1", "-b", "16", str(wav)], check=True)
        out.append(wav)
    return out
