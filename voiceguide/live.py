"""Live sessions: an input thread (microphone or keyboard) and the speaker thread at the edges, the session
on the main thread in between, talking through one event queue.

Constructors open nothing and start nothing; :meth:`Live.start` does. ``start`` and ``listen`` run
routines the same way (:meth:`Live.run`), with the same settings, and give pain advice from the same
place (:func:`voiceguide.advice.speak_advice`).
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from voiceguide.advice import speak_advice
from voiceguide.audio import AudioError, MicrophoneSource, faint, shield_from_signals
from voiceguide.clock import MonotonicClock
from voiceguide.config import Settings
from voiceguide.echo import RATE as ECHO_RATE
from voiceguide.echo import CancelledMicrophone, EchoCanceller, EchoError, Played
from voiceguide.engines import EngineChoice, build_with_fallback, choose_engine
from voiceguide.events import (
    DeviceBack,
    DeviceLost,
    Ended,
    Heard,
    InputEnded,
    InputEvent,
    InputFailed,
    PainReported,
    Publisher,
    Started,
    Subscriber,
    Understood,
)
from voiceguide.history import HistoryWriter
from voiceguide.intents import IntentParser, worst_advice
from voiceguide.programmes import Programme, builtin_programmes, run_programme, spoken_names_with_programmes
from voiceguide.recognizers import Recognizer, heard_events
from voiceguide.routines import Routine
from voiceguide.session import (
    FAINT_VOICE,
    LISTEN_AGAIN,
    LISTEN_GREETING,
    LISTEN_STOPPED,
    NO_MORE_TODAY,
    Session,
    run_session,
)
from voiceguide.speech import Speaker, say_timed
from voiceguide.typed_input import TerminalLines, fd_lines

NO_MORE_AFTER = ("unwell", "professional", "emergency")  # advice after which listen starts no other routine
RETRY_SECONDS = 3.0
BETWEEN_ROUTINES = "(between routines)"


class KeyboardInput:
    """Typed lines become heard events, one utterance each; the end of input means stop.

    Bytes that are not valid text are replaced, never fatal; if reading fails anyway, the session is told.
    """

    def __init__(self, events: queue.SimpleQueue[InputEvent], clock: MonotonicClock, stream: TextIO):
        self.events, self.clock, self.stream = events, clock, stream
        self.terminal: TerminalLines | None = None
        self.lines: Iterable[str] = stream
        self.thread = threading.Thread(target=self._run, name="keyboard", daemon=True)

    @property
    def typing(self) -> str:
        """The line being typed at a terminal, not yet entered."""
        return self.terminal.typing if self.terminal is not None else ""

    def start(self) -> None:
        """Start reading; at a terminal, with its echo off until :meth:`close` (the panel shows the line)."""
        fd = _fileno(self.stream)
        if fd is not None and TerminalLines.possible(fd):
            self.terminal = TerminalLines(fd)
            self.lines = self.terminal
        elif fd is not None:
            self.lines = fd_lines(fd)
        self.thread.start()

    def close(self) -> None:
        if self.terminal is not None:
            self.terminal.restore()

    def _run(self) -> None:
        try:
            for number, line in enumerate(self.lines, start=1):
                if line.strip():
                    self.events.put(Heard(self.clock.now(), line.strip(), utterance=number, typed=True))
            self.events.put(Heard(self.clock.now(), "stop", utterance=0, typed=True))
            self.events.put(InputEnded(self.clock.now()))
        except Exception as e:
            self.events.put(InputFailed(self.clock.now(), f"typed input failed: {e}"))


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None


class MicrophoneInput:
    """Listens from ``start()`` until ``close()``; if the microphone goes away, says so and retries every
    few seconds. Any other failure is put on the queue as :class:`InputFailed`, so the guide is never deaf
    without knowing it."""

    def __init__(self, events: queue.SimpleQueue[InputEvent], open_source: Callable[[], MicrophoneSource],
                 recognizer: Recognizer, clock: MonotonicClock, played: Played, cancel_echo: bool):
        self.events, self.open_source, self.recognizer, self.clock = events, open_source, recognizer, clock
        self.played, self.cancel_echo = played, cancel_echo
        self.source: MicrophoneSource | None = None
        self.utterances: Iterator[int] = itertools.count(1)
        self.closing = False
        self.thread = threading.Thread(target=self._run, name="microphone", daemon=True)

    def start(self, first: MicrophoneSource) -> None:
        self.source = first
        self.thread.start()

    def _run(self) -> None:
        shield_from_signals()
        try:
            self._listen()
        except Exception as e:
            self.events.put(InputFailed(self.clock.now(), f"the recogniser failed: {e}"))

    def _listen(self) -> None:
        while not self.closing:
            try:
                if self.source is None:
                    self.source = self.open_source()
                    self.events.put(DeviceBack(self.clock.now()))
                heard_here = CancelledMicrophone(self.source, self.played, self.cancel_echo)
                for heard in heard_events(heard_here, self.recognizer, self.utterances):
                    if isinstance(heard, Heard):
                        heard = heard_here.judge(heard)
                    self.events.put(heard)
                return
            except AudioError:
                if self.closing:
                    return
                if self.source is not None:
                    self.events.put(DeviceLost(self.clock.now()))
                self.source = None
                time.sleep(RETRY_SECONDS)

    def close(self) -> None:
        """Stop listening and release the device."""
        self.closing = True
        if self.source is not None:
            self.source.close()
        if self.thread.is_alive():
            self.thread.join(timeout=5)


@dataclass(frozen=True)
class LiveOptions:
    """How a live run is wired, beyond the user's settings."""

    history: Path | None = None  # where session facts are appended; None keeps no history
    record: Path | None = None  # save what the microphone hears here (only when asked)
    verbose: bool = False


