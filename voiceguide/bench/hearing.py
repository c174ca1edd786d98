"""Hearing the corpus, in worker processes: each clip through a WAV source, the recogniser and a real session
on the virtual clock, which decides whether it stops (and how fast)."""

from __future__ import annotations

import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from voiceguide.audio import WavSource, faint
from voiceguide.bench.language import Phrasing
from voiceguide.bench.plan import (
    AT_EVERY_SPEED,
    CLIP_HOLD,
    CLIP_ROUTINE,
    LEAD,
    NOISES,
    SESSION_PAIN_AT,
    SESSION_ROUTINE,
    TAIL,
    TALK_LEAD,
    TALK_LEARN,
    TALK_TAIL,
    Condition,
    Phrase,
)
from voiceguide.corpus import (
    RATE,
    add_noise,
    add_reverb,
    babble,
    concat,
    louder,
    one_after_another,
    session_audio,
    silence,
    speech_end,
    synth,
    talker,
    voice_at,
)
from voiceguide.engines import EngineChoice, build_recognizer
from voiceguide.events import Heard, OutputEvent, PainReported, Paused, StateEntered, Understood
from voiceguide.intents import IntentParser
from voiceguide.recognizers import Recognizer, heard_events
from voiceguide.routines import Routine, load_library, spoken_names
from voiceguide.session import PAUSED, STOP_AND_ADVISE
from voiceguide.simulate import simulate


@dataclass
class Hearing:
    """One clip heard by one engine, and what the session made of it."""

    engine: str
    kind: str  # "phrase", "heldout", "session", "talk", "testdata" or "speech"
    text: str
    intent: str
    noise: str
    expected_advice: str | None = None
    voice: str = ""
    speed: str = ""
    finals: list[str] = field(default_factory=list)
    understood: bool = False
    stopped: bool = False  # stopped for pain at once (the recogniser was sure)
    asked: bool = False  # halted at once and asked whether in pain (it was not sure)
    advice: str | None = None
    mid_hold: bool = False
    reaction: float | None = None
    cpu: float = 0.0
    audio: float = 0.0
    background_halts: int = 0  # over background talk: halts for pain heard in the talk alone, once learnt
    background_stops: int = 0  # and of those, stops (the recogniser was sure)
    learning_halts: int = 0  # halts for pain heard in the talk alone while the room was being learnt
    utterances_halted: int = 0  # a person's speech: its utterances heard as pain (each would halt a session)
    utterances_stopped: int = 0  # and of those, heard as sure pain (each would stop it)
    utterances_commanding: int = 0  # its utterances read as a command (stop, pause, next, ...) alone
    utterances_ending: int = 0  # and of those, "stop" (each would end the session)
    faint: bool = False  # an utterance acted on came faintly (audio.faint): the guide would say so

    @property
    def halted(self) -> bool:
        """The exercise halted at once: stopped for pain, or halted to ask."""
        return self.stopped or self.asked


_recognizers: dict[str, Recognizer] = {}
_babble: Path | None = None
_talker: Path | None = None
_parser: IntentParser
_library: dict[str, Routine]


def make_recognizers(engines: dict[str, str | None], library: dict[str, Routine]) -> dict[str, Recognizer]:
    """One recogniser per engine (name: Vosk model path or None), as a live session would make it."""
    return {name: build_recognizer(EngineChoice(name, Path(model) if model else None), library, RATE)
            for name, model in engines.items()}


def heard_in(clip: Path, condition: Condition, out: Path, speech: Path) -> Path:
    """``clip`` as heard under ``condition``."""
    if condition.kind is None:
        heard = clip
    elif condition.kind == "reverb":
        heard = add_reverb(clip, out)
    else:
        assert condition.snr is not None
        heard = add_noise(clip, condition.snr, out, speech=speech, kind=condition.kind, babble=_babble)
    return louder(heard, condition.level, out) if condition.level else heard


