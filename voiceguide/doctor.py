"""``voiceguide doctor``: check what a session needs, and say how to fix what is missing."""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

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


def _microphone() -> Check:
    try:
        import sounddevice as sd
    except OSError as e:  # the PortAudio library itself is missing
        return Check("microphone", "fail", f"PortAudio is missing ({e})", "sudo apt install libportaudio2")
    inputs = [d for d in sd.query_devices() if d["max_input_channels"] > 0]
    if not inputs:
        return Check("microphone", "fail", "no input device on this machine (no sound card?)",
                     "plug in a USB microphone, or run with --engine keyboard")
    try:
        info = sd.query_devices(kind="input")
        with sd.RawInputStream(samplerate=int(info["default_samplerate"]), channels=1, dtype="int16"):
            pass
    except (sd.PortAudioError, ValueError) as e:
        return Check("microphone", "fail", f"{len(inputs)} input device(s), but the default cannot be opened ({e})",
                     "pick one with --device N (list: python -m sounddevice)")
    return Check("microphone", "ok", f"'{info['name']}' at {int(info['default_samplerate'])} Hz; "
                                     f"{len(inputs)} input device(s)")


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


def run_checks(load_settings: Callable[[], object]) -> list[Check]:
    """Every check, in the order a user would fix them."""
    checks = [_python(), _packages()]
    model = None
    try:
        settings = load_settings()
        model = settings.get("model")  # type: ignore[attr-defined]
        from voiceguide.config import config_path

        checks.append(Check("config", "ok", f"{config_path()} valid (or absent: defaults)"))
    except Exception as e:
        checks.append(Check("config", "fail", str(e), "edit the file, or see: voiceguide config show"))
    checks += [_microphone(), _speech_out(), _echo(), _sphinx(), _vosk(model)]
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
