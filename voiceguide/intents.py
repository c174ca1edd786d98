"""Intent parsing: turn what the user said (or typed) into one intent.

Pain is checked first and wins over everything else. It is graded by the seed's warning
signs: ``stop`` (plain pain), ``professional`` (pain down the leg, numbness, pins and
needles, weakness) and ``emergency`` (loss of bladder or bowel control). A pain word
preceded by a negation ("no pain", "it doesn't hurt") is not pain; it reads as ``ok``.

The parser works on partial text too: a pain word counts as soon as it appears.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from voiceguide.vocabulary import (
    CONTRACTIONS,
    DISTRESS_PHRASES,
    EMERGENCY_PHRASES,
    EMERGENCY_WORDS,
    FILLER,
    HELP_PHRASES,
    HELP_WORDS,
    LEG_WORDS,
    NEGATED_OK_IS_PAIN,
    NEGATORS,
    NERVE_PHRASES,
    NERVE_WORDS,
    NEXT_PHRASES,
    NEXT_WORDS,
    NUMBERS,
    OK_PHRASES,
    OK_WORDS,
    PAIN_WORDS,
    PAUSE_PHRASES,
    PAUSE_WORDS,
    READY_PHRASES,
    READY_WORDS,
    REPEAT_PHRASES,
    REPEAT_WORDS,
    RESUME_PHRASES,
    RESUME_WORDS,
    START_WORDS,
    STOP_PHRASES,
    STOP_WORDS,
)

MAX_WORDS = 300  # a longer text is read for commands only this far (see IntentParser.parse)
MAX_ECHO = 2000  # characters of a long text kept in the Intent
INTENTS = ("start", "ready", "next", "pause", "resume", "repeat", "stop", "pain", "ok", "help", "unknown")
ADVICE_LEVELS = ("stop", "professional", "emergency")  # in rising order of urgency
# Intents acted on even while the guide is speaking; the guide's own lines must never parse as these.
GUARDED_INTENTS = ("pain", "stop", "pause")


@dataclass(frozen=True)
class Intent:
    """What an utterance means: the intent, and the routine or advice level where it applies."""

    text: str
    intent: str
    routine: str | None = None
    advice: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def tokenize(text: str) -> list[str]:
    """Lower-case words with contractions expanded and digits spelled out."""
    words = re.findall(r"[a-z0-9']+", text.lower().replace("’", "'"))
    out: list[str] = []
    for w in words:
        w = w.strip("'")
        if not w:
            continue
        out.extend(CONTRACTIONS.get(w, NUMBERS.get(w, w)).split())
    return out


def _find(tokens: list[str], phrase: tuple[str, ...]) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(tokens) - n + 1) if tuple(tokens[i:i + n]) == phrase]


def _has(tokens: list[str], words: set[str] = frozenset(), phrases: Iterable[tuple[str, ...]] = ()) -> bool:
    return any(t in words for t in tokens) or any(_find(tokens, p) for p in phrases)


def _negated(tokens: list[str], i: int, negators: set[str] = NEGATORS, window: int = 4) -> bool:
    """True if a negator governs tokens[i], reaching back over filler words only."""
    for j in range(i - 1, max(-1, i - 1 - window), -1):
        if tokens[j] in negators:
            return True
        listed = tokens[j] in PAIN_WORDS | NERVE_WORDS and tokens[j + 1] in ("or", "nor")  # "no pain or numbness"
        if tokens[j] not in FILLER and not listed:
            return False
    return False


class IntentParser:
    """Parses text into an :class:`Intent`, knowing the spoken names of the routines."""

    def __init__(self, routine_names: Mapping[str, Iterable[str]] | None = None):
        self.names: list[tuple[tuple[str, ...], str]] = []
        for rid, names in (routine_names or {}).items():
            for name in {*names, rid.replace("-", " ")}:
                self.names.append((tuple(tokenize(name)), rid))
        self.names.sort(key=lambda pair: -len(pair[0]))  # longest name first

    def parse(self, text: str) -> Intent:
        """Return the intent of ``text``; works on partial recogniser output too.

        A text of more than MAX_WORDS words is read for commands only in its first MAX_WORDS words (and
        echoed back cut short), but checked for pain all through, in time that grows only with its length.
        """
        tokens = tokenize(text)
        if len(tokens) > MAX_WORDS:
            text = text[:MAX_ECHO] + "…" if len(text) > MAX_ECHO else text
            advice = pain_level_anywhere(tokens)
            tokens = tokens[:MAX_WORDS]
        else:
            advice = pain_level(tokens)
        if advice:
            return Intent(text, "pain", advice=advice)
        stops = [i for i, t in enumerate(tokens) if t in STOP_WORDS]
        if any(not _negated(tokens, i, {"not", "never"}, window=3) for i in stops) or _has(tokens, (), STOP_PHRASES):
            return Intent(text, "stop")
        if _has(tokens, PAUSE_WORDS, PAUSE_PHRASES):
            return Intent(text, "pause")
        if _has(tokens, HELP_WORDS, HELP_PHRASES):
            return Intent(text, "help")
        routine = self._routine(tokens)
        if routine:
            return Intent(text, "start", routine=routine)
        if _has(tokens, START_WORDS & {"start", "begin"}) and not _has(tokens, RESUME_WORDS):
            return Intent(text, "start")
        for intent, words, phrases in (
            ("resume", RESUME_WORDS, RESUME_PHRASES),
            ("repeat", REPEAT_WORDS, REPEAT_PHRASES),
            ("next", NEXT_WORDS, NEXT_PHRASES),
            ("ready", READY_WORDS, READY_PHRASES),
        ):
            if _has(tokens, words, phrases):
                return Intent(text, intent)
        if _has(tokens, OK_WORDS, OK_PHRASES) or _negated_pain(tokens):
            return Intent(text, "ok")
        return Intent(text, "unknown")

    def _routine(self, tokens: list[str]) -> str | None:
        for name, rid in self.names:
            if name and _find(tokens, name):
                return rid
        return None


def pain_level(tokens: list[str]) -> str | None:
    """The advice level of the pain in ``tokens``, or None if there is none."""
    live_words = {t for i, t in enumerate(tokens) if not _negated(tokens, i)}

    def said(words: set[str], phrases: list[tuple[str, ...]]) -> bool:
        return bool(live_words & words) or any(not _negated(tokens, i) for p in phrases for i in _find(tokens, p))

    if said(EMERGENCY_WORDS, EMERGENCY_PHRASES):
        return "emergency"
    pain_here = said(PAIN_WORDS, DISTRESS_PHRASES)
    if said(NERVE_WORDS, NERVE_PHRASES) or _down_the_leg(tokens) or (pain_here and set(tokens) & LEG_WORDS):
        return "professional"
    not_ok = any(t in NEGATED_OK_IS_PAIN and _negated(tokens, i, {"not", "no"}, window=2) for i, t in enumerate(tokens))
    return "stop" if pain_here or not_ok else None


# Words that can start or carry a pain reading: where a long text is looked at closely.
PAIN_CUES = (PAIN_WORDS | NERVE_WORDS | EMERGENCY_WORDS | LEG_WORDS | NEGATED_OK_IS_PAIN
             | {p[0] for p in (*NERVE_PHRASES, *EMERGENCY_PHRASES, *DISTRESS_PHRASES)} | {"down", "into", "along"})
PAIN_REACH = 8  # words either side of a cue that can change its reading (negation, "down my leg")


def pain_level_anywhere(tokens: list[str]) -> str | None:
    """The highest advice level of pain anywhere in a long text: each cue word is read in a window around it."""
    levels = {pain_level(tokens[max(0, i - PAIN_REACH):i + PAIN_REACH + 1])
              for i, t in enumerate(tokens) if t in PAIN_CUES}
    return max(levels - {None}, key=ADVICE_LEVELS.index, default=None)


def _down_the_leg(tokens: list[str]) -> bool:
    """'down my leg', 'into the back of my leg': pain travelling along the leg."""
    return any(t in ("down", "into", "along") and set(tokens[i + 1:i + 6]) & LEG_WORDS for i, t in enumerate(tokens))


def _negated_pain(tokens: list[str]) -> bool:
    return any(t in PAIN_WORDS | NERVE_WORDS and _negated(tokens, i) for i, t in enumerate(tokens))


_DEFAULT = IntentParser()


def parse(text: str) -> Intent:
    """Parse with no routine names known (start intents then carry no routine)."""
    return _DEFAULT.parse(text)
