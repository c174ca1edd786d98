#!/usr/bin/env python3
"""Probes of ways to tell someone else's talk from pain said to the guide, with the embedded recogniser. None that cut
the halts in the talk was kept: each cost pain halted (the README's "A person's speech" gives the figures). One that
hears more pain without more halts in the talk was (``retry``).

The data is the recogniser's tuning data, kept apart from the bench's: the 199 phrasings of ``tests/phrases/dev.tsv``
in its tuning voices, clean and in pink noise at 8 dB, at the normal speed (as ``tune-recogniser.py`` makes them);
and someone talking: the Canadian French Asterisk prompts (one of the three people ``tune-alone.py`` hears; 19
minutes, in runs of a minute). A clip halts when any result is read as pain; in the talk every utterance read as
pain is a halt.

- ``filler``: a loop of the commonest English words (by the wheel's own language model, less the words of pain
  phrases) beside the phrases in the grammar, entered at a weight (Vosk's "[unk]", for pocketsphinx). Also
  ``embed``: the loop before and after a phrase, too, so that pain said within longer talk is read.
- ``weight``: pain phrases weighted above the others in the grammar.
- ``stable``: how long a partial must stay the best reading (one word, several words) before it counts.
- ``final``: of the utterances read as pain, which were so in a partial, in the final reading, and whether
  the final reading was the utterance alone (``SphinxSettings.alone_seconds``).
- ``garbage``: a garbage model beside the phrases, entered at a weight: a loop of the acoustic model's own
  speech-garbage phone (+SPN+, its "[SPEECH]"), or a free loop of its 39 phones.
- ``retry``: the second look (``SphinxSettings.second_look``), how wide its beams: an utterance in which the
  grammar heard nothing at all decoded again whole, pain read there reported. Kept, the only probe here that was
  (the first setting is the one in use; None: without it).

About 43 minutes for all six on 2 cores (``filler`` 15, ``garbage`` 12, ``retry`` 6, ``weight`` and ``stable`` 4 each,
``final`` 2); the prompts come from ``apt install asterisk-core-sounds-fr-wav``.

    python scripts/probe-rejection.py filler|weight|stable|final|garbage|retry
"""

from __future__ import annotations

import collections
import importlib.util
import os
import statistics
import sys
import tempfile
from dataclasses import replace
from multiprocessing import Pool
from pathlib import Path

import pocketsphinx

import voiceguide.recognizers as recognizers
from voiceguide.audio import WavSource
from voiceguide.bench.plan import LEAD
from voiceguide.corpus import in_runs, one_after_another, speech_end
from voiceguide.engines import listening_for, pain_phrases, read_as_pain
from voiceguide.intents import IntentParser
from voiceguide.recognizers import SPHINX, SphinxRecognizer, heard_events
from voiceguide.routines import load_library, spoken_names

_spec = importlib.util.spec_from_file_location("tune_recogniser", Path(__file__).parent / "tune-recogniser.py")
tune_recogniser = importlib.util.module_from_spec(_spec)
sys.modules["tune_recogniser"] = tune_recogniser
_spec.loader.exec_module(tune_recogniser)

TALK = Path("/usr/share/asterisk/sounds/fr_CA_f_June")
FILLER_WORDS = 30
CONSONANTS = {"B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N", "NG", "P", "R", "S", "SH", "T", "TH", "V",
              "W", "Y", "Z", "ZH"}  # the wheel's English model's, with recognizers.VOWELS its 39 phones
SETTINGS = {  # the settings each probe tries; the first is the recogniser in use
    "filler": [("in use", 0.0), *(("loop", w) for w in (1e-15, 1e-21, 1e-27, 1e-30)), ("embed", 1e-21)],
    "weight": [1.0, 3.0, 10.0, 100.0],
    "stable": [(0.25, 0.1), (0.25, 0.15), (0.25, 0.2), (0.35, 0.15)],
    "final": [None],
    "garbage": [("in use", 0.0), *(("spn", w) for w in (1e-5, 1e-10, 1e-20)),
                *(("phones", w) for w in (1e-10, 1e-20, 1e-23, 1e-26, 1e-30))],
    "retry": [SPHINX.second_look, None, 1e-48, 1e-64, 1e-96],
}


