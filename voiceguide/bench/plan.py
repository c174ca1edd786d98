"""What the bench synthesises and measures: the phrases with the intent each should give, voices, speeds,
noise conditions and whole sessions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voiceguide.corpus import SPEEDS, VOICES, in_runs, prompts
from voiceguide.intents import Intent, IntentParser
from voiceguide.routines import Routine
from voiceguide.vocabulary import PHRASEBOOK

if TYPE_CHECKING:
    from voiceguide.bench.language import Phrasing


@dataclass(frozen=True)
class Condition:
    """How a clip reaches the microphone: noise of a ``kind`` (white, pink, brown, babble) at ``snr`` dB below the
    speech, or across a reverberant room ("reverb"); ``kind`` None: clean. ``level``: the whole scene, words and
    noise, this many dB lower at the microphone (a microphone ten times further away, or its gain set 20 dB lower,
    hears speech 20 dB lower)."""

    kind: str | None
    snr: float | None = None
    level: float = 0.0


NOISES: dict[str, Condition] = {
    "clean": Condition(None), "20 dB": Condition("white", 20), "10 dB": Condition("white", 10),
    "pink 10 dB": Condition("pink", 10), "fan 10 dB": Condition("brown", 10), "babble 15 dB": Condition("babble", 15),
    "reverb": Condition("reverb"), "low pink 10 dB": Condition("pink", 10, level=-20),
}
AT_EVERY_SPEED = ("clean", "20 dB", "10 dB")  # the other conditions are heard at the normal speed only
LEAD, TAIL = 0.4, 1.0  # silence around each clip, seconds
# Background talk: each phrase said TALK_LEAD seconds into one person reading on (a radio, a television), who
# goes on under the words and TALK_TAIL seconds after, 10 or 15 dB quieter than the words. Halts in the talk
# alone are counted apart for its first TALK_LEARN seconds, while the recogniser learns the room.
TALK_LEAD, TALK_TAIL, TALK_LEARN = 16.0, 2.0, 10.0
TALK_LEVELS = (10.0, 15.0)
TALK_VOICES = ("flite:slt", "espeak:en-us")  # each phrase at one level in one voice, the four pairs in turn
CLIP_ROUTINE, CLIP_HOLD = "spinal-twist", 30  # clips are heard during this routine's 30 s hold
SESSION_ROUTINE, SESSION_PAIN_AT = "shotgun", 4.0  # "ready" at 0.5 s starts the 5 s squeeze; pain at 4 s
# Phrasings written before the parser was extended and never used to tune anything (the parser, the grammar, the
# recogniser), said clean: how the guide hears words nobody here chose for it. In tests/phrases (see language.py).
HELD_OUT = "heldout.tsv"
SPEECH_RUN = 60.0  # seconds: a person's speech (Asterisk's prompts) is heard in runs of about this long
GUIDING_SECONDS = 10.0  # CPU is measured over this much of the session's opening lines (about 15 s of them)


@dataclass(frozen=True)
class Phrase:
    """A phrase of the corpus: what the guide should make of it, and whether its reaction is timed."""

    expected: Intent
    timed: bool = False  # pain decided by the last word, so reaction is measured from the end of speech


@dataclass
class Plan:
    """What to synthesise and measure."""

    phrases: list[Phrase]
    voices: tuple[str, ...]
    speeds: tuple[str, ...]
    sessions: list[tuple[str, str, str]]  # (voice, noise, pain phrase)
    talk: list[tuple[Phrase, str, float]]  # (phrase, voice, dB below the words) said over background talk
    testdata: int | None  # how many pocketsphinx-testdata recordings (None: all)
    speech: list[list[Path]]  # a person's speech that holds nothing the guide acts on, in runs heard one at a time
    silence_seconds: float
    heldout: list[tuple[Phrasing, str]]  # held-out phrasings, each in a voice


def corpus_phrases(library: dict[str, Routine], parser: IntentParser) -> list[Phrase]:
    """Every phrase in the phrasebook, and 'start <name>' for each routine, with the intent each should give."""
    phrases = []
    for intent, texts in PHRASEBOOK.items():
        for text in texts:
            advice = parser.parse(text).advice
            timed = intent == "pain" and parser.parse(" ".join(text.split()[:-1])).intent != "pain"
            phrases.append(Phrase(Intent(text, intent, advice=advice), timed))
    phrases += [Phrase(Intent(f"start {r.names[0]}", "start", routine=r.id)) for r in library.values()]
    return phrases


def heldout_spoken(phrasings: list[Phrasing]) -> list[tuple[Phrasing, str]]:
    """Each phrasing in two voices, one of flite's and one of espeak-ng's, taking their voices in turn."""
    families = [[v for v in VOICES if v.startswith(engine)] for engine in ("flite:", "espeak:")]
    return [(p, voices[i % len(voices)]) for i, p in enumerate(phrasings) for voices in families]


def make_plan(library: dict[str, Routine], parser: IntentParser, quick: bool, silence_seconds: float) -> Plan:
    """The full corpus, or with ``quick`` a tiny one that only checks the bench runs."""
    phrases = corpus_phrases(library, parser)
    pain = [p.expected.text for p in phrases if p.timed]
    from voiceguide.bench.language import PHRASE_FILES, read_phrasings  # language -> measures -> plan

    heldout = read_phrasings(PHRASE_FILES / HELD_OUT) if (PHRASE_FILES / HELD_OUT).is_file() else []
    if quick:
        firsts = {p.expected.intent: p for p in reversed(phrases) if p.expected.intent != "pain"}
        levels = {p.expected.advice: p for p in reversed(phrases) if p.timed}
        talk = [(next(iter(levels.values())), TALK_VOICES[0], TALK_LEVELS[0])]
        return Plan([*firsts.values(), *levels.values()], ("flite:rms", "espeak:en-us"), ("normal",),
                    [("flite:rms", "clean", "it hurts")], talk, 2, person_speaking(parser, 10.0)[:1], silence_seconds,
                    heldout_spoken([next(p for p in heldout if (p.intent == "pain") == pain) for pain in (True, False)]
                                   if heldout else []))
    sessions = [(voice, noise, pain[i % len(pain)])
                for i, (voice, noise) in enumerate((v, n) for v in VOICES for n in NOISES)]
    talk = [(phrase, TALK_VOICES[i // 2 % len(TALK_VOICES)], TALK_LEVELS[i % len(TALK_LEVELS)])
            for i, phrase in enumerate(phrases)]
    return Plan(phrases, VOICES, tuple(SPEEDS), sessions, talk, None, person_speaking(parser, SPEECH_RUN),
                silence_seconds, heldout_spoken(heldout))


def person_speaking(parser: IntentParser, seconds: float) -> list[list[Path]]:
    """Asterisk's recorded prompts (one person, telephone band) that the parser reads as nothing (it reads "please
    try again" as repeat, "something is terribly wrong" as pain: those are left out), in runs of ``seconds``."""
    kept = sorted(path for path, text in prompts().items() if parser.parse(text).intent == "unknown")
    return in_runs(kept, seconds)


