"""Synthesised test speech: flite and espeak-ng to WAV, reshaped and mixed with noise by sox."""

from __future__ import annotations

import subprocess
from pathlib import Path

RATE = 16000


def synth(text: str, voice: str, out: Path) -> Path:
    """Speak ``text`` with 'flite:VOICE[:STRETCH]' or 'espeak:VOICE:WPM' into a 16 kHz mono WAV."""
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
    subprocess.run(["sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(out), "trim", "0", str(seconds)],
                   check=True)
    return out


def concat(parts: list[Path], out: Path) -> Path:
    subprocess.run(["sox", *map(str, parts), str(out)], check=True)
    return out


def duration(path: Path) -> float:
    return float(subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, check=True).stdout)


def add_noise(clean: Path, snr_db: float, out: Path) -> Path:
    """Mix white noise into ``clean`` at ``snr_db`` relative to the speech's RMS level."""
    stats = subprocess.run(["sox", str(clean), "-n", "stat"], capture_output=True, text=True).stderr
    rms = float(next(line.split(":")[1] for line in stats.splitlines() if line.startswith("RMS     amplitude")))
    noise_rms = rms / (10 ** (snr_db / 20))
    noise = out.with_suffix(".noise.wav")
    # white noise of RMS 1/sqrt(3) at amplitude 1, scaled to the wanted RMS
    subprocess.run(["sox", "-R", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(noise),
                    "synth", str(duration(clean)), "whitenoise", "vol", f"{noise_rms * 3 ** 0.5:.6f}"], check=True)
    subprocess.run(["sox", "-m", str(clean), str(noise), str(out)], check=True)
    noise.unlink()
    return out


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
