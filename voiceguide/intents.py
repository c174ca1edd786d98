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


# ------------------------------------------------------------ vocabulary

CONTRACTIONS = {
    "can't": "can not", "cant": "can not", "cannot": "can not", "won't": "will not", "wont": "will not",
    "ain't": "is not", "aint": "is not", "i'm": "i am", "im": "i am", "it's": "it is", "that's": "that is",
    "thats": "that is", "there's": "there is", "let's": "let us", "lets": "let us", "what's": "what is",
    "i've": "i have", "ive": "i have",
}
N_T = ("do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "could", "would", "should")
for _w in N_T:
    CONTRACTIONS[f"{_w}n't"] = CONTRACTIONS[f"{_w}nt"] = f"{_w} not"
NUMBERS = {"1": "one", "2": "two", "3": "three", "4": "four", "5": "five"}

PAIN_WORDS = {
    "ouch", "ow", "oww", "owww", "ouw", "argh", "aargh", "hurt", "hurts", "hurting", "pain", "pains",
    "painful", "sore", "ache", "aches", "aching", "achy", "sharp", "stabbing", "stab", "electric",
    "agony", "cramp", "cramps", "cramping", "burning", "burns", "stinging", "stings", "spasm", "spasms",
    "twinge", "injured", "pulled", "tweaked", "bad", "worse", "terrible", "awful", "horrible", "wrong",
    "unbearable", "excruciating",
}
NERVE_WORDS = {
    "numb", "numbness", "tingling", "tingle", "tingles", "tingly", "needles", "weak", "weakness",
    "sciatica", "radiating", "shooting",
}
EMERGENCY_WORDS = {
    "bladder", "bowel", "bowels", "incontinent", "incontinence", "peed", "pee", "peeing", "pissed",
    "soiled", "pooped", "poo", "poop", "pooed", "accident",
}
LEG_WORDS = {"leg", "legs", "calf", "calves", "foot", "feet", "toe", "toes", "shin", "shins"}
OK_WORDS = {"ok", "okay", "fine", "good", "great", "alright", "comfortable", "better", "nice", "well"}
NEGATED_OK_IS_PAIN = OK_WORDS | {"right"}
NEGATORS = {"no", "not", "never", "without", "nothing", "none", "nor"}
# Words that may stand between a negator and what it negates: "I do not feel any pain".
FILLER = {"any", "much", "more", "real", "really", "feel", "feeling", "feels", "in", "a", "the", "bit", "of",
          "too", "that", "so", "very", "at", "all", "longer", "have", "having", "got", "even", "or", "nor"}

# Phrases: tuples of tokens. The first match in each table's order wins.
NERVE_PHRASES = [("pins", "and", "needles"), ("can", "not", "feel"), ("gave", "way"), ("giving", "way"),
                 ("gives", "way")]
EMERGENCY_PHRASES = [("wet", "myself"), ("wet", "my"), ("wetting", "myself"), ("messed", "myself"),
                     ("lost", "control")]
DISTRESS_PHRASES = [("help", "me"), ("need", "help"), ("too", "much")]
STOP_WORDS = {"stop", "stopping", "quit", "cancel", "exit", "enough"}
STOP_PHRASES = [("end", "session"), ("end", "the", "session"), ("end", "it"), ("end", "this"),
                ("end", "the", "routine"), ("that", "is", "it"), ("finish", "now")]
PAUSE_WORDS = {"pause", "wait", "break"}
PAUSE_PHRASES = [("hold", "on"), ("hang", "on"), ("one", "moment"), ("one", "second"), ("one", "sec"),
                 ("a", "moment"), ("a", "second"), ("a", "sec"), ("a", "minute")]
HELP_WORDS = {"help", "commands", "options"}
HELP_PHRASES = [("what", "can", "i", "say"), ("what", "do", "i", "say")]
START_WORDS = {"start", "begin", "do", "run", "try", "play"}
RESUME_WORDS = {"resume", "continue", "unpause"}
RESUME_PHRASES = [("carry", "on"), ("go", "on"), ("keep", "going"), ("am", "back")]
REPEAT_WORDS = {"repeat", "again", "pardon", "what"}
REPEAT_PHRASES = [("come", "again"), ("say", "that")]
NEXT_WORDS = {"next", "skip"}
NEXT_PHRASES = [("move", "on")]
READY_WORDS = {"ready", "yes", "yeah", "yep", "go", "done", "set"}
READY_PHRASES = [("let", "us", "go"), ("in", "position")]
OK_PHRASES = [("all", "right"), ("not", "bad"), ("not", "too", "bad"), ("not", "that", "bad")]


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
        """Return the intent of ``text``; works on partial recogniser output too."""
        tokens = tokenize(text)
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

    def vocabulary(self) -> list[str]:
        """Every phrase the parser acts on, for building a recogniser grammar."""
        phrases: set[str] = set()
        for words in (PAIN_WORDS, NERVE_WORDS, EMERGENCY_WORDS, LEG_WORDS, OK_WORDS, STOP_WORDS, PAUSE_WORDS,
                      HELP_WORDS, START_WORDS, RESUME_WORDS, REPEAT_WORDS, NEXT_WORDS, READY_WORDS):
            phrases |= words
        for table in (NERVE_PHRASES, EMERGENCY_PHRASES, DISTRESS_PHRASES, STOP_PHRASES, PAUSE_PHRASES,
                      HELP_PHRASES, RESUME_PHRASES, REPEAT_PHRASES, NEXT_PHRASES, READY_PHRASES, OK_PHRASES):
            phrases |= {" ".join(p) for p in table}
        phrases |= {" ".join(name) for name, _ in self.names}
        return sorted(phrases)


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


def _down_the_leg(tokens: list[str]) -> bool:
    """'down my leg', 'into the back of my leg': pain travelling along the leg."""
    return any(t in ("down", "into", "along") and set(tokens[i + 1:i + 6]) & LEG_WORDS for i, t in enumerate(tokens))


def _negated_pain(tokens: list[str]) -> bool:
    return any(t in PAIN_WORDS | NERVE_WORDS and _negated(tokens, i) for i, t in enumerate(tokens))


_DEFAULT = IntentParser()


def parse(text: str) -> Intent:
    """Parse with no routine names known (start intents then carry no routine)."""
    return _DEFAULT.parse(text)


# Whole utterances the recognisers listen for (a recogniser grammar is built from these, and the
# start phrases for each routine name are added). Every one parses as its intent: see tests.
PHRASEBOOK: dict[str, tuple[str, ...]] = {
    "ready": ("ready", "i'm ready", "yes", "okay ready", "let's go", "done"),
    "next": ("next", "skip", "skip it", "move on"),
    "pause": ("pause", "wait", "hold on", "hang on", "one moment", "give me a second", "take a break"),
    "resume": ("resume", "continue", "carry on", "keep going", "i'm back"),
    "repeat": ("repeat", "say that again", "again", "pardon", "what"),
    "stop": ("stop", "quit", "cancel", "that's enough", "end session", "stop the session"),
    "ok": ("fine", "good", "okay", "all good", "feels good", "it's fine", "not bad", "no pain", "it doesn't hurt",
           "better", "great", "comfortable"),
    "help": ("help", "what can i say"),
    "pain": (
        "ouch", "ow", "it hurts", "that hurts", "that really hurts", "it really hurts", "my back hurts",
        "my hip hurts", "pain", "it's painful", "that's painful", "sharp pain", "stabbing pain", "it's sore",
        "it aches", "cramp", "i have a cramp", "not good", "it's not okay", "something's wrong", "help me",
        "too much", "it's burning", "stop it hurts",
        "my leg is tingling", "tingling", "pain down my leg", "pain down the leg", "it's going down my leg",
        "shooting pain", "numb", "my leg is numb", "my foot is numb", "numbness", "pins and needles",
        "my leg feels weak", "weakness", "i can't feel my leg", "sciatica",
        "i wet myself", "i can't control my bladder", "bladder", "bowel", "i lost control of my bowels",
        "i peed", "i had an accident",
    ),
}
START_VERBS = ("start", "begin", "let's do", "do the", "start the")