def start_worker(engines: dict[str, str | None]) -> None:
    global _parser, _library
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the CLI's handler: the pool ends its workers this way
    _library = load_library()
    _parser = IntentParser(spoken_names(_library))
    _recognizers.update(make_recognizers(engines, _library))
    global _babble, _talker
    _babble = babble(Path(tempfile.mkdtemp(prefix="voiceguide-babble-")))
    _talker = talker(Path(tempfile.mkdtemp(prefix="voiceguide-talker-")))


class TimedSource:
    """A WAV source that notes when it handed out its latest block, to time the recogniser's work on it."""

    def __init__(self, path: Path):
        self.source = WavSource(path)
        self.sample_rate, self.duration = self.source.sample_rate, self.source.duration
        self.handed_at = time.perf_counter()

    def blocks(self) -> Iterator:
        for block in self.source.blocks():
            self.handed_at = time.perf_counter()
            yield block


def hear(wav: Path, recognizer: Recognizer) -> tuple[list[tuple[Heard, float]], float, float]:
    """Each result with the seconds spent producing it after its block arrived; CPU seconds; audio seconds."""
    recognizer.reset()  # every clip heard as if first: the figures do not depend on the order of the clips
    source = TimedSource(wav)
    heard = []
    cpu = time.thread_time()
    for event in heard_events(source, recognizer):
        heard.append((event, time.perf_counter() - source.handed_at))
    return heard, time.thread_time() - cpu, source.duration


def _note_finals(record: Hearing, finals: list[Heard]) -> None:
    """Note the final results heard, and whether those a session acts on (pain, or words heard alone: see
    ``Heard.alone``) were read as the phrase's intent (and routine), and as nothing else."""
    record.finals = [h.text for h in finals]
    read = [(_parser.parse(h.text), h.alone) for h in finals]
    parsed = {(i.intent, i.routine) for i, alone in read if i.intent != "unknown" and (alone or i.intent == "pain")}
    record.understood = parsed == {(record.intent, _parser.parse(record.text).routine)}


def judge(record: Hearing, heard: list[tuple[Heard, float]], routine: Routine, offset: float,
          expected_end: float | None, hold: int | None = None) -> Hearing:
    """Fill in what the session made of ``heard``, started ``offset`` seconds before the audio."""
    events = [Heard(0.0, "ready")] if offset else []
    events += [replace(h, t=offset + h.t) for h, _ in heard]
    log: list[OutputEvent] = []
    simulate(routine, events, publish=log.append, hold=hold)
    _note_finals(record, [h for h, _ in heard if not h.partial])
    record.faint = any(isinstance(e, Understood) and e.ignored is None and faint(e.level) for e in log)
    halt = next((e for e in log if isinstance(e, PainReported) or (isinstance(e, Paused) and e.by == "unsure")), None)
    if halt is None:
        return record
    # Stopped at once: pain advice within 2 s of the halt, with no answer asked for (a sure result that came a
    # moment after an unsure one also counts); otherwise the exercise halted to ask.
    record.stopped = any(isinstance(e, PainReported) and e.t <= halt.t + 2.0 for e in log)
    record.asked = not record.stopped
    pains = [(h, delay, intent) for h, delay in heard if (intent := _parser.parse(h.text)).intent == "pain"]
    record.advice = next((e.advice for e in log if isinstance(e, PainReported)), pains[0][2].advice if pains else None)
    # the step it was in: the halt itself enters "paused" (to ask) or "stop_and_advise" at the same moment
    before = [e.state for e in log if isinstance(e, StateEntered) and e.t <= halt.t
              and e.state not in (PAUSED, STOP_AND_ADVISE)]
    record.mid_hold = bool(before) and before[-1] == routine.plan()[1].state
    trigger = pains[0]
    if expected_end is not None:
        record.reaction = round(trigger[0].t + trigger[1] - expected_end, 4)
    return record


def said_in_silence(text: str, voice: str, work: Path) -> tuple[Path, Path]:
    """``text`` said in ``voice`` (as :func:`synth` takes it), and a clip of it with LEAD seconds of silence before
    and TAIL after, both in ``work``."""
    said = synth(text, voice, work / "said.wav")
    return said, concat([silence(LEAD, work / "lead.wav"), said, silence(TAIL, work / "tail.wav")], work / "clip.wav")


