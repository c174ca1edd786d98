#!/usr/bin/env python3
"""Tune when the embedded recogniser's reading of an utterance is the utterance *alone* (``alone_seconds`` and
``alone_per_phone`` in ``SphinxSettings``): a command is acted on only when its utterance lasted no longer than
``alone_seconds`` plus ``alone_per_phone`` for each phone of the reading. A closed grammar forces any stretch of
someone's talk onto its nearest phrase ("next", "repeat", "stop"); a command said to the guide is the whole of its
utterance. Pain is acted on however it came (this never touches it).

The tuning data is kept apart from the bench's:
- commands said to the guide: the phrasings of ``tests/phrases/dev.tsv`` (the bench says the phrasebook's), in
  voices the bench does not use (flite kal; espeak-ng en-gb-scotland and en-us+m3), clean and with pink noise at
  8 dB, as ``tune-recogniser.py`` makes them, at their normal speed and slowly (someone lying on the floor);
- someone talking: Asterisk's prompts in three other people's voices and languages (Canadian French, June;
  Italian, Carlo; Russian), in runs of a minute (the bench hears the English prompts, another person).

The rule: every allowance that keeps every dev command the recogniser reads right
(the phrasing's own intent, heard in either condition) acted on; of those, the one with the fewest commands
acted on in the three people's speech; a tie goes to the larger allowance (seconds, then per phone). Said
plainly: the rule was written after a probe had shown these figures at the normal speed (it chose 0.8 s and
0.08 s a phone there); the slow speech was added after the bench showed slow phrasings lost ("start figure
four", "let's go"), and the rule then run again. About 4 minutes on 2 cores; the prompts come from
``apt install asterisk-core-sounds-fr-wav asterisk-core-sounds-it-wav asterisk-core-sounds-ru-wav``.

    python scripts/tune-alone.py
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
import tempfile
from multiprocessing import Pool
from pathlib import Path

from voiceguide.audio import WavSource
from voiceguide.corpus import in_runs, one_after_another, voice_at
from voiceguide.engines import listening_for, pain_phrases
from voiceguide.intents import IntentParser
from voiceguide.recognizers import SPHINX, SphinxRecognizer, heard_events
from voiceguide.routines import load_library, spoken_names

_spec = importlib.util.spec_from_file_location("tune_recogniser", Path(__file__).parent / "tune-recogniser.py")
tune_recogniser = importlib.util.module_from_spec(_spec)
sys.modules["tune_recogniser"] = tune_recogniser
_spec.loader.exec_module(tune_recogniser)

PROMPTS = Path("/usr/share/asterisk/sounds")
SPEAKERS = ("fr_CA_f_June", "it_IT_m_Carlo", "ru_RU_f_IvrvoiceRU")  # apt install asterisk-core-sounds-{fr,it,ru}-wav
SECONDS = (0.4, 0.6, 0.8, 1.0, 1.2)
PER_PHONE = (0.05, 0.08, 0.1, 0.12, 0.15)
ACTED = ("unknown", "pain")  # intents the rule does not decide: nothing to act on, or acted on always


class Measuring(SphinxRecognizer):
    """The recogniser in use, noting each final reading's length (seconds, phones) rather than judging it."""

    def alone(self, seconds: float, phones: int) -> bool:
        self.lengths.append((seconds, phones))
        return True


def measure(job: tuple[str, list[tuple[str, Path]]]) -> list[tuple[str, str, str, float, int]]:
    """(kind, label, intent read, seconds, phones) of each final result read as a command."""
    kind, clips = job
    library = load_library()
    parser = IntentParser(spoken_names(library))
    phrases, guide = listening_for(library)
    recognizer = Measuring(phrases, guide, spot=pain_phrases(phrases), settings=SPHINX)
    out = []
    for label, wav in clips:
        recognizer.reset()
        recognizer.lengths = []
        finals = [h for h in heard_events(WavSource(wav), recognizer) if not h.partial]
        for heard, (seconds, phones) in zip(finals, recognizer.lengths, strict=True):
            intent = parser.parse(heard.text).intent
            if intent not in ACTED:
                out.append((kind, label, intent, seconds, phones))
    return out


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="voiceguide-tune-alone-"))
    intents = {p.text: p.intent for p in tune_recogniser.read_phrasings(tune_recogniser.PHRASINGS)}
    voices = [voice_at(voice, speed) for speed in ("normal", "slow") for voice in tune_recogniser.VOICES]
    jobs = [(text, voice, i * len(voices) + v, folder) for i, text in enumerate(intents)
            for v, voice in enumerate(voices)]
    with Pool(2) as pool:
        clips = [(text, wav) for made in pool.map(tune_recogniser.make_clip, jobs) for text, _, wav in made]
        work = [("said", clips[i:i + 40]) for i in range(0, len(clips), 40)]
        for speaker in SPEAKERS:
            paths = sorted((PROMPTS / speaker).glob("*.wav"))
            if not paths:
                sys.exit(f"no prompts in {PROMPTS / speaker}: apt install asterisk-core-sounds-{speaker[:2]}-wav")
            for n, run in enumerate(in_runs(paths, 60.0)):
                work.append(("talk", [(speaker, one_after_another(run, folder / f"{speaker}-{n}.wav"))]))
        read = [row for rows in pool.map(measure, work, chunksize=1) for row in rows]
    right = [(s, p) for kind, label, intent, s, p in read if kind == "said" and intent == intents[label]]
    talk = [(s, p, intent) for kind, _, intent, s, p in read if kind == "talk"]
    minutes = sum(len(w[1]) for w in work if w[0] == "talk")
    print(f"{len(clips)} clips; commands read right: {len(right)}; commands read in {minutes} minutes of three "
          f"people's speech: {len(talk)}")
    print("seconds per-phone | dev commands read right and kept | commands in the speech kept")
    rows = []
    for base, per_phone in itertools.product(SECONDS, PER_PHONE):
        kept = sum(s <= base + per_phone * p for s, p in right)
        heard = sum(s <= base + per_phone * p for s, p, _ in talk)
        rows.append((base, per_phone, kept, heard))
        print(f"{base:g} {per_phone:g} | {kept}/{len(right)} | {heard}")
    allowed = [r for r in rows if r[2] == len(right)]
    best = min(allowed, key=lambda r: (r[3], -r[0], -r[1]))
    chosen = (best[0], best[1])
    in_use = (SPHINX.alone_seconds, SPHINX.alone_per_phone)
    print(f"chosen: {chosen[0]:g} s + {chosen[1]:g} s a phone" + (" (as in use)" if chosen == in_use
                                                                   else f"; in use: {in_use}"))


if __name__ == "__main__":
    main()
