"""The one place that knows the speech engines: their names, whether each can run here, and how to build one.

Used by live sessions, ``simulate --audio``, ``doctor`` and the bench alike. An engine that cannot load
(a missing wheel, a system library missing on a Pi, a broken model) is reported in one sentence with
its fix; when the user did not insist on it, the next engine is used instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from voiceguide.intents import IntentParser
from voiceguide.models import find_model
from voiceguide.programmes import spoken_names_with_programmes
from voiceguide.recognizers import SPHINX, Recognizer, RecognizerError, SphinxRecognizer, SphinxSettings, VoskRecognizer
from voiceguide.routines import Routine
from voiceguide.session import guide_lines
from voiceguide.vocabulary import PHRASEBOOK, grammar_phrases

ENGINES = ("vosk", "sphinx", "keyboard")
SPEECH_ENGINES = ("vosk", "sphinx")


@dataclass(frozen=True)
class EngineChoice:
    """An engine to use, the Vosk model for it, and (when it was not what the user asked for) why."""

    engine: str
    model: Path | None = None
    why: str = ""


def vosk_problem() -> str | None:
    """Why the vosk library cannot load here, with the fix; None if it loads."""
    try:
        import vosk  # noqa: F401
    except ImportError:
        return "the vosk package is not installed (pip install vosk)"
    except OSError as e:  # its native library, or one it needs (libatomic.so.1 on arm64), is missing
        return f"the vosk library cannot load ({e}); on Debian or Raspberry Pi OS: sudo apt install libatomic1"
    return None


def sphinx_problem() -> str | None:
    """Why pocketsphinx cannot load here; None if it loads."""
    try:
        import pocketsphinx  # noqa: F401
    except (ImportError, OSError) as e:
        return f"pocketsphinx cannot load ({e}); pip install pocketsphinx"
    return None


def choose_engine(requested: str | None, model: str | None) -> EngineChoice:
    """The engine asked for, if it can run (else RecognizerError); otherwise the best one that can.

    Best first: vosk when a model is found and the library loads, then sphinx, then the keyboard.
    """
    if requested == "keyboard":
        return EngineChoice("keyboard")
    if requested == "vosk" or (requested is None and model):
        found = find_model(model)
        if found is None:
            raise RecognizerError("no Vosk model found. Install one with: voiceguide model download")
        if problem := vosk_problem():
            raise RecognizerError(f"{problem}. Or use --engine sphinx")
        return EngineChoice("vosk", found)
    if requested == "sphinx":
        if problem := sphinx_problem():
            raise RecognizerError(problem)
        return EngineChoice("sphinx")
    notes = []
    found = find_model(None)
    if found:
        if (problem := vosk_problem()) is None:
            return EngineChoice("vosk", found)
        notes.append(f"a Vosk model is installed but {problem}")
    if (problem := sphinx_problem()) is None:
        if notes:
            notes.append("the built-in recogniser is used instead")
        notes.append("" if found else "no Vosk model found, so the built-in recogniser is used; for better "
                                      "recognition run: voiceguide model download")
        return EngineChoice("sphinx", None, "; ".join(filter(None, notes)))
    notes.append(f"{problem}, so type what you would say")
    return EngineChoice("keyboard", None, "; ".join(notes))


def listening_for(library: Mapping[str, Routine]) -> tuple[list[str], list[str]]:
    """What a recogniser listens for with ``library``: the user's phrases, and the guide's own lines."""
    return grammar_phrases(spoken_names_with_programmes(library)), guide_lines(library)


def pain_phrases(phrases: Iterable[str]) -> list[str]:
    """The pain phrases the keyphrase spotter listens for: the phrasebook's (the others stay in the grammar)."""
    return [p for p in phrases if p in PHRASEBOOK["pain"]]


def read_as_pain(phrases: Iterable[str], library: Mapping[str, Routine]) -> list[str]:
    """The phrases the guide reads as pain: all the embedded recogniser's second look reports."""
    parser = IntentParser(spoken_names_with_programmes(library))
    return [p for p in phrases if parser.parse(p).intent == "pain"]


def build_recognizer(choice: EngineChoice, library: Mapping[str, Routine], sample_rate: int,
                     verbose: bool = False, sphinx: SphinxSettings = SPHINX) -> Recognizer:
    """A recogniser for ``choice`` listening for what ``library``'s sessions need, at ``sample_rate``
    (``sphinx``: the embedded engine's settings, varied only by its tuning script)."""
    phrases, guide = listening_for(library)
    if choice.engine == "vosk":
        assert choice.model is not None
        return VoskRecognizer(choice.model, phrases, sample_rate, verbose=verbose, guide=guide)
    if choice.engine == "sphinx":
        return SphinxRecognizer(phrases, guide, spot=pain_phrases(phrases), settings=sphinx,
                                pain=read_as_pain(phrases, library))
    raise RecognizerError(f"'{choice.engine}' is not a speech engine")


def build_with_fallback(choice: EngineChoice, library: Mapping[str, Routine], sample_rate: int,
                        notify: Callable[[str], None], verbose: bool = False) -> tuple[EngineChoice, Recognizer]:
    """Build ``choice``'s recogniser; if a Vosk model fails to load, say why and use sphinx."""
    try:
        return choice, build_recognizer(choice, library, sample_rate, verbose)
    except RecognizerError as e:
        if choice.engine != "vosk" or sphinx_problem():
            raise
        notify(f"{e}; using the built-in recogniser instead.")
        fallback = EngineChoice("sphinx")
        return fallback, build_recognizer(fallback, library, sample_rate)


def measurable_engines(requested: Iterable[str] | None, model: str | None) -> tuple[dict[str, Path | None],
                                                                                      dict[str, str]]:
    """Speech engines that can run here (name: Vosk model or None), and those that cannot (name: why)."""
    engines: dict[str, Path | None] = {}
    skipped: dict[str, str] = {}
    for name in requested or SPEECH_ENGINES:
        if name == "vosk":
            found = find_model(model)
            problem = vosk_problem() or (None if found else "no Vosk model found; voiceguide model download, "
                                                            "or --model PATH")
        else:
            found, problem = None, sphinx_problem()
        if problem:
            skipped[name] = problem
        else:
            engines[name] = found
    return engines, skipped