class Live:
    """Everything a live session needs: settings, the event queue fed by the input thread, the clock, the
    speaker, and the subscribers (display, history) that every session's events go to."""

    def __init__(self, library: dict[str, Routine], settings: Settings, speaker: Speaker, show: Subscriber,
                 notify: Callable[[str], None], stdin: TextIO, options: LiveOptions = LiveOptions()):
        self.library, self.settings, self.speaker, self.show = library, settings, speaker, show
        self.notify, self.stdin, self.options = notify, stdin, options
        self.clock = MonotonicClock()
        # a SimpleQueue takes no Python-level lock that a signal's Terminated could leave held (see SpeakerThread)
        self.events: queue.SimpleQueue[InputEvent] = queue.SimpleQueue()
        self.programmes = builtin_programmes(library)
        self.parser = IntentParser(spoken_names_with_programmes(library))
        self.microphone: MicrophoneInput | None = None
        self.keyboard: KeyboardInput | None = None
        self.engine = "keyboard"
        self.heard_up_to = 0  # utterances already acted on: what is still queued of them is dropped
        self.worst_advice: str | None = None
        self.told_faint = False  # FAINT_VOICE has been said: once a run is enough

    def start(self) -> None:
        """Choose the engine, open the microphone (or the keyboard), and start the input and speaker threads."""
        choice = choose_engine(self.settings.get("engine"), self.settings.get("model"))
        if choice.why:
            self.notify(choice.why)
        if choice.engine != "keyboard":
            choice = self._start_microphone(choice)
        if choice.engine == "keyboard":
            self.keyboard = KeyboardInput(self.events, self.clock, self.stdin)
            self.keyboard.start()
        self.engine = choice.engine
        self.speaker.start()

    def _start_microphone(self, choice: EngineChoice) -> EngineChoice:
        device = self.settings.get("device")
        try:
            mic = MicrophoneSource(device)
        except AudioError as e:
            self.notify(f"{e} Using the keyboard instead: type what you would say.")
            return EngineChoice("keyboard")
        choice, recognizer = build_with_fallback(choice, self.library, ECHO_RATE, self.notify, self.options.verbose)
        try:
            EchoCanceller(ECHO_RATE).close()
            cancel_echo = True
        except EchoError as e:
            self.notify(f"{e}; without it, the guide may hear its own voice less well")
            cancel_echo = False
        record = self.options.record

        def opened(source: MicrophoneSource) -> MicrophoneSource:
            return source.recording_to(record) if record else source

        self.microphone = MicrophoneInput(self.events, lambda: opened(MicrophoneSource(device)), recognizer,
                                          self.clock, self.speaker.played_log, cancel_echo)
        self.microphone.start(opened(mic))
        self.notify(f"Listening with {choice.engine} on '{mic.name}'.")
        return choice

    def _publisher(self) -> Publisher:
        publish = Publisher(report=self.notify)
        if self.options.history is not None:
            publish.subscribe(HistoryWriter(self.options.history, self.engine, self.notify))
        publish.subscribe(self.show)
        return publish

    def run_programme(self, programme: Programme) -> str:
        """A programme's routines one after another; a pain stop (or any end but completing) ends it."""
        return run_programme(programme, self.library, lambda routine: self.run(routine, programme))

    def run(self, routine: Routine, programme: Programme | None = None) -> str:
        """One guided session, with the sets and hold the programme (if any), else the settings, choose."""
        def choice(key: str) -> int | None:
            chosen = programme.choice(routine, key) if programme else None
            return chosen if chosen is not None else self.settings.choice(routine, key)

        session = Session(routine, self.clock, publish=self._publisher(), speaker=self.speaker, parser=self.parser,
                          sets=choice("sets"), hold=choice("hold"), heard_before=self.heard_up_to,
                          programme=programme.id if programme else None, told_faint=self.told_faint)
        try:
            reason = run_session(session, self.clock, self.events)
        except BaseException:
            self._last_words(session)
            raise
        finally:
            self.heard_up_to = max(self.heard_up_to, session.last_utterance)
            self.told_faint = session.told_faint
        self._note_advice(session)
        self.wait_until_quiet()
        return reason

    def _last_words(self, session: Session) -> None:
        """Interrupted (a signal): act on any pain already heard but not yet handled, then record the end."""
        while not session.ended:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            if isinstance(event, Heard) and self.parser.parse(event.text).intent == "pain":
                session.handle(event)
        if not session.ended:
            session.interrupt()
        self._note_advice(session)

    def _note_advice(self, session: Session) -> None:
        self.worst_advice = worst_advice(self.worst_advice, session.advice_level)

    def listen(self) -> None:
        """Wait for "start <routine>", run it, and wait again, until the input ends."""
        self._say(LISTEN_GREETING)
        while True:
            event = self.events.get()
            if isinstance(event, InputEnded | InputFailed):
                return
            if not isinstance(event, Heard) or (event.utterance and event.utterance <= self.heard_up_to):
                continue
            intent = self.parser.parse(event.text)
            if event.partial and intent.intent != "pain":
                continue
            self.heard_up_to = max(self.heard_up_to, event.utterance)
            self.show(Understood(self.clock.now(), event.text, intent.intent, level=event.level))
            if faint(event.level) and not self.told_faint and intent.intent not in ("pain", "stop"):  # those alone
                self.told_faint = True
                self._say(FAINT_VOICE)
            if intent.intent == "pain":
                self._pain_between_routines(event.text, intent.advice or "stop")
            elif intent.intent == "stop":
                self.speaker.interrupt()
                self._say(LISTEN_STOPPED)
            elif intent.intent == "start" and intent.routine and self.worst_advice in NO_MORE_AFTER:
                self._say(NO_MORE_TODAY)
            elif intent.intent == "start" and intent.routine:
                if intent.routine in self.programmes:
                    self.run_programme(self.programmes[intent.routine])
                else:
                    self.run(self.library[intent.routine])
                self._say(NO_MORE_TODAY if self.worst_advice in NO_MORE_AFTER else LISTEN_AGAIN)
            elif intent.intent in ("start", "help"):
                routines = ", ".join([r.title for r in self.library.values()]
                                     + [p.title for p in self.programmes.values()])
                self._say(f"Say start, and one of: {routines}.")

    def _pain_between_routines(self, words: str, level: str) -> None:
        """Pain with no routine running: the same advice, first; then shown and kept in the history."""
        said = speak_advice(self.speaker, level, self.clock.now())
        self.worst_advice = worst_advice(self.worst_advice, level)
        now = self.clock.now()
        publish = self._publisher()
        publish(Started(now, BETWEEN_ROUTINES, "", 0))
        publish(PainReported(now, words, level, "listening"))
        for line in said:
            publish(line)
        publish(Ended(self.speaker.finishes_at(now), "pain"))

    def typing(self) -> str:
        """What is being typed at the terminal, not yet entered."""
        return self.keyboard.typing if self.keyboard is not None else ""

    def wait_until_quiet(self) -> None:
        self.speaker.wait_until_done()

    def close(self) -> None:
        """Release the microphone (or give the terminal back its echo) and the speaker."""
        if self.microphone is not None:
            self.microphone.close()
        if self.keyboard is not None:
            self.keyboard.close()
        self.speaker.close()

    def _say(self, text: str) -> None:
        self.show(say_timed(self.speaker, text, self.clock.now()))

