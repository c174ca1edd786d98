"""The one vocabulary: the words the intent parser acts on, and the phrases the recognisers listen for,
built from the same tables so that what can be typed can also be heard.

The parser (``intents.py``) reads the word and phrase tables. :func:`grammar_phrases` builds the
recognisers' grammar from the phrasebook plus every pain, red-flag, stop and pause form in those tables,
except the few in :data:`TYPED_ONLY`, each with the reason it is left out of the grammar.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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


# Forms the parser acts on that the recognisers do not listen for as phrases of their own, and why.
TYPED_ONLY: dict[str, str] = {
    "oww": "a spelling of 'ow'; the ear hears 'ow'",
    "owww": "a spelling of 'ow'; the ear hears 'ow'",
    "ouw": "a spelling of 'ow'; the ear hears 'ow'",
    "aargh": "a spelling of 'argh'; the ear hears 'argh'",
}


def spoken(form: tuple[str, ...] | str) -> str:
    """A parser form (a word or a phrase of tokens) as words a recogniser can listen for."""
    return form if isinstance(form, str) else " ".join(form)


def acted_on_forms() -> dict[str, list[str]]:
    """Every word or phrase the parser acts on for pain, red flags, stop and pause, by intent."""
    return {
        "pain": sorted({*PAIN_WORDS, *NERVE_WORDS, *EMERGENCY_WORDS}
                       | {spoken(p) for p in (*NERVE_PHRASES, *EMERGENCY_PHRASES, *DISTRESS_PHRASES)}),
        "stop": sorted(STOP_WORDS | {spoken(p) for p in STOP_PHRASES}),
        "pause": sorted(PAUSE_WORDS | {spoken(p) for p in PAUSE_PHRASES}),
    }


def grammar_phrases(routine_names: Mapping[str, Iterable[str]]) -> list[str]:
    """Every phrase a recogniser listens for: the phrasebook, every pain, red-flag, stop and pause form the
    parser acts on (but those in TYPED_ONLY), and ways to start each routine."""
    phrases = {p for group in PHRASEBOOK.values() for p in group}
    for forms in acted_on_forms().values():
        phrases.update(f for f in forms if f not in TYPED_ONLY and not any(_contains(p, f) for p in phrases))
    for name in (n for names in routine_names.values() for n in names):
        name = name.lower().replace("-", " ")
        phrases.add(name)
        phrases.update(f"{verb} {name}" for verb in START_VERBS)
    return sorted(phrases)


def _contains(phrase: str, form: str) -> bool:
    return f" {form} " in f" {phrase} "