def run_phrase(task: tuple[Phrase, str, str, str]) -> list[Hearing]:
    """One phrase in one voice at one speed, under every noise condition, through every engine."""
    phrase, voice, speed, folder = task
    expected = phrase.expected
    work = Path(tempfile.mkdtemp(dir=folder))
    clean, padded = said_in_silence(expected.text, voice_at(voice, speed), work)
    end = LEAD + speech_end(clean)
    out = []
    for noise, condition in NOISES.items():
        if speed != "normal" and noise not in AT_EVERY_SPEED:
            continue
        wav = heard_in(padded, condition, work / f"{noise.replace(' ', '-')}.wav", speech=clean)
        for engine, recognizer in _recognizers.items():
            heard, cpu, audio = hear(wav, recognizer)
            record = Hearing(engine, "phrase", expected.text, expected.intent, noise, expected.advice, voice, speed,
                             cpu=cpu, audio=audio)
            out.append(judge(record, heard, _library[CLIP_ROUTINE], 1.0, end if phrase.timed else None, CLIP_HOLD))
    shutil.rmtree(work)
    return out


def run_heldout(task: tuple[Phrasing, str, str]) -> list[Hearing]:
    """A held-out phrasing said clean in one voice during a hold: pain should halt the exercise, and nothing else."""
    phrasing, voice, folder = task
    work = Path(tempfile.mkdtemp(dir=folder))
    _, clip = said_in_silence(phrasing.text, voice_at(voice, "normal"), work)
    out = []
    for engine, recognizer in _recognizers.items():
        heard, cpu, audio = hear(clip, recognizer)
        record = Hearing(engine, "heldout", phrasing.text, phrasing.intent, "clean", phrasing.advice, voice, "normal",
                         cpu=cpu, audio=audio)
        out.append(judge(record, heard, _library[CLIP_ROUTINE], 1.0, None, CLIP_HOLD))
    shutil.rmtree(work)
    return out


def run_session(task: tuple[str, str, str, str]) -> list[Hearing]:
    """A whole session: "ready" to start the squeeze, then a pain phrase said mid-hold."""
    voice, noise, pain, folder = task
    work = Path(tempfile.mkdtemp(dir=folder))
    wav = session_audio([(0.5, "ready"), (SESSION_PAIN_AT, pain)], voice, work, "session")
    end = SESSION_PAIN_AT + speech_end(synth(pain, voice, work / "pain.wav"))
    wav = heard_in(wav, NOISES[noise], work / "noisy.wav", speech=work / "pain.wav")
    out = []
    for engine, recognizer in _recognizers.items():
        heard, cpu, audio = hear(wav, recognizer)
        record = Hearing(engine, "session", pain, "pain", noise, _parser.parse(pain).advice, voice, "normal",
                         cpu=cpu, audio=audio)
        out.append(judge(record, heard, _library[SESSION_ROUTINE], 0.0, end))
    shutil.rmtree(work)
    return out


