"""``voiceguide doctor``: check what a session needs, and say how to fix what is missing."""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from voiceguide.audio import FAINT_VOICE_DBFS, faint, frame_powers, voice_level

PACKAGES = ("voiceguide", "vosk", "pocketsphinx", "sounddevice", "pyttsx3", "transitions", "rich", "platformdirs",
            "simplemma", "rapidfuzz")


@dataclass
class Check:
    name: str
    status: str  # ok, warn (a session works, with less), fail (a session needs this)
    detail: str
    fix: str = ""


def _python() -> Check:
    ok = sys.version_info >= (3, 11)
    return Check("python", "ok" if ok else "fail", f"{platform.python_version()} ({sys.executable})",
                 "" if ok else "install Python 3.11 or newer")


def _packages() -> Check:
    versions, missing = [], []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            missing.append(name)
    if missing:
        return Check("packages", "fail", f"missing: {', '.join(missing)}", "pip install -e .  (in the project)")
    return Check("packages", "ok", ", ".join(versions))


LEVEL_SECONDS = 3.0
SILENT_DBFS = -85.0  # below this the input is digital silence: muted, or the wrong device
QUIET_DBFS = -60.0  # a quiet room on a working microphone is above this; speech is well above it
CLIPPED = 32000  # a peak this close to full scale clips speech


def _microphone(device: int | str | None = None, seconds: float = LEVEL_SECONDS) -> Check:
    try:
        import sounddevice as sd
    except OSError as e:  # the PortAudio library itself is missing
        return Check("microphone", "fail", f"PortAudio is missing ({e})", "sudo apt install libportaudio2")
    inputs = [d for d in sd.query_devices() if d["max_input_channels"] > 0]
    if not inputs:
        return Check("microphone", "fail", "no input device on this machine (no sound card?)",
                     "plug in a USB microphone, or run with --engine keyboard")
    try:
        pcm, info = _record(device, seconds)
    except (sd.PortAudioError, ValueError) as e:
        return Check("microphone", "fail", f"{len(inputs)} input device(s), but this one cannot be opened ({e})",
                     "pick one with --device N (list: voiceguide devices)")
    rms, peak = _rms_peak(pcm)
    found = (f"'{info['name']}' at {int(info['default_samplerate'])} Hz; {len(inputs)} input device(s); "
             + _level(rms, peak, seconds))
    if rms < SILENT_DBFS:
        return Check("microphone", "warn", found, "it hears nothing at all: unmute it, raise its gain (alsamixer), "
                                                  "or pick another with --device N")
    if peak >= CLIPPED:
        return Check("microphone", "warn", found, "it clips: lower its gain (alsamixer) or move it further away")
    if rms < QUIET_DBFS:
        return Check("microphone", "warn", found, "very quiet: raise its gain (alsamixer), or bring it closer")
    return Check("microphone", "ok", found)


VOICE_SECONDS = 4.0