def commonest_words(n: int, leave_out: set[str]) -> dict[str, str]:
    """The ``n`` commonest words by the pocketsphinx wheel's English language model, with their pronunciations."""
    model = os.path.join(pocketsphinx.get_model_path(), "en-us")
    lm = pocketsphinx.NGramModel(pocketsphinx.Config(loglevel="FATAL"), pocketsphinx.LogMath(),
                                 os.path.join(model, "en-us.lm.bin"))
    pronounced = {}
    with open(os.path.join(model, "cmudict-en-us.dict"), encoding="utf-8") as f:
        for line in f:
            word, _, phones = line.strip().partition(" ")
            if word.isalpha() and word not in leave_out:
                pronounced[word] = phones
    return {w: pronounced[w] for w in sorted(pronounced, key=lambda w: -lm.prob([w]))[:n]}


class Probed(SphinxRecognizer):
    """The recogniser in use, its grammar changed as a probe asks; words of the filler loop are read as nothing."""

    def __init__(self, probe: str, setting, parser: IntentParser, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pain = [p for p in self.phrases if parser.parse(p).intent == "pain"]
        if probe == "weight":
            alternatives = " | ".join(f"/{setting if p in pain else 1.0:g}/ {p}" for p in self.phrases)
            self._use(f"public <utt> = {alternatives};")
        elif probe == "filler" and setting[0] != "in use":
            shape, w = setting
            words = commonest_words(FILLER_WORDS, {w for p in pain for w in p.split()})
            self._beside({f"fill-{word}": phones for word, phones in words.items()}, w, embed=shape == "embed")
        elif probe == "garbage" and setting[0] != "in use":
            shape, w = setting
            units = ["+SPN+"] if shape == "spn" else sorted(recognizers.VOWELS | CONSONANTS)
            self._beside({f"fill-{phone.strip('+').lower()}": phone for phone in units}, w)

    def _beside(self, fillers: dict[str, str], weight: float, embed: bool = False) -> None:
        """The grammar with a loop of ``fillers`` (word: phones, each read as nothing) beside the phrases, entered
        at ``weight``; with ``embed``, also before and after a phrase."""
        for i, (word, phones) in enumerate(fillers.items()):
            self.decoder.add_word(word, phones, i == len(fillers) - 1)
        utt = f"/1/ <user> | /{weight:g}/ <other>"
        if embed:
            utt += f" | /{weight:g}/ <other> <user> | /{weight:g}/ <user> <other> | /{weight:g}/ <other> <user> <other>"
        self._use(f"public <utt> = {utt};\n<user> = {' | '.join(self.phrases)};\n<other> = <fill>+;\n"
                  f"<fill> = {' | '.join(fillers)};")

    def _use(self, rules: str) -> None:
        self.decoder.add_jsgf_string("user", f"#JSGF V1.0;\ngrammar user;\n{rules}\n")
        self.decoder.activate_search("user")

    def _said(self, hypothesis: str) -> str:
        return super()._said(" ".join(w for w in hypothesis.split() if not w.startswith("fill-")))


def clips(folder: Path) -> list[tuple[str, str, str, Path]]:
    """(kind, intent or speaker, condition, wav): the dev phrasings said, and runs of someone talking."""
    intents = {p.text: p.intent for p in tune_recogniser.read_phrasings(tune_recogniser.PHRASINGS)}
    voices = tune_recogniser.VOICES
    jobs = [(text, voice, i * len(voices) + v, folder) for i, text in enumerate(intents)
            for v, voice in enumerate(voices)]
    with Pool(2) as pool:
        said = [("said", intents[text], condition, wav)
                for made in pool.map(tune_recogniser.make_clip, jobs) for text, condition, wav in made]
    runs = in_runs(sorted(TALK.glob("*.wav")), 60.0)
    if not runs:
        sys.exit(f"no prompts in {TALK}: apt install asterisk-core-sounds-fr-wav")
    return said + [("talk", TALK.name, "clean", one_after_another(run, folder / f"talk-{n}.wav"))
                   for n, run in enumerate(runs)]


def score(job: tuple[str, object, list[tuple[str, str, str, Path]]]) -> list[tuple]:
    """For each clip: (kind, label, condition, utterances read as pain, reaction to the first, command read right
    alone, and per utterance read as pain: (in a partial, in the final reading, the final reading alone))."""
    probe, setting, work = job
    if probe == "stable":
        recognizers.STABLE_SECONDS, recognizers.STABLE_PHRASE_SECONDS = setting
    library = load_library()
    parser = IntentParser(spoken_names(library))
    phrases, _ = listening_for(library)
    settings = replace(SPHINX, second_look=setting) if probe == "retry" else SPHINX
    recognizer = Probed(probe, setting, parser, phrases, [], spot=pain_phrases(phrases), settings=settings,
                        pain=read_as_pain(phrases, library))
    out = []
    for kind, label, condition, wav in work:
        recognizer.reset()
        heard = [(h, parser.parse(h.text).intent) for h in heard_events(WavSource(wav), recognizer)]
        by_utterance = collections.defaultdict(list)
        for h, intent in heard:
            by_utterance[h.utterance].append((h, intent))
        splits = []
        for results in by_utterance.values():
            finals = [(h, intent) for h, intent in results if not h.partial]
            if any(intent == "pain" for _, intent in results):
                splits.append((any(h.partial and i == "pain" for h, i in results),
                               bool(finals) and finals[-1][1] == "pain", bool(finals) and finals[-1][0].alone))
        reaction = None
        if splits and kind == "said":
            first = next(h for h, intent in heard if intent == "pain")
            reaction = first.t - (LEAD + speech_end(wav.with_name(wav.name.split(".")[0] + ".said.wav")))
        right = any(not h.partial and h.alone and intent == label for h, intent in heard)
        out.append((kind, label, condition, len(splits), reaction, right, splits))
    return out


def report(setting, rows: list[tuple]) -> None:
    said = [r for r in rows if r[0] == "said"]
    line = [f"{setting}:"]
    for condition in tune_recogniser.CONDITIONS:
        pain = [r for r in said if r[1] == "pain" and r[2] == condition]
        other = [r for r in said if r[1] != "pain" and r[2] == condition]
        line.append(f"{condition}: pain halted {sum(r[3] > 0 for r in pain)}/{len(pain)}, others halted "
                    f"{sum(r[3] > 0 for r in other)}/{len(other)}, commands right {sum(r[5] for r in other)} |")
    reactions = [r[4] for r in said if r[1] == "pain" and r[4] is not None]
    talk = [r for r in rows if r[0] == "talk"]
    line.append(f"reaction median {statistics.median(reactions) * 1000:.0f} ms | halts in the talk "
                f"{sum(r[3] for r in talk)}")
    print(" ".join(line), flush=True)


def report_splits(rows: list[tuple]) -> None:
    print("utterances read as pain: (in a partial, in the final reading, the final reading alone): how many")
    for name, mine in (("pain said", [r for r in rows if r[0] == "said" and r[1] == "pain"]),
                       ("other phrasings", [r for r in rows if r[0] == "said" and r[1] != "pain"]),
                       ("the talk", [r for r in rows if r[0] == "talk"])):
        counts = collections.Counter(split for r in mine for split in r[6])
        print(f"{name} ({sum(counts.values())}): " + ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())))


def main() -> None:
    probe = sys.argv[1] if len(sys.argv) == 2 else ""
    if probe not in SETTINGS:
        sys.exit(__doc__)
    work = clips(Path(tempfile.mkdtemp(prefix="voiceguide-probe-")))
    with Pool(2) as pool:
        parts = pool.map(score, [(probe, s, work[i::2]) for s in SETTINGS[probe] for i in range(2)], chunksize=1)
    for k, setting in enumerate(SETTINGS[probe]):
        rows = parts[2 * k] + parts[2 * k + 1]
        if probe == "final":
            report_splits(rows)
        else:
            report(setting, rows)


if __name__ == "__main__":
    main()
