"""Speech recognisers behind one interface: feed PCM blocks, get partial and final text back.

- ``vosk``: Kaldi via Vosk, restricted to a grammar of our phrases plus "[unk]"; needs a model.
- ``sphinx``: the pocketsphinx wheel with its own English model, restricted to the same phrases.

Both report partial text while an utterance is going on, so a pain word acts before it ends.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import math
import re
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from voiceguide.audio import AudioSource, Resampler, VoiceMeter
from voiceguide.background import GATE, GateSettings
from voiceguide.denoise import Denoiser, NoiseFloor
from voiceguide.errors import VoiceguideError
from voiceguide.events import Heard, TalkedOver

log = logging.getLogger(__name__)


class RecognizerError(VoiceguideError):
    """A recogniser that cannot start, in words a user can act on."""


@dataclass(frozen=True)
class Result:
    """Text heard. ``sure``: the words stand out clearly from anything else the sound could be (a keyphrase
    spotted against a free phone loop, and read the same by the closed grammar); a phrase forced out of a closed
    grammar alone is not sure. ``over_guide``: the utterance began while the guide's loudspeaker played, so the
    guide's voice may be in all of it. ``alone``: the words were all the utterance held, not the nearest phrase
    to a longer stretch of talk (decided for a final result; a partial one is acted on only for pain)."""

    text: str
    partial: bool
    sure: bool = False
    over_guide: bool = False
    alone: bool = True

    def heard(self, t: float, utterance: int, level: float | None = None) -> Heard:
        """This result as the event a session hears, stamped with the time of its block and its utterance (and, if
        final, how loud the voice was: ``level``)."""
        return Heard(t, self.text, self.partial, utterance, self.sure, over_guide=self.over_guide, alone=self.alone,
                     level=level)


class Recognizer(Protocol):
    name: str
    sample_rate: int

    def accept(self, pcm: bytes, guide: bool = False) -> list[Result]:
        """Feed int16 mono PCM at ``sample_rate``; return any new partial or final results. ``guide``: the guide's
        own voice may be in this audio (its loudspeaker was playing)."""
        ...

    def flush(self) -> list[Result]:
        """End of audio: return the final result of an utterance still open; then ready for a new stream."""
        ...

    def reset(self) -> None:
        """Forget what earlier audio taught it (noise level, voice): as if just created."""
        ...


# Speech ends when 90 % of the last 0.2 s is silence. The bench: 0.3 s made the median reaction to pain
# 426 ms, 0.2 s 336 ms, with slightly fewer false stops (10.3 % against 10.9 %). (Since frames are decoded as
# heard rather than a window late, the window no longer delays results: median 264 -> 127 ms.)
ENDPOINTER_WINDOW, ENDPOINTER_RATIO = 0.2, 0.9
# A partial counts once it has stayed the best current hypothesis this long. One word ("ow") needs
# 0.25 s: the first frames of many words look like it. Several words need 0.1 s, which cut the median
# reaction from 336 ms to 232 ms, for 12.5 % false stops against 10.3 % (bench, 4 voices). With
# no stability wait at all the median was 7 ms but 57 % of non-pain phrases stopped the session.
STABLE_SECONDS = 0.25
STABLE_PHRASE_SECONDS = 0.1
CURRENT_FRAMES = 10  # a partial's last word must end within 100 ms (10 ms frames) of the audio heard
# Keyphrase spotting: a phrase fires when it beats a free phone loop by this likelihood ratio. Only phrases
# of three syllables or more: shorter ones fire on ordinary speech at any threshold that catches them.
SPOT_THRESHOLD = 1e-10
SPOT_SYLLABLES = 3
SPOT_SHORT = {"it hurts", "that hurts"}  # two syllables, but clean at that threshold in the probes (issue 13)
NEGATION = {"no", "not", "n't", "never", "nothing", "without"}  # the grammar hears pain denied: it decides
VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}


@dataclass(frozen=True)
class SphinxSettings:
    """What the embedded recogniser hears and how widely it searches, chosen with ``scripts/tune-recogniser.py``
    on its own phrasings, voices and noise (not the bench's). Against pocketsphinx as it comes (no suppression,
    digital silence left as it is), on that data: pain halted 183 -> 247 of 300 clips clean and 225 -> 240 in
    pink noise at 8 dB; other clips halted 115 -> 124 of 297 clean and 158 -> 143 in noise; none stopped."""

    suppression: int = 3  # WebRTC noise suppression level (0 off, up to 4)
    floor: float = 30.0  # RMS (int16) of the white noise floor added after suppression; 0 off
    # The decoders' floor that far below the loudest sound of the last 5 s instead (at most ``floor``; None: fixed;
    # the endpointer's is fixed). A floor set for loud speech masks quiet speech (tune-recogniser.py --floor-again,
    # on voices no run had used: pain halted 892 -> 938 of 1,200 clips, clean and in pink noise at 8 dB, each as
    # said and 20 dB lower; others halted 618 -> 611 of 1,188, one stopped (none before); someone's talk heard as
    # pain 95 -> 87 times).
    floor_below: float | None = -40.0
    # How far below the best a path may fall and live on (pocketsphinx's defaults): wider beams heard more pain
    # (1e-80: 259 of 300 clean) but halted for far more of everything else (149 of 297).
    beam: float = 1e-48
    wbeam: float = 7e-29  # the same at a word's end
    pbeam: float = 1e-48  # the same for entering the next phone
    gate: GateSettings | None = GATE  # turns down the room's steady background talk (tune-gate.py); None off
    # An utterance is the phrase read alone when it lasts at most this long, plus this much a phone of the reading
    # (tune-alone.py): a command said to the guide is all its utterance; one forced out of a longer stretch of
    # someone's talk is not, and is not acted on (pain always is). On its data: every command read right kept, at
    # the normal speed and slowly; three other people's speech read as a command 234 -> 17 times in 57 minutes.
    alone_seconds: float = 1.0
    alone_per_phone: float = 0.08
    # How readily the grammar's search lets silence in between words (pocketsphinx's default: 0.005). With more, a
    # pause or a stretch of noise is less often made into a short word of a phrase (tune-recogniser.py --silprob:
    # on its data, pain halted 723 -> 726 of 900 clips, others halted 415 -> 397 of 891, and utterances of
    # someone's talk heard as pain 100 -> 91).
    silprob: float = 0.05
    # An utterance in which the grammar's search lost every path (it heard nothing at all: a word's last sounds
    # too weak or too strange for the beams) is decoded again whole, its pauses too, with beams this wide, and pain
    # read there halts to ask (never sure); nothing else read there is reported. None: off. Chosen with
    # ``python scripts/probe-rejection.py retry`` on the recogniser's tuning data (1e-48, 1e-64, 1e-80; wider, 1e-96
    # to 1e-128, gained at most 3 clips more): pain halted 483 -> 512 of 600 clips, other phrasings halted
    # 257 -> 285 of 594, halts in someone's talk 116 -> 116.
    second_look: float | None = 1e-80


SPHINX = SphinxSettings()
SECOND_LOOK_LONGEST = 6.0  # seconds: a longer utterance is someone talking on, not looked at again
# seconds the guide's loudspeaker must have been quiet before an utterance for a second look: live, the tail of its
# echo can begin an utterance of its own once its voice is no longer marked (through PulseAudio's loopback the
# second look made pain of it, "vomit", and the guide halted itself)
SECOND_LOOK_AFTER_GUIDE = 3.0


def spoken_words(line: str) -> str:
    """A line as the plain words a grammar holds: lower case, digits spelled out, no punctuation."""
    words = re.findall(r"[a-z0-9']+", line.lower().replace("’", "'"))
    return " ".join(DIGITS.get(w, w) for w in words)


def guide_clauses(lines: Iterable[str], known: Callable[[str], object]) -> list[str]:
    """The guide's lines cut at their punctuation into clauses (where a pause can split what the microphone
    hears), as words the recogniser knows."""
    clauses = set()
    for line in lines:
        for part in re.split(r"[,.;:?!]+", line):
            words = [w for w in spoken_words(part).split() if known(w)]
            if words:
                clauses.add(" ".join(words))
    return sorted(clauses)


def said_after_guide(hypothesis: str, phrases: set[str], clauses: set[str]) -> str:
    """The user's phrase in a recogniser's hypothesis: all of it, or what follows the guide's own ``clauses``
    (the echo of its voice, heard before someone spoke over its end); "" when it is the guide's clauses alone,
    or anything else."""
    words = hypothesis.split()
    for start in range(len(words)):
        phrase = " ".join(words[start:])
        if phrase in phrases and _cut_into(words[:start], clauses):
            return phrase
    return ""


def _cut_into(words: list[str], clauses: set[str]) -> bool:
    """Can ``words`` be cut into ``clauses`` (none at all, too)?"""
    ends = {0}
    for end in range(1, len(words) + 1):
        if any(" ".join(words[start:end]) in clauses for start in ends if start < end):
            ends.add(end)
    return len(words) in ends


DIGITS = {str(n): w for n, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"])}


class SphinxRecognizer:
    """pocketsphinx with a JSGF grammar of whole phrases, segmented by its Endpointer.

    The grammar also holds every line the guide can say (``guide``): when the microphone hears the guide's
    own voice, its own words are the best explanation of the sound, rather than the nearest phrase a user
    might say; a result made of those lines' clauses alone is dropped, never reported, and of one that begins
    with them (someone spoke over the end of the guide's voice) only the phrase after them is reported.

    An utterance in which the grammar heard nothing at all is looked at again (:meth:`_look_again`), and only the
    phrases in ``pain`` (those the guide reads as pain) are reported from that second look.
    """

    name = "sphinx"
    sample_rate = 16000

    def __init__(self, phrases: Iterable[str], guide: Iterable[str] = (), spot: Iterable[str] = (),
                 settings: SphinxSettings = SPHINX, pain: Iterable[str] = ()):
        try:
            from pocketsphinx import Decoder
        except (ImportError, OSError) as e:
            raise RecognizerError(f"pocketsphinx cannot load ({e}); pip install pocketsphinx") from None

        phrases, guide, spot, self.pain = list(phrases), list(guide), list(spot), set(pain)
        config = _config(settings)
        words = {w for text in (*phrases, *guide, *spot) for w in spoken_words(text).split()}
        with _written(".dict", _pronunciations(config["dict"], words)) as dictionary:
            config["dict"] = str(dictionary)
            self.decoder = Decoder(config)
            self.spotter, self.spotted = _spotter(config, spot, self.decoder.lookup_word), ""
            # the second look, for the pain phrases (``pain``) only
            self.second = Decoder(_config(settings, settings.second_look, dictionary)) \
                if settings.second_look and self.pain else None
            self.keyphrases: set[str] = set()  # the keyphrases spotted in this utterance
            self.agreed = False  # the grammar has read one of them too: what was spotted is sure
        usable, dropped = [], []
        for phrase in phrases:
            words = phrase.split()
            (usable if all(self.decoder.lookup_word(w) for w in words) else dropped).append(phrase)
        if dropped:
            log.info("sphinx: %d phrases have words missing from its dictionary: %s", len(dropped), dropped[:8])
        self.phrases = usable
        self.user_phrases = set(usable)
        self.guide = guide_clauses(guide, self.decoder.lookup_word)
        self.guide_set = set(self.guide)
        # Two searches: the user's phrases; and, for an utterance that begins while the guide's loudspeaker
        # plays, any run of the guide's own clauses, then perhaps one of those phrases, so that its voice is
        # explained by its own words rather than forced onto the nearest phrase, and words said over its end
        # are heard as themselves (when the guide's clauses could not come first, the whole was forced onto the
        # longest phrase, "i lost control of my bowels"). (Used always, the second cost recall in noise.)
        phrases_only = " | ".join(usable)
        self.decoder.add_jsgf_string("user", f"#JSGF V1.0;\ngrammar user;\npublic <utt> = {phrases_only};\n")
        if self.guide:
            clauses = " | ".join(self.guide)
            self.decoder.add_jsgf_string("room", f"#JSGF V1.0;\ngrammar room;\npublic <utt> = <guide>* <user> | "
                                                 f"<guide>+;\n<user> = {phrases_only};\n<guide> = {clauses};\n")
        self.decoder.activate_search("user")
        if self.second is not None:
            self.second.add_jsgf_string("user", f"#JSGF V1.0;\ngrammar user;\npublic <utt> = {phrases_only};\n")
            self.second.activate_search("user")
        self.settings = settings
        self.guide_playing = self.over_guide = self.near_guide = False
        self.since_guide = math.inf  # samples since a block the guide's loudspeaker played in
        self.initial_cmn = self.decoder.get_cmn()
        self.denoiser = Denoiser(settings.suppression, settings.gate)
        # The endpointer hears the floor at one level; the decoders, below a quiet voice (see denoise.py).
        self.floor = NoiseFloor(settings.floor)
        below = settings.floor_below
        self.voice_floor = NoiseFloor(settings.floor, below) if below is not None else None
        self._new_stream()
        self.utterance, self.utterance_whole = bytearray(), True  # what the decoders heard of it, for a second look
        self.frame_bytes = self.endpointer.frame_bytes
        self.frame_seconds = self.endpointer.frame_length
        self.last_partial = ""
        self.candidate, self.stable_frames = "", 0

    def accept(self, pcm: bytes, guide: bool = False) -> list[Result]:
        self.guide_playing = guide
        self.since_guide = 0 if guide else self.since_guide + len(pcm) // 2  # samples
        # whole int16 samples only: a stray byte would misalign the rest
        self._floored(self.denoiser.process(pcm[:len(pcm) - len(pcm) % 2]))
        results: list[Result] = []
        while len(self.buffer) >= self.frame_bytes:
            frame, self.buffer = self.buffer[:self.frame_bytes], self.buffer[self.frame_bytes:]
            decoded, self.decoded = self.decoded[:self.frame_bytes], self.decoded[self.frame_bytes:]
            results += self._frame(frame, decoded)
        return results

    def _floored(self, clean: bytes) -> None:
        """``clean`` audio, with its floors, into the endpointer's buffer and the decoders'."""
        heard = self.floor.add(clean)
        self.buffer += heard
        self.decoded += self.voice_floor.add(clean) if self.voice_floor is not None else heard

    def _frame(self, frame: bytes, decoded: bytes) -> list[Result]:
        """One endpointer frame (``frame``, as the endpointer hears it; ``decoded``, the same as the decoders do).
        The endpointer decides from the window that follows a frame, so it hands speech
        back a window late (0.18 s); the decoders are given the frames as they are heard instead (at the onset,
        all those since speech began), and the endpointer only says where an utterance begins and ends. A frame
        of silence waits for the grammar's decoder until speech follows it: when the utterance ends, the silence
        after its last word is never decoded there (over a tail of noise the grammar's search could lose its way
        to a phrase's end, and hear nothing at all)."""
        self.recent.append(decoded)
        self.frames_heard += 1
        was_in_speech = self.endpointer.in_speech
        if self.endpointer.process(frame) is None:
            return []
        if not was_in_speech:
            search = "room" if self.guide_playing and self.guide else "user"
            if self.decoder.current_search() != search:
                self.decoder.activate_search(search)
            self.decoder.start_utt()
            if self.spotter is not None:
                self.spotter.start_utt()
            self.last_partial, self.candidate, self.stable_frames, self.spotted = "", "", 0, ""
            self.keyphrases, self.agreed = set(), False
            self.over_guide = self.guide_playing
            self.near_guide = self.since_guide < SECOND_LOOK_AFTER_GUIDE * self.sample_rate
            self._decode(self._since_speech_began())
        elif self.vad.is_speech(frame):
            self._decode(self.held, spotter=False)
            self._decode(decoded)
            self.held = b""
        else:  # the spotter hears it at once: it decides on a keyphrase only some frames after its end
            self._decode(decoded, grammar=False)
            self.held += decoded
        if not self.endpointer.in_speech:
            self.held = b""
            return self._end_utterance()
        if spotted := self._spot():
            return spotted
        hyp = self.decoder.hyp()
        text = self._said(hyp.hypstr) if hyp and self._hypothesis_is_current() else ""
        if agreed := self._agree(text, partial=True):
            return agreed
        # The first frames of a word give wild guesses: report a partial only once it has stayed
        # the best current hypothesis for STABLE_SECONDS of audio.
        if text != self.candidate:
            self.candidate, self.stable_frames = text, 0
        self.stable_frames += 1
        needed = STABLE_SECONDS if " " not in text else STABLE_PHRASE_SECONDS
        if text and text != self.last_partial and self.stable_frames * self.frame_seconds >= needed:
            self.last_partial = text
            return [Result(text, True, over_guide=self.over_guide)]
        return []

    def _since_speech_began(self) -> bytes:
        """The frames heard from the endpointer's start of speech up to now."""
        began = round(self.endpointer.speech_start / self.frame_seconds)
        count = min(max(self.frames_heard - began, 1), len(self.recent))
        return b"".join(list(self.recent)[-count:])

    def _hypothesis_is_current(self) -> bool:
        """Does the best phrase so far reach the audio just heard?

        Mid-grammar, pocketsphinx reports the best path that has completed a phrase, however long ago
        it ended: while "ready" is still being said, "ow" (complete after its first 40 ms) is reported.
        Such a stale phrase leaves the speech since then unexplained, so it is not a partial result.
        """
        words = self._word_segments()
        return bool(words) and self.decoder.n_frames() - words[-1].end_frame <= CURRENT_FRAMES

    def _word_segments(self) -> list:
        """The grammar's best path so far, its words only (no silence, noise or empty transitions: "<sil>",
        "[NOISE]", "(NULL)")."""
        return [seg for seg in self.decoder.seg() or () if not seg.word.startswith(("<", "(", "["))]

    def _spot(self) -> list[Result]:
        """A keyphrase newly spotted in this utterance, reported at once as a partial result, unless the grammar
        hears a negation there ("it doesn't hurt" holds "hurt"): then the grammar's reading decides. It is sure
        when the grammar's reading holds one of the keyphrases spotted, then or later in the utterance
        (:meth:`_agree`): in a person's recorded speech the spotter alone found "it hurts" where the grammar read
        "figure four stretch"."""
        if self.spotter is None:
            return []
        hyp = self.spotter.hyp()
        found = " ".join(hyp.hypstr.split()) if hyp and hyp.hypstr.strip() else ""
        if not found or found == self.spotted:
            return []
        heard = self.decoder.hyp()
        words = self._said(heard.hypstr).split() if heard else []  # the user's words, not the guide's before them
        if NEGATION & {w if not w.endswith("n't") else "n't" for w in words}:
            return []
        self.spotted = found
        # the spotter reports every keyphrase found so far in the utterance ("it hurts that hurts"): each apart
        self.keyphrases |= {" ".join(seg.word.split()) for seg in self.spotter.seg() or ()} or {found}
        self.agreed = self.agreed or self._grammar_holds_one(" ".join(words))
        return [Result(found, True, sure=self.agreed, over_guide=self.over_guide)]

    def _grammar_holds_one(self, said: str) -> bool:
        return any(_holds(said, keyphrase) for keyphrase in self.keyphrases)

    def _agree(self, said: str, partial: bool, alone: bool = True) -> list[Result]:
        """The grammar's reading, sure, if it has come to hold a keyphrase spotted in this utterance."""
        if self.agreed or not self._grammar_holds_one(said):
            return []
        self.agreed = True
        return [Result(said, partial, sure=True, over_guide=self.over_guide, alone=alone)]

    def _end_utterance(self) -> list[Result]:
        audio = bytes(self.utterance) if self.utterance_whole else b""
        self.utterance, self.utterance_whole = bytearray(), True
        spotted: list[Result] = []
        if self.spotter is not None:
            self.spotter.end_utt()
            spotted = self._spot()  # the spotter decides a keyphrase up to kws_delay frames after it ends
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        if not (hyp and hyp.hypstr) and not spotted:
            return self._look_again(audio)
        said = self._said(hyp.hypstr) if hyp else ""
        if hyp and hyp.hypstr and not said:
            log.debug("sphinx: heard the guide's own line %r; dropped", hyp.hypstr)
        if not said:
            return spotted
        alone = self.alone(*self._reading_length())
        agreed = self._agree(said, partial=False, alone=alone)
        return spotted + (agreed or [Result(said, False, over_guide=self.over_guide, alone=alone)])

    def _look_again(self, audio: bytes) -> list[Result]:
        """The grammar heard nothing at all in the utterance just ended (``audio``, as the decoders heard it; b""
        if it was too long): decode it again whole, with the second look's wider beams; pain read there is reported
        (not sure), anything else dropped. Not for an utterance that began over the guide's voice or within
        SECOND_LOOK_AFTER_GUIDE seconds of it (its own words and its echo's tail are not in that grammar)."""
        if self.second is None or self.near_guide or not audio:
            return []
        self.second.set_cmn(self.decoder.get_cmn())  # the mean the grammar's decoder has come to, this utterance too
        self.second.start_utt()
        self.second.process_raw(audio, False, True)
        self.second.end_utt()
        hyp = self.second.hyp()
        said = hyp.hypstr if hyp else ""
        if said not in self.pain:
            return []
        phones = len(phones_of(said.split(), self.second.lookup_word))
        alone = self.alone(self.second.n_frames() / self.second.config["frate"], phones)
        return [Result(said, False, alone=alone)]

    def _reading_length(self) -> tuple[float, int]:
        """The utterance just ended: how long it lasted (seconds decoded), and how many phones the grammar's
        reading of it has (the guide's clauses before a phrase included)."""
        words = [seg.word.split("(")[0] for seg in self._word_segments()]  # "word(2)": a second pronunciation
        phones = len(phones_of(words, self.decoder.lookup_word))
        return self.decoder.n_frames() / self.decoder.config["frate"], phones  # its own frames, 10 ms each

    def alone(self, seconds: float, phones: int) -> bool:
        """Is an utterance of ``seconds`` no longer than a reading of ``phones`` phones could fill?"""
        return seconds <= self.settings.alone_seconds + self.settings.alone_per_phone * phones

    def _said(self, hypothesis: str) -> str:
        return said_after_guide(hypothesis, self.user_phrases, self.guide_set)

    def reset(self) -> None:
        self.flush()
        self.since_guide = math.inf
        self.denoiser.reset()
        for floor in (self.floor, self.voice_floor):
            if floor is not None:
                floor.reset()
        for decoder in (self.decoder, self.spotter, self.second):
            if decoder is not None:
                decoder.reinit_feat()  # the feature computation keeps state across utterances
                decoder.set_cmn(self.initial_cmn)  # the cepstral mean adapts to the voice and room as it listens

    def flush(self) -> list[Result]:
        self._floored(self.denoiser.flush())
        rest, decoded = self.buffer, self.decoded
        was_in_speech = self.endpointer.in_speech
        speech = self.endpointer.end_stream(rest) if rest else None
        # An Endpointer that ended its stream mid-speech spins forever on the next one (pocketsphinx
        # 5.0): start every stream, such as the microphone's after it comes back, with a fresh one.
        self._new_stream()
        if not was_in_speech and speech is None:
            return []
        # in speech, the frames before were decoded as heard; out of it, what the endpointer found (as it heard it)
        self._decode(decoded if was_in_speech else speech or b"")
        return self._end_utterance()

    def _new_stream(self) -> None:
        self.endpointer = _endpointer()
        self.vad = _vad()  # the endpointer's own kind (it adapts to the noise): which frames are speech
        self.recent: deque[bytes] = deque(maxlen=math.ceil(ENDPOINTER_WINDOW / self.endpointer.frame_length) + 2)
        self.frames_heard = 0
        self.buffer = self.decoded = self.held = b""

    def _decode(self, speech: bytes, grammar: bool = True, spotter: bool = True) -> None:
        if spotter and self.second is not None:  # each frame of the utterance once, for a second look
            if len(self.utterance) + len(speech) > SECOND_LOOK_LONGEST * 2 * self.sample_rate:
                self.utterance, self.utterance_whole = bytearray(), False
            elif self.utterance_whole:
                self.utterance += speech
        if speech:  # pocketsphinx 5.1 raises IndexError on an empty buffer, as end_stream can return
            if grammar:
                self.decoder.process_raw(speech, False, False)
            if spotter and self.spotter is not None:
                self.spotter.process_raw(speech, False, False)


def _holds(said: str, phrase: str) -> bool:
    """Do the words ``said`` hold ``phrase``, word for word ("stop it hurts" holds "it hurts")?"""
    return bool(phrase) and f" {phrase} " in f" {said} "


@contextlib.contextmanager
def _written(suffix: str, lines: Iterable[str]) -> Iterator[Path]:
    """A temporary file holding ``lines``, for pocketsphinx to read while the block runs; then removed."""
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False) as out:
        out.writelines(lines)
    try:
        yield Path(out.name)
    finally:
        Path(out.name).unlink(missing_ok=True)


def _pronunciations(full: str, words: set[str]) -> Iterator[str]:
    """The lines of the dictionary ``full`` for ``words`` (and their variants). Each decoder holds its
    dictionary in memory: all of CMUdict costs about 27 MB a decoder."""
    with open(full, encoding="utf-8") as f:
        yield from (line for line in f if line.split(" ", 1)[0].split("(", 1)[0] in words)


def phones_of(words: Iterable[str], lookup: Callable[[str], str | None]) -> list[str]:
    """The phones of ``words`` in turn, from their pronunciations (none for a word not in the dictionary)."""
    return [p for w in words for p in (lookup(w) or "").split()]


def syllables(phrase: str, lookup: Callable[[str], str | None]) -> int:
    """How many syllables ``phrase`` has, from its words' pronunciations (vowel phones)."""
    return sum(p in VOWELS for p in phones_of(phrase.split(), lookup))


def _spotter(config, phrases: Iterable[str], lookup: Callable[[str], str | None]):
    """A second decoder spotting ``phrases`` (those of SPOT_SYLLABLES or more), or None if there are none."""
    from pocketsphinx import Decoder

    chosen = sorted({p for p in phrases if all(lookup(w) for w in p.split())
                     and (syllables(p, lookup) >= SPOT_SYLLABLES or p in SPOT_SHORT)})
    if not chosen:
        return None
    spotter = Decoder(config)
    with _written(".kws", (f"{p} /{SPOT_THRESHOLD:g}/\n" for p in chosen)) as keyphrases:
        error = spotter.add_kws("spot", str(keyphrases))  # pocketsphinx 5.1 returns its error, not raising it
    if isinstance(error, Exception):
        raise RecognizerError(f"pocketsphinx could not spot keyphrases ({error})")
    spotter.activate_search("spot")
    return spotter


def _config(settings: SphinxSettings, beam: float | None = None, dictionary: Path | None = None):
    """pocketsphinx's set-up for a grammar search with ``settings``: no language model, no lattice pass. With
    ``beam``, the beams are that wide (the phone and word beams as much wider as the main one): the second look's.
    """
    from pocketsphinx import Config

    config = Config(samprate=SphinxRecognizer.sample_rate, loglevel="FATAL")
    if dictionary is not None:
        config["dict"] = str(dictionary)
    config["lm"] = None
    # The lattice rescoring pass often replaced a right partial ("it hurts") with a truncated final
    # ("it"): without it, 71 rather than 56 of 90 synthesised commands were understood, and no false stops.
    config["bestpath"] = False
    config["silprob"] = settings.silprob
    beam = settings.beam if beam is None else beam
    wider = beam / settings.beam
    config["beam"], config["wbeam"], config["pbeam"] = beam, settings.wbeam * wider, settings.pbeam * wider
    return config


def _endpointer():
    from pocketsphinx import Endpointer

    return Endpointer(window=ENDPOINTER_WINDOW, ratio=ENDPOINTER_RATIO)


def _vad():
    from pocketsphinx import Vad

    return Vad(mode=Vad.LOOSE)  # as the Endpointer's own, with the same frame length


class VoskRecognizer:
    """Vosk (Kaldi) restricted to a grammar of our phrases plus "[unk]", at the source's own rate."""

    name = "vosk"

    def __init__(self, model_path: str | Path, phrases: Iterable[str], sample_rate: int, verbose: bool = False,
                 guide: Iterable[str] = ()):
        try:
            import vosk
        except (ImportError, OSError) as e:  # on arm64 the wheel needs libatomic.so.1 from the system
            raise RecognizerError(f"the vosk library cannot load ({e}); on Debian or Raspberry Pi OS: "
                                  "sudo apt install libatomic1") from None

        vosk.SetLogLevel(0 if verbose else -3)  # -1 does not silence the C library
        check_model_dir(Path(model_path))
        try:
            self.model = vosk.Model(str(model_path))  # always by path: Model(lang=...) goes to the network
        except Exception as e:  # vosk raises a bare Exception('Failed to create a model')
            raise RecognizerError(f"the Vosk model at {model_path} could not be loaded ({e}); it may be partial "
                                  "or corrupt. Fetch it again with: voiceguide model download") from None
        self.sample_rate = sample_rate
        def known(word: str) -> bool:
            return self.model.vosk_model_find_word(word) >= 0

        self.phrases, self.missing = filter_phrases(phrases, known)
        for word in self.missing:
            log.warning("vosk: the model does not know the word %r; phrases with it are left out", word)
        self.user_phrases = set(self.phrases)
        self.guide = guide_clauses(guide, known)  # the guide's own words: heard, then dropped
        self.guide_set = set(self.guide)
        self.grammar = vosk_grammar([*self.phrases, *self.guide])
        self.reset()

    def reset(self) -> None:
        import vosk

        self.recognizer = vosk.KaldiRecognizer(self.model, float(self.sample_rate), self.grammar)
        self.last_partial = ""
        self.over_guide: bool | None = None  # set when an utterance's first sound is heard

    def accept(self, pcm: bytes, guide: bool = False) -> list[Result]:
        if self.recognizer.AcceptWaveform(bytes(pcm)):
            return self._final(self.recognizer.Result())
        raw = json.loads(self.recognizer.PartialResult()).get("partial", "")
        if raw and self.over_guide is None:
            self.over_guide = guide
        text, _ = vosk_reading(raw, self.user_phrases, self.guide_set)
        if text and text != self.last_partial:
            self.last_partial = text
            return [Result(text, True, sure=True, over_guide=bool(self.over_guide))]
        return []

    def _final(self, raw: str) -> list[Result]:
        over_guide, self.last_partial, self.over_guide = bool(self.over_guide), "", None
        text, alone = vosk_reading(json.loads(raw).get("text", ""), self.user_phrases, self.guide_set)
        return [Result(text, False, sure=True, over_guide=over_guide, alone=alone)] if text else []

    def flush(self) -> list[Result]:
        return self._final(self.recognizer.FinalResult())


def vosk_grammar(phrases: Iterable[str]) -> str:
    """The JSON grammar Vosk takes: our phrases, always with "[unk]" so silence does not turn into words."""
    return json.dumps([*sorted(set(phrases)), "[unk]"])


def vosk_reading(heard: str, phrases: set[str], clauses: set[str]) -> tuple[str, bool]:
    """The user's phrase in Vosk's text (its "[unk]" garbage words dropped; see :func:`said_after_guide`), and
    whether it is alone: "[unk]" took none of the utterance."""
    words = heard.split()
    return said_after_guide(" ".join(w for w in words if w != "[unk]"), phrases, clauses), "[unk]" not in words


def filter_phrases(phrases: Iterable[str], known) -> tuple[list[str], list[str]]:
    """Split phrases into those whose every word ``known(word)`` accepts, and the unknown words."""
    kept, missing = [], set()
    for phrase in phrases:
        unknown = [w for w in phrase.split() if not known(w)]
        missing.update(unknown)
        if not unknown:
            kept.append(phrase)
    return kept, sorted(missing)


MODEL_PARTS = ("am/final.mdl", "conf/model.conf")


def check_model_dir(path: Path) -> None:
    """Raise RecognizerError, in one sentence with the fix, unless ``path`` looks like a whole Vosk model."""
    fix = "Install one with: voiceguide model download"
    if not path.is_dir():
        raise RecognizerError(f"no Vosk model at {path}. {fix}")
    missing = [p for p in MODEL_PARTS if not (path / p).is_file()]
    if missing or not any((path / "graph").glob("*")):
        raise RecognizerError(f"the Vosk model at {path} is incomplete (missing {', '.join(missing) or 'graph/'}). "
                              f"{fix}")


def heard_events(source: AudioSource, recognizer: Recognizer,
                 utterances: Iterator[int] | None = None) -> Iterator[Heard | TalkedOver]:
    """Run audio through a recogniser: each result stamped with the time of the block that produced it,
    and numbered by utterance (from ``utterances``, so numbering can go on across a reconnected microphone).
    A final result carries how loud the voice was (:class:`VoiceMeter`). A block marked ``talked_over`` (someone
    talked over the guide) is passed on as :class:`TalkedOver`."""
    numbers = utterances or itertools.count(1)
    utterance = next(numbers)
    convert = Resampler(source.sample_rate, recognizer.sample_rate)
    meter = VoiceMeter(recognizer.sample_rate)
    t = 0.0

    def stamped(results: list[Result]) -> Iterator[Heard]:
        nonlocal utterance
        for result in results:
            if result.partial:
                yield result.heard(t, utterance)
            else:
                yield result.heard(t, utterance, meter.utterance_ended())
                utterance = next(numbers)

    for block in source.blocks():
        t = block.t
        if block.talked_over:
            yield TalkedOver(t, utterance)
        pcm = convert(block.pcm)
        meter.hear(pcm, block.guide)
        yield from stamped(recognizer.accept(pcm, block.guide))
    pcm = convert(b"", last=True)
    meter.hear(pcm)
    yield from stamped(recognizer.accept(pcm) + recognizer.flush())