def _voice(device: int | str | None = None, seconds: float = VOICE_SECONDS,
           ask: Callable[[str], object] = print) -> Check:
    """How loudly a voice reaches the microphone: ``ask`` the user to speak, listen for ``seconds``, and compare the
    loudest 0.3 s with the levels the bench hears well."""
    import sounddevice as sd

    try:
        ask(f"Say something for {seconds:g} seconds, as you would to the guide, from where you will lie...")
        pcm, info = _record(device, seconds)
    except (sd.PortAudioError, ValueError) as e:
        return Check("voice level", "fail", f"the microphone cannot be opened ({e})",
                     "pick one with --device N (list: voiceguide devices)")
    level = voice_level(frame_powers(np.frombuffer(pcm, dtype=np.int16), int(info["default_samplerate"]) // 100))
    found = f"your voice reached {level:.0f} dBFS (the loudest 0.3 s); the guide hears well from {FAINT_VOICE_DBFS:.0f}"
    if level < SILENT_DBFS:
        return Check("voice level", "warn", "no voice heard: digital silence",
                     "unmute the microphone, raise its gain (alsamixer), or pick another with --device N")
    if faint(level):
        return Check("voice level", "warn", found + ": faint, and it will miss more of what you say (pain too)",
                     "bring the microphone closer, or raise its gain (alsamixer); then run doctor --voice again")
    return Check("voice level", "ok", found)


def _record(device: int | str | None, seconds: float) -> tuple[bytes, dict]:
    """``seconds`` of int16 mono from the input ``device`` at its own rate, and the device's description (name,
    default_samplerate). Raises sounddevice's PortAudioError (or ValueError) when it cannot be opened."""
    import sounddevice as sd

    info = sd.query_devices(device, kind="input")
    rate = int(info["default_samplerate"])
    with sd.RawInputStream(samplerate=rate, channels=1, dtype="int16", device=device) as stream:
        pcm, _ = stream.read(int(rate * seconds))
    return bytes(pcm), info


def _rms_peak(pcm: bytes) -> tuple[float, int]:
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    if not len(samples):
        return -120.0, 0
    rms = float(np.sqrt(np.mean(samples ** 2)))
    return max(-120.0, 20 * np.log10(max(rms, 1e-6) / 32768)), int(np.max(np.abs(samples)))


def _level(rms: float, peak: int, seconds: float) -> str:
    if rms < SILENT_DBFS:
        return f"{seconds:g} s heard: digital silence"
    return f"{seconds:g} s heard at {rms:.0f} dBFS (peak {20 * np.log10(max(peak, 1) / 32768):.0f} dBFS)"


def _speech_out() -> Check:
    try:
        from voiceguide.speech import Synthesizer

        synth = Synthesizer()
        voices = synth.engine.getProperty("voices")
        seconds = len((clip := synth.synthesize("Squeeze your knees together.")).samples) / clip.rate
    except Exception as e:
        return Check("speech out", "fail", f"pyttsx3 cannot speak ({e})", "sudo apt install espeak-ng")
    detail = f"pyttsx3 with {len(voices)} voices; a test line synthesised ({seconds:.1f} s)"
    try:
        import sounddevice as sd

        output = sd.query_devices(kind="output")
    except Exception as e:
        return Check("speech out", "warn", f"{detail}, but no sound output ({e}); cues will only be printed",
                     "connect a speaker or headphones")
    return Check("speech out", "ok", f"{detail}; plays on '{output['name']}'")


def _sphinx() -> Check:
    from voiceguide.engines import EngineChoice, build_recognizer
    from voiceguide.recognizers import RecognizerError
    from voiceguide.routines import builtin_routines

    try:
        recognizer = build_recognizer(EngineChoice("sphinx"), builtin_routines(), 16000)
    except RecognizerError as e:
        return Check("embedded recogniser", "fail", str(e), "pip install pocketsphinx")
    return Check("embedded recogniser", "ok", f"pocketsphinx, {len(recognizer.phrases)} phrases in its grammar")


def _vosk(model: str | None) -> Check:
    from voiceguide.engines import EngineChoice, build_recognizer, vosk_problem
    from voiceguide.models import find_model
    from voiceguide.recognizers import RecognizerError
    from voiceguide.routines import builtin_routines

    found = find_model(model)
    if found is None:
        return Check("vosk model", "warn", "none found; the embedded recogniser is used instead",
                     "voiceguide model download  (on a machine with internet, or --url for a local mirror)")
    if problem := vosk_problem():
        return Check("vosk model", "warn", f"{found} is installed, but {problem}; the embedded recogniser is "
                     "used instead", "sudo apt install libatomic1  (or pip install vosk)")
    try:
        build_recognizer(EngineChoice("vosk", found), builtin_routines(), 16000)
    except RecognizerError as e:
        return Check("vosk model", "fail", str(e), "voiceguide model download")
    return Check("vosk model", "ok", f"{found} loads")


def _echo() -> Check:
    from voiceguide.echo import EchoCanceller, EchoError

    try:
        EchoCanceller().close()
    except EchoError as e:
        return Check("echo canceller", "warn", f"{e}; with a loudspeaker the guide may hear itself more",
                     "sudo apt install libspeexdsp1")
    return Check("echo canceller", "ok", "speexdsp takes the guide's own voice out of the microphone")


ROOM_ECHO_FIX = ("with a loudspeaker, let the sound server cancel the echo too: pactl load-module module-echo-cancel "
                 "aec_method=webrtc source_name=voiceguide_mic, then --device voiceguide_mic (or headphones)")


def _sound_server_echo() -> Check:
    """Is the sound server's own echo canceller (PulseAudio or PipeWire's module-echo-cancel) running?"""
    import shutil
    import subprocess

    if not shutil.which("pactl"):
        return Check("room echo", "ok", "no PulseAudio or PipeWire here: voiceguide's own canceller is used")
    try:
        modules = subprocess.run(["pactl", "list", "short", "modules"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired) as e:
        return Check("room echo", "ok", f"the sound server did not answer ({e}); voiceguide's own canceller is used")
    if modules.returncode != 0:
        return Check("room echo", "ok", "no sound server is running: voiceguide's own canceller is used")
    if "module-echo-cancel" in modules.stdout:
        return Check("room echo", "ok", "the sound server's echo canceller is loaded; use its source as --device")
    return Check("room echo", "warn", "the sound server runs without its echo canceller", ROOM_ECHO_FIX)


def run_checks(load_settings: Callable[[], object], voice: Callable[[str], object] | None = None) -> list[Check]:
    """Every check, in the order a user would fix them; with ``voice`` (how to ask the user to speak), how loudly
    their voice reaches the microphone too."""
    checks = [_python(), _packages()]
    model = device = None
    try:
        settings = load_settings()
        model = settings.get("model")  # type: ignore[attr-defined]
        device = settings.get("device")  # type: ignore[attr-defined]
        from voiceguide.config import config_path

        checks.append(Check("config", "ok", f"{config_path()} valid (or absent: defaults)"))
    except Exception as e:
        checks.append(Check("config", "fail", str(e), "edit the file, or see: voiceguide config show"))
    checks.append(_microphone(device))
    if voice is not None and checks[-1].status != "fail":
        checks.append(_voice(device, ask=voice))
    checks += [_speech_out(), _echo(), _sound_server_echo(), _sphinx(), _vosk(model)]
    return checks


def print_report(checks: list[Check]) -> None:
    """The checks as a table, with the fix for each problem."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="voiceguide doctor", title_justify="left")
    for column in ("check", "status", "found", "fix"):
        table.add_column(column, overflow="fold")
    style = {"ok": "green", "warn": "yellow", "fail": "bold red"}
    for c in checks:
        table.add_row(c.name, f"[{style[c.status]}]{c.status}[/]", c.detail, c.fix)
    console = Console(width=max(110, Console().width))
    console.print(table)
    failed = [c.name for c in checks if c.status == "fail"]
    console.print("A session needs: " + ", ".join(failed) + "." if failed else "Ready for a session.",
                  markup=False)
