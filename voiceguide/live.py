"""Live sessions: the microphone (or keyboard) on one thread, the speaker on another, the session in between.

Input threads only put events on a queue; the session runs on the main thread with the real clock.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from voiceguide.advice import advice_for
from voiceguide.audio import AudioError, MicrophoneSource, shield_from_signals
from voiceguide.clock import DeviceChange, Heard, InputEnded, InputEvent, MonotonicClock
from voiceguide.history import HistoryWriter
from voiceguide.intents import IntentParser
from voiceguide.models import find_model
from voiceguide.recognizers import (
    Recognizer,
    RecognizerError,
    SphinxRecognizer,
    VoskRecognizer,
    grammar_phrases,
    heard_events,
)
from voiceguide.routines import Routine, spoken_names
from voiceguide.session import Event, Session, Speaker, run_session

ENGINES = ("vosk", "sphinx", "keyboard")
LISTEN_GREETING = "Ready when you are. Say start, and the name of a routine."
LISTEN_AGAIN = "Say start, and the name of a routine, when you want another."
RETRY_SECONDS = 3.0


@dataclass
class EngineChoice:
    engine: str
    model: Path | None
    why: str


def choose_engine(requested: str | None, model: str | None) -> EngineChoice:
    """--engine if given; else vosk when a model is found; else sphinx; else keyboard, saying why."""
    if requested == "vosk" or (requested is None and model):
        found = find_model(model)
        if found is None:
            raise RecognizerError("no Vosk model found. Install one with: voiceguide model download")
        return EngineChoice("vosk", found, "")
    if requested:
        return EngineChoice(requested, None, "")
    found = find_model(None)
    if found:
        return EngineChoice("vosk", found, "")
    try:
        import pocketsphinx  # noqa: F401
    except ImportError:
        return EngineChoice("keyboard", None, "no speech recogniser is installed (pip install pocketsphinx), "
                                              "so type what you would say")
    return EngineChoice("sphinx", None, "no Vosk model found, so the built-in recogniser is used; for better "
                                        "recognition run: voiceguide model download")


def make_recognizer(choice: EngineChoice, names: Mapping[str, Iterable[str]], sample_rate: int,
                    verbose: bool = False) -> Recognizer:
    phrases = grammar_phrases(names)
    if choice.engine == "vosk":
        assert choice.model is not None
        return VoskRecognizer(choice.model, phrases, sample_rate, verbose=verbose)
    return SphinxRecognizer(phrases)


def keyboard_thread(events: queue.Queue[InputEvent], clock: MonotonicClock, stream: TextIO) -> threading.Thread:
    """Typed lines become heard events; end of input means stop."""

    def run() -> None:
        for line in stream:
            if line.strip():
                events.put(Heard(clock.now(), line.strip()))
        events.put(Heard(clock.now(), "stop"))
        events.put(InputEnded(clock.now()))

    thread = threading.Thread(target=run, name="keyboard", daemon=True)
    thread.start()
    return thread


class MicrophoneThread:
    """Listens until closed; if the microphone goes away, says so and retries every few seconds."""

    def __init__(self, events: queue.Queue[InputEvent], open_source: Callable[[], MicrophoneSource],
                 recognizer: Recognizer, clock: MonotonicClock, first: MicrophoneSource):
        self.events, self.open_source, self.recognizer, self.clock = events, open_source, recognizer, clock
        self.source: MicrophoneSource | None = first
        self.closing = False
        self.thread = threading.Thread(target=self._run, name="microphone", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        shield_from_signals()
        while not self.closing:
            try:
                if self.source is None:
                    self.source = self.open_source()
                    self.events.put(DeviceChange(self.clock.now(), lost=False))
                for heard in heard_events(self.source, self.recognizer):
                    self.events.put(heard)
                return
            except AudioError:
                if self.closing:
                    return
                if self.source is not None:
                    self.events.put(DeviceChange(self.clock.now(), lost=True))
                self.source = None
                time.sleep(RETRY_SECONDS)

    def close(self) -> None:
        """Stop listening and release the device."""
        self.closing = True
        if self.source is not None:
            self.source.close()
        self.thread.join(timeout=5)


class Live:
    """Everything a live session needs: the event queue fed by the input thread, the clock, the speaker."""

    def __init__(self, library: dict[str, Routine], engine: str | None, device: int | str | None,
                 model: str | None, speaker: Speaker, print_event: Callable[[Event], None],
                 notify: Callable[[str], None], verbose: bool = False, stdin: TextIO = sys.stdin,
                 history: Path | None = None, record: Path | None = None,
                 watch: Callable[[Session | None], None] = lambda session: None):
        self.library = library
        self.history = history
        self.watch = watch
        self.clock = MonotonicClock()
        self.events: queue.Queue[InputEvent] = queue.Queue()
        self.speaker = speaker
        self.print_event = print_event
        self.parser = IntentParser(spoken_names(library))
        self.microphone: MicrophoneThread | None = None
        choice = choose_engine(engine, model)
        if choice.why:
            notify(choice.why)
        if choice.engine != "keyboard":
            try:
                mic = MicrophoneSource(device)
            except AudioError as e:
                notify(f"{e} Using the keyboard instead: type what you would say.")
                choice = EngineChoice("keyboard", None, "")
            else:
                recognizer = make_recognizer(choice, spoken_names(library), mic.sample_rate, verbose)
                def opened(source: MicrophoneSource) -> MicrophoneSource:
                    return source.recording_to(record) if record else source

                self.microphone = MicrophoneThread(self.events, lambda: opened(MicrophoneSource(device)),
                                                   recognizer, self.clock, opened(mic))
                notify(f"Listening with {choice.engine} on '{mic.name}'.")
        if choice.engine == "keyboard":
            keyboard_thread(self.events, self.clock, stdin)
        self.engine = choice.engine

    def run(self, routine: Routine, sets: int | None = None, hold: int | None = None) -> str:
        """One guided session; returns how it ended."""
        writer = HistoryWriter(self.history, routine.id, self.engine) if self.history else None

        def on_event(event: Event) -> None:
            if writer:  # on disk first, then on screen
                writer.update(session)
            self.print_event(event)

        session = Session(routine, self.clock, speaker=self.speaker, on_event=on_event, parser=self.parser,
                          sets=sets, hold=hold)
        self.watch(session)
        try:
            reason = run_session(session, self.clock, self.events)
        finally:
            if writer and not session.ended:
                writer.interrupted()
            self.watch(None)
        self.speaker.wait_until_done()
        return reason

    def listen(self) -> None:
        """Wait for "start <routine>", run it, and wait again, until the input ends."""
        self._say(LISTEN_GREETING)
        while True:
            event = self.events.get()
            if isinstance(event, InputEnded):
                return
            if not isinstance(event, Heard):
                continue
            intent = self.parser.parse(event.text)
            if event.partial and intent.intent != "pain":
                continue
            self.print_event({"t": event.t, "type": "heard", "text": event.text, "intent": intent.intent})
            if intent.intent == "pain":
                self.speaker.interrupt()
                for line in advice_for(intent.advice or "stop"):
                    self._say(line)
            elif intent.intent == "stop":
                self.speaker.interrupt()
                self._say("Okay. I'm here when you need me.")
            elif intent.intent == "start" and intent.routine:
                self.run(self.library[intent.routine])
                self._say(LISTEN_AGAIN)
            elif intent.intent in ("start", "help"):
                routines = ", ".join(r.title for r in self.library.values())
                self._say(f"Say start, and one of: {routines}.")

    def close(self) -> None:
        """Release the microphone and the speaker."""
        if self.microphone is not None:
            self.microphone.close()
        self.speaker.close()

    def _say(self, text: str) -> None:
        self.speaker.say(text)
        self.print_event({"t": round(self.clock.now(), 3), "type": "say", "text": text})