def run_talk(task: tuple[Phrase, str, float, int, str]) -> list[Hearing]:
    """A phrase said over one person reading on (a radio, a television), ``snr`` dB quieter than the words: pain
    halts, commands understood, at the words (from their start to 1 s after), and halts for pain heard in the
    talk alone before them (in its first ``TALK_LEARN`` seconds, and after). Each clip's talk starts at a
    different place in the reading (``number``)."""
    phrase, voice, snr, number, folder = task
    expected = phrase.expected
    if _talker is None:
        return []
    work = Path(tempfile.mkdtemp(dir=folder))
    said = synth(expected.text, voice_at(voice, "normal"), work / "said.wav")
    start, end = TALK_LEAD, TALK_LEAD + speech_end(said)
    clip = concat([silence(TALK_LEAD, work / "lead.wav"), said, silence(TALK_TAIL, work / "tail.wav")],
                  work / "clip.wav")
    wav = add_noise(clip, snr, work / "talk.wav", speech=said, kind="babble", babble=_talker,
                    start=number * 7.3 % 20.0)
    out = []
    for engine, recognizer in _recognizers.items():
        heard, cpu, audio = hear(wav, recognizer)
        record = Hearing(engine, "talk", expected.text, expected.intent, f"talk {snr:g} dB", expected.advice,
                         voice, "normal", cpu=cpu, audio=audio)
        pain = [h for h, _ in heard if _parser.parse(h.text).intent == "pain"]
        learnt = [h for h in pain if TALK_LEARN <= h.t < start]
        record.background_halts = len({h.utterance for h in learnt})  # one halt an utterance
        record.background_stops = len({h.utterance for h in learnt if h.sure})
        record.learning_halts = len({h.utterance for h in pain if h.t < TALK_LEARN})
        at_words = [h for h in pain if start <= h.t <= end + 1.0]
        record.stopped = any(h.sure for h in at_words)
        record.asked = bool(at_words) and not record.stopped
        _note_finals(record, [h for h, _ in heard if not h.partial and start <= h.t <= end + 1.0])
        out.append(record)
    shutil.rmtree(work)
    return out


def run_testdata(wav: Path) -> list[Hearing]:
    """A recording of read speech that holds no command: heard during a hold, it must not stop the session."""
    out = []
    for engine, recognizer in _recognizers.items():
        heard, cpu, audio = hear(wav, recognizer)
        record = Hearing(engine, "testdata", wav.stem.removeprefix("testdata-"), "none", "clean", cpu=cpu, audio=audio)
        judged = judge(record, heard, _library[CLIP_ROUTINE], 1.0, None, CLIP_HOLD)
        # After a heard "stop" the session is over, so a later pain word would go unnoticed there;
        # any pain word heard counts, as it would stop a session in any other state.
        pain = [h for h, _ in heard if _parser.parse(h.text).intent == "pain"]
        judged.stopped = judged.stopped or any(h.sure for h in pain)
        judged.asked = not judged.stopped and (judged.asked or bool(pain))
        out.append(judged)
    return out


def run_speech(task: tuple[int, list[Path], str]) -> list[Hearing]:
    """A run of a person's speech that holds nothing the guide acts on, heard during a hold: every utterance heard
    as pain would halt a session (and, heard as sure pain, stop it), and every one whose final reading is a command
    would be acted on, however many there are."""
    number, paths, folder = task
    wav = one_after_another(paths, Path(folder) / f"speech-{number}.wav")
    out = []
    for engine, recognizer in _recognizers.items():
        heard, cpu, audio = hear(wav, recognizer)
        record = Hearing(engine, "speech", f"{paths[0].stem} .. {paths[-1].stem}", "none", "clean", cpu=cpu,
                         audio=audio)
        read = [(h, _parser.parse(h.text).intent) for h, _ in heard]
        pain = [h for h, intent in read if intent == "pain"]
        record.utterances_halted = len({h.utterance for h in pain})
        record.utterances_stopped = len({h.utterance for h in pain if h.sure})
        commands = [(h, intent) for h, intent in read
                    if not h.partial and h.alone and intent not in ("unknown", "pain")]
        record.utterances_commanding = len({h.utterance for h, _ in commands})
        record.utterances_ending = len({h.utterance for h, intent in commands if intent == "stop"})
        _note_finals(record, [h for h, _ in heard if not h.partial])
        out.append(record)
    wav.unlink()
    return out


def hear_job(job: tuple[str, Any]) -> list:
    """Run one job of the bench in a worker: a phrase, a session, a recording, or a run in the room."""
    from voiceguide.bench import room

    kind, task = job
    if kind in ("self", "barge"):
        return [{"self": room.run_self, "barge": room.run_barge}[kind](task)]
    return {"phrase": run_phrase, "heldout": run_heldout, "session": run_session, "talk": run_talk,
            "testdata": run_testdata, "speech": run_speech}[kind](task)


