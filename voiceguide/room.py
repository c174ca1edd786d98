"""A virtual room on the virtual clock: the guide's own voice reaches the microphone, as from a loudspeaker.

Speaking takes audio time here, exactly as live (see :mod:`voiceguide.virtual_speaker`). What the microphone
hears, block by block, is the user's recording (if any) plus the guide's voice at ``echo_db`` relative to its
synthesised level, through a room's reverberation if asked; the echo canceller then takes out what it knows
was played, and the recogniser hears the rest. The user's typed words (a script) arrive as text, as from the
keyboard.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from voiceguide.audio import AudioSource, Block
from voiceguide.clock import VirtualClock
from voiceguide.echo import CancelledMicrophone
from voiceguide.events import Heard, InputEnded, Subscriber, TalkedOver
from voiceguide.recognizers import Recognizer
from voiceguide.routines import Routine
from voiceguide.session import Session
from voiceguide.virtual_speaker import RATE, VirtualSpeaker

BLOCK = 1600  # samples: 100 ms, as the microphone delivers them
LONGEST = 4 * 3600.0  # a simulated session never runs past this many seconds


@dataclass(frozen=True)
class Room:
    """How the guide's voice reaches the microphone. ``echo_db`` None: it does not (headphones)."""

    echo_db: float | None = None
    reverb: bool = False
    cancel_echo: bool = True
    rt60: float = 0.5  # the reverberant room: seconds for its echoes to die away by 60 dB
    seed: int = 7  # and the random reflections that make its impulse response (the user's are seed + 4)


def impulse_response(rt60: float = 0.5, seed: int = 7) -> np.ndarray:
    """A small room: the direct sound, then reflections decaying by 60 dB over ``rt60`` seconds."""
    n = int(rt60 * RATE)
    rng = np.random.default_rng(seed)
    tail = rng.standard_normal(n) * np.exp(-6.9 * np.arange(n) / n) * 0.3
    tail[: int(0.005 * RATE)] = 0.0  # the first reflection comes after 5 ms
    tail[0] = 1.0
    return tail / np.sqrt(np.sum(tail ** 2))


class Reverb:
    """Streaming convolution with a room's impulse response (overlap-add by FFT)."""

    def __init__(self, response: np.ndarray):
        self.response = response
        self.size = 1 << int(np.ceil(np.log2(BLOCK + len(response) - 1)))
        self.spectrum = np.fft.rfft(response, self.size)
        self.tail = np.zeros(self.size)

    def __call__(self, block: np.ndarray) -> np.ndarray:
        if not block.any():  # silence: only the room's tail is heard, as the transform would give it
            heard, self.tail = self.tail[:len(block)], np.concatenate([self.tail[len(block):], np.zeros(len(block))])
            return heard
        full = np.fft.irfft(np.fft.rfft(block, self.size) * self.spectrum, self.size) + self.tail
        self.tail = np.concatenate([full[len(block):], np.zeros(len(block))])
        return full[:len(block)]


class RoomMicrophone:
    """What the microphone hears in the room, block by block: the user's recording plus the guide's echo.

    An endless audio source: each block is made when it is asked for, so the guide's voice in it is what the
    session has said up to then."""

    sample_rate = RATE

    def __init__(self, room: Room, speaker: VirtualSpeaker, recording: AudioSource | None):
        self.room, self.speaker = room, speaker
        self.recording = recording.blocks() if recording is not None else None
        self.buffer = b""
        self.gain = 0.0 if room.echo_db is None else 10 ** (room.echo_db / 20)
        self.reverb = Reverb(impulse_response(room.rt60, room.seed)) if room.reverb else None
        self.user_reverb = Reverb(impulse_response(room.rt60, room.seed + 4)) if room.reverb else None
        self.recording_over = recording is None

    def blocks(self) -> Iterator[Block]:
        t = 0.0
        while True:
            yield Block(round(t + BLOCK / RATE, 6), self._mix(t).tobytes())
            t = round(t + BLOCK / RATE, 6)

    def _mix(self, t0: float) -> np.ndarray:
        user = np.zeros(BLOCK)
        while self.recording is not None and len(self.buffer) < 2 * BLOCK:
            block = next(self.recording, None)
            if block is None:
                self.recording = None
                break
            self.buffer += block.pcm
        if self.buffer:
            got = np.frombuffer(self.buffer[: 2 * BLOCK], dtype=np.int16).astype(np.float64)
            self.buffer = self.buffer[2 * BLOCK:]
            user[: len(got)] = got
            if self.user_reverb is not None:
                user = self.user_reverb(user)
        self.recording_over = self.recording is None and not self.buffer
        played = self.speaker.between(t0, BLOCK).astype(np.float64)
        echo = self.gain * (self.reverb(played) if self.reverb is not None else played)
        return np.clip(np.rint(user + echo), -32768, 32767).astype(np.int16)


def run_in_room(routine: Routine, room: Room, recognizer: Recognizer, *, publish: Subscriber,
                typed: list[Heard] = (), recording: AudioSource | None = None, sets: int | None = None,
                hold: int | None = None, respond: Respond | None = None,
                speaker: VirtualSpeaker | None = None, until: float = LONGEST) -> Session:
    """Run a whole session in ``room`` on the virtual clock.

    The user speaks through ``typed`` (text at set times), ``recording`` (audio from time 0, heard with the
    echo), or ``respond`` (asked after each block; returns what a patient person would say then, if anything).
    When all of it is used up and the guide is quiet, the input ends as in ``simulate``; or at ``until``.
    """
    clock = VirtualClock()
    speaker = speaker or VirtualSpeaker(clock)
    speaker.clock = clock
    session = Session(routine, clock, publish=publish, speaker=speaker, sets=sets, hold=hold)
    room_mic = RoomMicrophone(room, speaker, recording)
    mic = CancelledMicrophone(room_mic, speaker, cancel=room.cancel_echo and room.echo_db is not None)
    pending = deque(typed)
    numbers = itertools.count(1_000_000)  # heard utterances, apart from typed ones
    utterance = next(numbers)
    session.begin()
    for block in mic.blocks():
        t = block.t
        while pending and pending[0].t <= t and not session.ended:
            event = pending.popleft()
            clock.t = max(clock.t, event.t)
            session.tick()
            session.handle(event)
        clock.t = max(clock.t, t)
        session.tick()
        if block.talked_over:
            session.handle(TalkedOver(t, utterance))
        for result in recognizer.accept(block.pcm, block.guide):
            session.handle(mic.judge(result.heard(t, utterance)))
            if not result.partial:
                utterance = next(numbers)
        if respond is not None and not session.ended and (words := respond(session, speaker)):
            session.handle(Heard(t, words, utterance=next(numbers)))
        if session.ended or t >= until:
            break
        if not pending and room_mic.recording_over and respond is None and not speaker.busy(t) \
                and session.hold is None and not session.nudges:
            break
    if not session.ended:
        session.handle(InputEnded(clock.t))
    return session


Respond = Callable[[Session, VirtualSpeaker], str | None]


def patient_user(answer: str = "ready", check_in_answer: str = "fine") -> Respond:
    """A person who answers every wait as soon as the guide has finished talking, and says nothing else."""

    def respond(session: Session, speaker: VirtualSpeaker) -> str | None:
        if session.hold is not None or speaker.busy(session.clock.now()) or session.mode != "exercising":
            return None
        kind = session.current.step.kind
        return check_in_answer if kind == "check_in" else answer if kind == "wait" else None

    return respond
