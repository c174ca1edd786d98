"""Intent parsing: turn what the user said (or typed) into one intent.

The parser reads in stages, each a plain function over the words:

1. :func:`tokenize`: lower case, contractions expanded, digits spelled out, a typed word that is no English
   word but one letter from a word we know corrected (rapidfuzz), and each word's lemma (simplemma).
2. :func:`pain_level`: pain first, and it wins over everything else. Graded by the seed's warning signs
   (``vocabulary.py`` lists the words by meaning): ``emergency`` > ``professional`` > ``unwell`` > ``stop``.
   Pain that is negated ("no sharp pain", "nothing hurts"), resolved ("the pain is gone", "less sore"), or
   past and followed by calm ("it hurt before but it's fine now") is not pain.
3. Commands, each with its negation read: voice controls, "stop for a sec" (pause), refusals to go on
   ("I can't carry on": stop), stop, "not ready" / "don't skip" (stay), pause, help, start, resume, repeat,
   next, ready, unsure ("could be better": asked again), ok.

The parser works on partial text too: a pain word counts as soon as it appears.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import simplemma
from rapidfuzz import process
from rapidfuzz.distance import OSA

from voiceguide.vocabulary import (
    CONTRACTIONS,
    CONTRAST,
    COPULAS,
    DURATION,
    EMERGENCY_PHRASES,
    EMERGENCY_WORDS,
    EXCLAMATIONS,
    FILLER,
    GO_ON,
    HELP_PHRASES,
    HELP_WORDS,
    IDIOMS,
    INJURY_PHRASES,
    LEG_WORDS,
    LIMB_PHRASES,
    LIMB_STATES,
    NEGATED_OK_IS_PAIN,
    NEGATORS,
    NERVE_PHRASES,
    NERVE_WORDS,
    NEXT_PHRASES,
    NEXT_WORDS,
    NOT_READY,
    NOT_WELL,
    NUMBERS,
    OK_PHRASES,
    OK_WORDS,
    PAIN_WORDS,
    PAST,
    PAUSE_PHRASES,
    PAUSE_WORDS,
    READY_PHRASES,
    READY_WORDS,
    REFUSALS,
    REPEAT_PHRASES,
    REPEAT_WORDS,
    RESOLVED,
    RESUME_PHRASES,
    RESUME_WORDS,
    SOFT_SOUNDS,
    SOUNDS,
    START_WORDS,
    STOP_PHRASES,
    STOP_WORDS,
    SUBJECT_NEGATORS,
    SUFFIXES,
    UNSURE_PHRASES,
    UNSURE_WORDS,
    UNWELL_PHRASES,
    UNWELL_WORDS,
    VOICE,
    Phrase,
    all_words,
)

MAX_WORDS = 300  # a longer text is read for commands only this far (see IntentParser.parse)
MAX_ECHO = 2000  # characters of a long text kept in the Intent
ADVICE_LEVELS = ("stop", "unwell", "professional", "emergency")  # in rising order of urgency
# Intents acted on even while the guide is speaking; the guide's own lines must never parse as these.
GUARDED_INTENTS = ("pain", "stop", "pause")


def worst_advice(*levels: str | None) -> str | None:
    """The most urgent of some advice levels (None where there is none)."""
    return max((level for level in levels if level), key=ADVICE_LEVELS.index, default=None)


@dataclass(frozen=True)
class Intent:
    """What an utterance means: the intent, and the routine or advice level where it applies."""

    text: str
    intent: str
    routine: str | None = None
    advice: str | None = None


KNOWN_WORDS = frozenset(all_words())
_KNOWN_LIST = sorted(KNOWN_WORDS)


@functools.lru_cache(maxsize=8192)
def _word(raw: str) -> tuple[str, ...]:
    """One written word as the tokens it stands for: contractions expanded, a typo of a known word corrected."""
    w = raw.strip("'")
    if not w:
        return ()
    if w in CONTRACTIONS or w in NUMBERS:
        return tuple(CONTRACTIONS.get(w, NUMBERS.get(w, w)).split())
    for suffix, expansion in SUFFIXES.items():
        if w.endswith(suffix) and len(w) > len(suffix):
            head = w[:-len(suffix)]
            head = {"ca": "can", "wo": "will", "sha": "shall"}.get(head, head) if suffix == "n't" else head
            return (*_word(head), *expansion.split())
    return (_corrected(w),)


def _corrected(w: str) -> str:
    """``w``, or the word we know it was meant as: only for a word of 4+ letters that is no English word."""
    if len(w) < 4 or w in KNOWN_WORDS or simplemma.is_known(w, lang="en"):
        return w
    best = process.extractOne(w, _KNOWN_LIST, scorer=OSA.distance, score_cutoff=1 if len(w) < 7 else 2)
    return best[0] if best else w


@functools.lru_cache(maxsize=8192)
def lemma(word: str) -> str:
    """The dictionary form of a word ("hurting" -> "hurt")."""
    return simplemma.lemmatize(word, lang="en")


def tokenize(text: str) -> list[str]:
    """Lower-case words with contractions expanded, digits spelled out and typos of known words corrected."""
    return [t for raw in re.findall(r"[a-z0-9'-]+", text.lower().replace("’", "'"))
            for part in raw.split("-") if part for t in _word(part)]


class Words:
    """The tokens of one utterance and their lemmas, with the lookups every stage needs."""

    def __init__(self, tokens: list[str], lemmas: list[str] | None = None):
        self.tokens = tokens
        self.lemmas = [lemma(t) for t in tokens] if lemmas is None else lemmas
        self.index: dict[str, list[int]] = {}  # each word, as written and as its lemma: where it stands
        for i, (t, m) in enumerate(zip(self.tokens, self.lemmas, strict=True)):
            self.index.setdefault(t, []).append(i)
            if m != t:
                self.index.setdefault(m, []).append(i)

    def __len__(self) -> int:
        return len(self.tokens)

    def at(self, table: Iterable[str]) -> list[int]:
        """Where a word of ``table`` stands, as written or as its lemma."""
        return sorted({i for w in table if w in self.index for i in self.index[w]})

    def find(self, phrase: Phrase) -> list[int]:
        """Where ``phrase`` starts (each word matching as written or as its lemma)."""
        end = len(self.tokens) - len(phrase)
        return [i for i in self.index.get(phrase[0], ()) if i <= end
                and all(self.tokens[i + k] == w or self.lemmas[i + k] == w for k, w in enumerate(phrase[1:], 1))]

    def written(self) -> Words:
        """The same words matched only as written: commands are ("paused" and "stopped" are not commands)."""
        return Words(self.tokens, self.tokens)

    def has(self, words: Iterable[str] = (), phrases: Iterable[Phrase] = ()) -> bool:
        return bool(self.at(words)) or any(self.find(p) for p in phrases)

    def live(self, words: Iterable[str] = (), phrases: Iterable[Phrase] = ()) -> list[int]:
        """Where a word or phrase of the tables stands and is not negated."""
        spots = self.at(words) + [i for p in phrases for i in self.find(p)]
        return [i for i in spots if not self.negated(i)]

    def negated(self, i: int, reach: int = 4) -> bool:
        """Does a negator govern the word at ``i``? It may reach back over filler and other pain words
        ("no sharp pain"), and, for "nothing" and the like, over a verb ("nothing is wrong")."""
        for j in range(i - 1, max(-1, i - 1 - reach), -1):
            w = self.tokens[j]
            if w in NEGATORS:
                return True
            if w in FILLER or self.painish(j):
                continue
            if w in COPULAS or self.lemmas[j] in ("hurt", "feel", "seem"):
                return any(t in SUBJECT_NEGATORS for t in self.tokens[max(0, j - 2):j])
            return False
        return False

    def painish(self, j: int) -> bool:
        return self.tokens[j] in PAIN_WORDS | NERVE_WORDS or self.lemmas[j] in PAIN_WORDS | NERVE_WORDS


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
            words = Words(tokens[:MAX_WORDS])
        else:
            words = Words(tokens)
            advice = pain_level(words)
        if advice:
            return Intent(text, "pain", advice=advice)
        routine = self._routine(words.tokens)
        calm = bool(words.at(PAIN_WORDS | NERVE_WORDS | SOUNDS))  # pain words, every one negated or resolved
        return Intent(text, command(words.written(), routine is not None, calm), routine=routine)

    def _routine(self, tokens: list[str]) -> str | None:
        for name, rid in self.names:
            if name and _find(tokens, name):
                return rid
        return None


def _find(tokens: list[str], phrase: Phrase) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(tokens) - n + 1) if tuple(tokens[i:i + n]) == phrase]


# ------------------------------------------------------------ commands


def command(words: Words, names_a_routine: bool, calm: bool) -> str:
    """The command in words that carry no pain, its negation read; ``calm`` if they deny pain."""
    for intent, phrases in VOICE.items():
        if words.has((), phrases):
            return intent
    stop_spots = words.live(STOP_WORDS)
    if any(_follows(words, i, DURATION, 3) for i in stop_spots):
        return "pause"  # "stop for a sec"
    if any(_follows(words, i + len(r), GO_ON, 2) for r in REFUSALS for i in words.find(r)):
        return "stop"  # "I can't carry on", "I don't want to continue"
    if stop_spots or words.has((), STOP_PHRASES) or (words.tokens and words.tokens[-1] == "finish"):
        return "stop"
    if words.has((), NOT_READY):
        return "not_ready"
    if words.live(PAUSE_WORDS, PAUSE_PHRASES):
        return "pause"
    if words.has(HELP_WORDS, HELP_PHRASES):
        return "help"
    if names_a_routine:
        return "start"
    if words.at(START_WORDS & {"start", "begin"}) and not words.at(RESUME_WORDS):
        return "start"
    for intent, table, phrases in (("resume", RESUME_WORDS, RESUME_PHRASES), ("repeat", REPEAT_WORDS, REPEAT_PHRASES),
                                   ("next", NEXT_WORDS, NEXT_PHRASES), ("ready", READY_WORDS, READY_PHRASES)):
        if words.live(table, phrases):
            return intent
    if words.has(UNSURE_WORDS, UNSURE_PHRASES):
        return "unsure"
    if words.live(OK_WORDS, OK_PHRASES) or calm:
        return "ok"
    return "unknown"


def _follows(words: Words, start: int, phrases: Iterable[Phrase], within: int) -> bool:
    """Does one of ``phrases`` begin within ``within`` words from ``start``?"""
    return any(start <= i <= start + within for p in phrases for i in words.find(p))


# ------------------------------------------------------------ pain


def pain_level(words: Words | list[str]) -> str | None:
    """The advice level of the pain in ``words``, or None if there is none.

    The utterance is read clause by clause ("it hurt before, but it's fine now"): a clause whose pain is in
    the past is set aside when a later clause is calm; otherwise the highest level in any clause wins.
    """
    words = words if isinstance(words, Words) else Words(words)
    clauses = _clauses(words)
    levels = [_clause_level(c) for c in clauses]
    for k, (clause, level) in enumerate(zip(clauses, levels, strict=True)):
        if level and clause.at(PAST) and any(c.live(OK_WORDS, OK_PHRASES) and not lv
                                             for c, lv in zip(clauses[k + 1:], levels[k + 1:], strict=True)):
            levels[k] = None
    return worst_advice(*levels)


def _clauses(words: Words) -> list[Words]:
    cuts = [i for i, t in enumerate(words.tokens) if t in CONTRAST and i > 0]
    bounds = [0, *cuts, len(words)]
    return [Words(words.tokens[a:b], words.lemmas[a:b]) for a, b in itertools.pairwise(bounds) if b > a]


def _clause_level(w: Words) -> str | None:
    if w.live(EMERGENCY_WORDS, EMERGENCY_PHRASES):
        return "emergency"
    pain = _live_pain(w)
    legs = bool(w.at(LEG_WORDS))
    if (w.live(NERVE_WORDS, NERVE_PHRASES) or _down_the_leg(w.tokens) or (pain and legs)
            or (legs and w.live(LIMB_STATES, LIMB_PHRASES))):
        return "professional"
    if w.live(UNWELL_WORDS, UNWELL_PHRASES) or any(w.negated(i) for i in w.at(NOT_WELL)):
        return "unwell"
    if pain or any(w.negated(i, reach=2) for i in w.at(NEGATED_OK_IS_PAIN)):
        return "stop"
    return None


def _live_pain(w: Words) -> bool:
    """Plain pain: a pain word, idiom, injury or exclamation that is not negated, resolved or hedged."""
    spots = [i for i in w.live(PAIN_WORDS) if not _resolved(w, i) and not _hedged(w, i)]
    sounds = w.at(SOUNDS)
    strong = [i for i in sounds if w.tokens[i] not in SOFT_SOUNDS]
    soft_alone = bool(sounds) and not (w.has(OK_WORDS | READY_WORDS | NEXT_WORDS | RESUME_WORDS, OK_PHRASES))
    phrases = w.live((), (*IDIOMS, *INJURY_PHRASES))
    # "no more", "no no": distress, unless they go on to deny pain ("no more pain")
    cries = [i for p in EXCLAMATIONS for i in w.find(p) if not (i + len(p) < len(w) and w.painish(i + len(p)))]
    return bool(spots or strong or soft_alone or phrases or cries)


def _resolved(w: Words, i: int) -> bool:
    """"the pain is gone", "pain free", "less sore": pain said to be over, unless that is denied."""
    if i > 0 and w.tokens[i - 1] in ("less", "longer"):
        return True
    after = w.tokens[i + 1:i + 4]
    return any(t in RESOLVED for t in after) and not any(t in ("not", "never") for t in after)


def _hedged(w: Words, i: int) -> bool:
    """"could be worse": an evaluation that is only a possibility."""
    return w.tokens[max(0, i - 2):i] == ["could", "be"] or w.tokens[max(0, i - 2):i] == ["might", "be"]


# Words that can start or carry a pain reading: where a long text is looked at closely.
PAIN_CUES = (PAIN_WORDS | NERVE_WORDS | EMERGENCY_WORDS | UNWELL_WORDS | SOUNDS | LEG_WORDS | NEGATED_OK_IS_PAIN
             | NOT_WELL | {p[0] for p in (*IDIOMS, *INJURY_PHRASES, *EXCLAMATIONS, *UNWELL_PHRASES, *NERVE_PHRASES,
                                         *EMERGENCY_PHRASES)} | {"down", "into", "along"})
PAIN_REACH = 8  # words either side of a cue that can change its reading (negation, "down my leg")


def pain_level_anywhere(tokens: list[str]) -> str | None:
    """The highest advice level of pain anywhere in a long text: each cue word is read in a window around it."""
    levels = {pain_level(tokens[max(0, i - PAIN_REACH):i + PAIN_REACH + 1])
              for i, t in enumerate(tokens) if t in PAIN_CUES}
    return worst_advice(*levels)


def _down_the_leg(tokens: list[str]) -> bool:
    """'down my leg', 'into the back of my leg': pain travelling along the leg."""
    return any(t in ("down", "into", "along") and set(tokens[i + 1:i + 6]) & LEG_WORDS for i, t in enumerate(tokens))


_DEFAULT = IntentParser()


def parse(text: str) -> Intent:
    """Parse with no routine names known (start intents then carry no routine)."""
    return _DEFAULT.parse(text)
