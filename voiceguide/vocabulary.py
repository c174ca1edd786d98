"""The one vocabulary: the words the intent parser acts on, and the phrases the recognisers listen for,
built from the same tables so that every pain, red-flag, stop and pause form that can be typed can also be heard
(the other commands are heard only in the phrasebook's words: more phrases cost pain heard, see
``scripts/tune-recogniser.py --commands``).

Pain is organised by meaning, each with the advice level the seed text gives it (``advice.py``):

- **stop** (plain pain): sounds of pain, pain words, idioms, injury events, pinching and locking,
  exclamations of distress;
- **unwell** (distress the seed text does not grade: feeling faint or sick, breathless, unable to move or
  cope): stop, with general advice to rest and get help if it does not pass;
- **professional** (nerve signs: pain down the leg, numbness, pins and needles, weakness, a leg giving way);
- **emergency** (loss of bladder or bowel control).

Words are matched as written and as their lemma (simplemma), so tables hold one form of each word.
Phrases are tuples of tokens after contractions are expanded ("can't" -> "can not").

:func:`grammar_phrases` builds the recognisers' grammar from the phrasebook plus every pain, red-flag,
stop and pause form in these tables, except the few in :data:`TYPED_ONLY`, each with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Phrase = tuple[str, ...]

CONTRACTIONS = {
    "can't": "can not", "cant": "can not", "cannot": "can not", "won't": "will not", "wont": "will not",
    "ain't": "is not", "aint": "is not", "i'm": "i am", "im": "i am", "let's": "let us", "lets": "let us",
    "ive": "i have", "dont": "do not", "doesnt": "does not", "didnt": "did not", "isnt": "is not",
    "wouldnt": "would not", "couldnt": "could not", "shouldnt": "should not", "wasnt": "was not",
    "thats": "that is", "whats": "what is", "kinda": "kind of", "sorta": "sort of", "gonna": "going to",
    "wanna": "want to", "dunno": "do not know", "pain-free": "pain free",
}
SUFFIXES = {"n't": " not", "'s": " is", "'re": " are", "'ll": " will", "'d": " would", "'ve": " have", "'m": " am"}
NUMBERS = {"1": "one", "2": "two", "3": "three", "4": "four", "5": "five"}

# ------------------------------------------------------------ pain, by meaning

SOUNDS = {"ouch", "ouchie", "owch", "ow", "oww", "owww", "ouw", "owie", "ah", "ahh", "aah", "aaah", "argh", "aargh",
          "ugh", "urgh", "oof", "yikes", "yow", "eek"}
SOFT_SOUNDS = {"ah", "ahh", "aah", "aaah", "eek"}  # pain only when nothing else said means something ("ah, ready")
PAIN_WORDS = {
    "hurt", "hurting", "pain", "painful", "sore", "ache", "aching", "achy", "sharp", "stab", "stabbing", "cramp",
    "cramping", "burn", "burning", "sting", "stinging", "spasm", "twinge", "agony", "agonising", "agonizing",
    "excruciating", "unbearable", "throb", "throbbing", "pinch", "pinching", "tender", "uncomfortable",
    "discomfort", "injure", "injured", "injury", "strain", "strained", "sprain", "sprained", "overdo", "overdid",
    "seize", "seized", "jammed", "bad", "worse", "terrible", "awful", "horrible", "wrong", "electric", "smarts",
}
IDIOMS: list[Phrase] = [
    ("killing", "me"), ("kill", "me"), ("a", "knife"), ("hot", "poker"), ("being", "stabbed"), ("back", "went"),
    ("just", "went"), ("went", "out"), ("gave", "out"), ("not", "right"), ("something", "is", "wrong"),
]
INJURY_PHRASES: list[Phrase] = [
    ("pulled", "something"), ("pulled", "a", "muscle"), ("pulled", "my"), ("tweaked", "something"),
    ("tweaked", "my"), ("something", "popped"), ("popped", "and"), ("done", "something"), ("hurt", "myself"),
    ("locked", "up"), ("back", "locked"), ("locking", "up"), ("seized", "up"),
]
EXCLAMATIONS: list[Phrase] = [("oh", "no"), ("no", "no"), ("no", "more"), ("oh", "god"), ("oh", "dear"),
                              ("my", "god"), ("god", "no")]

UNWELL_WORDS = {"dizzy", "dizziness", "faint", "fainting", "lightheaded", "woozy", "nauseous", "nausea",
                "nauseated", "vomit", "unwell", "breathless", "spinning", "ambulance"}
UNWELL_PHRASES: list[Phrase] = [
    ("feel", "sick"), ("be", "sick"), ("am", "sick"), ("throw", "up"), ("light", "headed"), ("short", "of", "breath"),
    ("can", "not", "breathe"), ("chest", "pain"), ("chest", "hurts"), ("can", "not", "move"),
    ("can", "not", "get", "up"), ("can", "not", "take"), ("too", "much"), ("help", "me"), ("need", "help"),
    ("get", "help"), ("call", "for", "help"), ("somebody", "help"), ("someone", "help"), ("am", "stuck"),
]
NOT_WELL = {"well"}  # "not well", "not feeling well": unwell rather than plain pain

NERVE_WORDS = {"numb", "numbness", "tingle", "tingling", "tingly", "weak", "weakness", "sciatica", "radiating",
               "radiate", "shooting", "buckled", "buckle"}
NERVE_PHRASES: list[Phrase] = [
    ("pins", "and", "needles"), ("can", "not", "feel"), ("lost", "feeling"), ("no", "feeling"), ("gave", "way"),
    ("give", "way"), ("giving", "way"), ("gives", "way"), ("will", "not", "hold"), ("gone", "to", "sleep"),
]
LEG_WORDS = {"leg", "legs", "calf", "calves", "foot", "feet", "toe", "toes", "shin", "shins", "thigh", "thighs",
             "ankle", "ankles"}
LIMB_STATES = {"asleep", "dead"}  # with a leg word: "my foot's asleep", "my foot feels dead"
LIMB_PHRASES: list[Phrase] = [("gave", "out"), ("give", "out"), ("giving", "out"), ("can", "not", "lift"),
                              ("can", "not", "move")]  # with a leg word: "my leg gave out", "I can't move my leg"

EMERGENCY_WORDS = {"bladder", "bowel", "bowels", "incontinent", "incontinence", "peed", "soiled", "pooped", "pooed",
                   "leaked", "accident"}
EMERGENCY_PHRASES: list[Phrase] = [
    ("wet", "myself"), ("wet", "my"), ("wetting", "myself"), ("messed", "myself"), ("lost", "control"),
    ("can", "not", "pee"), ("pee", "myself"), ("can", "not", "hold", "it"), ("can", "not", "hold", "my"),
]

# ------------------------------------------------------------ pain that is not there (calm)

NEGATORS = {"no", "not", "never", "without", "nothing", "none", "nor"}
# Words that may stand between a negator and what it negates: "I do not feel any sharp pain".
FILLER = {"any", "much", "more", "real", "really", "feel", "feeling", "feels", "in", "a", "the", "bit", "of", "too",
          "that", "so", "very", "at", "all", "longer", "have", "having", "got", "even", "or", "nor", "getting",
          "doing", "say", "quite", "as", "particularly", "actually"}
SUBJECT_NEGATORS = {"nothing", "none", "nobody"}  # "nothing hurts", "nothing is wrong"
COPULAS = {"is", "was", "feels", "seems"}
RESOLVED = {"gone", "away", "eased", "easing", "passed", "faded", "fading", "stopped", "subsided", "disappeared",
            "better", "free", "less", "lessening"}
PAST = {"before", "earlier", "yesterday", "previously", "was", "were", "used"}
CONTRAST = {"but", "though", "although", "now"}

# ------------------------------------------------------------ commands

OK_WORDS = {"ok", "okay", "fine", "good", "great", "alright", "comfortable", "better", "nice", "well", "grand",
            "lovely", "thanks"}
NEGATED_OK_IS_PAIN = {"ok", "okay", "fine", "good", "great", "alright", "right", "comfortable"}
OK_PHRASES: list[Phrase] = [("all", "right"), ("not", "bad"), ("not", "too", "bad"), ("not", "that", "bad")]
UNSURE_WORDS = {"tight", "stiff", "tense", "meh", "hmm", "unsure"}
UNSURE_PHRASES: list[Phrase] = [("could", "be", "better"), ("could", "be", "worse"), ("not", "sure"),
                                ("not", "really", "sure"), ("do", "not", "know"), ("so", "so"), ("kind", "of"),
                                ("sort", "of")]
STOP_WORDS = {"stop", "stopping", "quit", "cancel", "exit", "enough"}
STOP_PHRASES: list[Phrase] = [("end", "session"), ("end", "the", "session"), ("end", "it"), ("end", "this"),
                              ("end", "the", "routine"), ("that", "is", "it"), ("done", "for"), ("am", "done"),
                              ("call", "it", "a", "day"), ("finish", "now"), ("finish", "here"), ("finish", "for"),
                              ("finish", "up"), ("finish", "today"), ("am", "finished"), ("finished", "for")]
GO_ON: list[Phrase] = [("continue",), ("carry", "on"), ("go", "on"), ("keep", "going"), ("do", "this"),
                       ("do", "it"), ("do", "any", "more")]
REFUSALS: list[Phrase] = [("can", "not"), ("do", "not", "want", "to"), ("will", "not"), ("not", "going", "to"),
                          ("unable", "to"), ("do", "not", "think", "i", "can")]
PAUSE_WORDS = {"pause", "wait", "break", "breather"}
PAUSE_PHRASES: list[Phrase] = [("hold", "on"), ("hang", "on"), ("one", "moment"), ("one", "second"), ("one", "sec"),
                               ("a", "moment"), ("a", "second"), ("a", "sec"), ("a", "minute"), ("give", "me")]
HELP_WORDS = {"help", "commands", "options"}
HELP_PHRASES: list[Phrase] = [("what", "can", "i", "say"), ("what", "do", "i", "say")]
START_WORDS = {"start", "begin", "do", "run", "try", "play"}
RESUME_WORDS = {"resume", "continue", "unpause"}
RESUME_PHRASES: list[Phrase] = [("carry", "on"), ("go", "on"), ("keep", "going"), ("am", "back"), ("back", "now")]
REPEAT_WORDS = {"repeat", "again", "pardon", "what"}
REPEAT_PHRASES: list[Phrase] = [("come", "again"), ("say", "that")]
NEXT_WORDS = {"next", "skip"}
NEXT_PHRASES: list[Phrase] = [("move", "on")]
READY_WORDS = {"ready", "yes", "yeah", "yep", "yup", "go", "done", "set"}
READY_PHRASES: list[Phrase] = [("let", "us", "go"), ("in", "position"), ("good", "to", "go"), ("all", "set"),
                               ("belt", "is", "on"), ("go", "ahead")]
NOT_READY: list[Phrase] = [("not", "ready"), ("not", "yet"), ("not", "next"), ("not", "in", "position"),
                           ("do", "not", "skip"), ("do", "not", "move", "on"), ("do", "not", "go", "on"),
                           ("do", "not", "resume"), ("do", "not", "continue"), ("not", "quite", "ready")]
VOICE: dict[str, list[Phrase]] = {
    "slower": [("slower",), ("slow", "down"), ("too", "fast"), ("more", "slowly"), ("slowly", "please")],
    "faster": [("faster",), ("speed", "up"), ("too", "slow"), ("hurry", "up"), ("quicker",), ("speed", "it", "up")],
    "louder": [("louder",), ("speak", "up"), ("turn", "it", "up"), ("can", "not", "hear"), ("too", "quiet"),
               ("volume", "up"), ("turn", "up")],
    "quieter": [("quieter",), ("softer",), ("softly",), ("too", "loud"), ("turn", "it", "down"),
                ("lower", "the", "volume"), ("volume", "down"), ("turn", "down")],
}
DURATION: list[Phrase] = [("for", "a"), ("a", "sec"), ("a", "second"), ("a", "moment"), ("a", "minute")]

# ------------------------------------------------------------ what the recognisers listen for

# Whole utterances the recognisers listen for, by intent (the start phrases for each routine name are
# added); every one parses as its intent: see tests.
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
    "aaah": "a spelling of 'ah'; the ear hears 'ah'",
    "ahh": "a spelling of 'ah'; the ear hears 'ah'",
    "aah": "a spelling of 'ah'; the ear hears 'ah'",
    "urgh": "a spelling of 'ugh'; the ear hears 'ugh'",
    "owch": "a spelling of 'ouch'; the ear hears 'ouch'",
    "agonizing": "a spelling of 'agonising'; the ear hears one of them",
}


def spoken(form: Phrase | str) -> str:
    """A parser form (a word or a phrase of tokens) as words a recogniser can listen for."""
    return form if isinstance(form, str) else " ".join(form)


def acted_on_forms() -> dict[str, list[str]]:
    """Every word or phrase the parser acts on for pain, red flags, stop and pause, by intent."""
    pain_phrases = (*IDIOMS, *INJURY_PHRASES, *EXCLAMATIONS, *UNWELL_PHRASES, *NERVE_PHRASES, *EMERGENCY_PHRASES)
    return {
        "pain": sorted({*SOUNDS, *PAIN_WORDS, *UNWELL_WORDS, *NERVE_WORDS, *EMERGENCY_WORDS}
                       | {spoken(p) for p in pain_phrases}),
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


def all_words() -> set[str]:
    """Every word in the tables: what a typed word near one of them may have been meant as."""
    words = {*SOUNDS, *PAIN_WORDS, *UNWELL_WORDS, *NERVE_WORDS, *EMERGENCY_WORDS, *LEG_WORDS, *OK_WORDS,
             *STOP_WORDS, *PAUSE_WORDS, *HELP_WORDS, *RESUME_WORDS, *REPEAT_WORDS, *NEXT_WORDS, *READY_WORDS,
             *UNSURE_WORDS}
    for table in (IDIOMS, INJURY_PHRASES, EXCLAMATIONS, UNWELL_PHRASES, NERVE_PHRASES, EMERGENCY_PHRASES,
                  STOP_PHRASES, PAUSE_PHRASES, *VOICE.values()):
        words.update(w for phrase in table for w in phrase)
    return words
