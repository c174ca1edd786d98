"""The bench's figures, as typed values: shares of clips, reaction times, and one engine's whole result.

Each knows its JSON form for ``bench.json``; the table and the plot read the typed values.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from voiceguide.bench.intervals import count_interval, median_interval, share_interval
from voiceguide.bench.plan import NOISES, TALK_LEAD, TALK_LEARN

if TYPE_CHECKING:
    from voiceguide.bench.hearing import Hearing

PAIN_RECALL_GOALS = {"clean": 0.99, "10 dB": 0.95, "babble 15 dB": 0.95, "reverb": 0.95}  # issue 13, by condition
GOALS = {**{f"pain recall, {noise}": goal for noise, goal in PAIN_RECALL_GOALS.items()}, "false stops": 0.01,
         "false stops per hour of a person's speech": 1.0, "median reaction (s)": 0.150, "real-time factor": 0.05,
         "peak RSS (MB)": 150.0}
AT_LEAST = {f"pain recall, {noise}" for noise in PAIN_RECALL_GOALS}


@dataclass(frozen=True)
class Share:
    """``hits`` of ``n`` clips."""

    n: int
    hits: int

    @classmethod
    def of(cls, records: list[Hearing], test: str) -> Share:
        return cls(len(records), sum(bool(getattr(r, test)) for r in records))

    @property
    def rate(self) -> float | None:
        return round(self.hits / self.n, 4) if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """Where the true share plausibly lies (95 %)."""
        return _rounded(share_interval(self.hits, self.n))

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "hits": self.hits, "rate": self.rate, "95 % interval": self.interval}


def per_hour_interval(count: int, hours: float) -> tuple[float, float] | None:
    """Where the true rate per hour behind ``count`` events in ``hours`` plausibly lies (95 %): 18 minutes with
    none at all still allow 12 an hour."""
    if not hours:
        return None
    low, high = count_interval(count)
    return round(low / hours, 1), round(high / hours, 1)


def _rounded(interval: tuple[float, float] | None, digits: int = 4) -> tuple[float, float] | None:
    return None if interval is None else (round(interval[0], digits), round(interval[1], digits))


def family(voice: str) -> str:
    """A voice's family, its synthesiser: "flite:slt" -> "flite"."""
    return voice.split(":")[0]


@dataclass(frozen=True)
class ByNoise:
    """A share over all clips, per noise condition, and per voice family (flite, espeak) in each condition."""

    all: Share
    by_noise: dict[str, Share]
    by_family: dict[str, dict[str, Share]]  # family -> noise condition -> share

    @classmethod
    def of(cls, records: list[Hearing], test: str) -> ByNoise:
        families = sorted({family(r.voice) for r in records})
        return cls(Share.of(records, test), {n: Share.of([r for r in records if r.noise == n], test) for n in NOISES},
                   {f: {n: Share.of([r for r in records if r.noise == n and family(r.voice) == f], test)
                        for n in NOISES} for f in families})

    def to_json(self) -> dict[str, Any]:
        return {**self.all.to_json(), "by noise": {n: s.to_json() for n, s in self.by_noise.items()},
                "by voice family and noise": {f: {n: s.to_json() for n, s in by.items()}
                                              for f, by in self.by_family.items()}}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Reaction:
    """Seconds from the end of the pain word to the stop; stops decided before it ended are counted apart."""

    seconds: list[float]
    early: int

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def p95(self) -> float | None:
        return _percentile(self.seconds, 0.95) if self.seconds else None

    @property
    def median_interval(self) -> tuple[float, float] | None:
        return _rounded(median_interval(self.seconds))

    def to_json(self) -> dict[str, Any]:
        s = self.seconds
        return {"n": len(s), "median": self.median, "median, 95 % interval": self.median_interval,
                "p95": self.p95, "max": max(s) if s else None,
                "min": min(s) if s else None, "all": sorted(s), "stopped before the pain word ended": self.early}


@dataclass(frozen=True)
class TalkFigures:
    """Phrases said over background talk: pain that halted at once, other phrases understood, and halts (and
    stops) for pain heard in the talk alone, per minute of it once the room was learnt (and halts while it was
    learnt, in the talk's first seconds of each clip)."""

    pain: Share
    commands: Share
    halts: int
    stops: int
    minutes: float
    learning_halts: int
    learning_minutes: float

    @classmethod
    def of(cls, records: list[Hearing]) -> TalkFigures:
        return cls(Share.of([r for r in records if r.intent == "pain"], "halted"),
                   Share.of([r for r in records if r.intent != "pain"], "understood"),
                   sum(r.background_halts for r in records), sum(r.background_stops for r in records),
                   len(records) * (TALK_LEAD - TALK_LEARN) / 60, sum(r.learning_halts for r in records),
                   len(records) * TALK_LEARN / 60)

    @property
    def per_minute(self) -> float | None:
        return round(self.halts / self.minutes, 2) if self.minutes else None

    def to_json(self) -> dict[str, Any]:
        return {"pain halted": self.pain.to_json(), "commands understood": self.commands.to_json(),
                "halts in the talk alone": self.halts, "stops in the talk alone": self.stops,
                "minutes of talk alone": round(self.minutes, 2),
                "halts per minute": self.per_minute, "halts while learning the room": self.learning_halts,
                "minutes learning the room": round(self.learning_minutes, 2)}


@dataclass(frozen=True)
class SpeechFigures:
    """A person's speech that holds nothing the guide acts on: its utterances heard as pain (each a halt to ask),
    as sure pain (each a stop), and as a command (acted on; "stop" ends the session), per hour of it."""

    halts: int
    stops: int
    commands: int
    ending: int
    hours: float

    @classmethod
    def of(cls, records: list[Hearing]) -> SpeechFigures:
        return cls(sum(r.utterances_halted for r in records), sum(r.utterances_stopped for r in records),
                   sum(r.utterances_commanding for r in records), sum(r.utterances_ending for r in records),
                   sum(r.audio for r in records) / 3600)

    def per_hour(self, count: int) -> float | None:
        """``count`` (of its utterances) per hour of the speech."""
        return round(count / self.hours, 1) if self.hours else None

    def per_hour_interval(self, count: int) -> tuple[float, float] | None:
        return per_hour_interval(count, self.hours)

    def to_json(self) -> dict[str, Any]:
        return {"minutes": round(60 * self.hours, 2), "halts": self.halts, "stops": self.stops,
                "commands": self.commands, "stop commands": self.ending,
                "halts per hour": self.per_hour(self.halts), "stops per hour": self.per_hour(self.stops),
                "halts per hour, 95 % interval": self.per_hour_interval(self.halts),
                "stops per hour, 95 % interval": self.per_hour_interval(self.stops),
                "commands per hour": self.per_hour(self.commands),
                "stop commands per hour": self.per_hour(self.ending)}


@dataclass(frozen=True)
class HeldOutFigures:
    """Held-out phrasings said clean: pain halted at once (all, and per voice family), other phrasings that halted
    the exercise (and that stopped it), and commands understood."""

    pain: Share
    pain_by_family: dict[str, Share]
    others_halted: Share
    others_stopped: Share
    commands: Share

    @classmethod
    def of(cls, records: list[Hearing]) -> HeldOutFigures:
        pain = [r for r in records if r.intent == "pain"]
        others = [r for r in records if r.intent != "pain"]
        families = sorted({family(r.voice) for r in records})
        return cls(Share.of(pain, "halted"),
                   {f: Share.of([r for r in pain if family(r.voice) == f], "halted") for f in families},
                   Share.of(others, "halted"), Share.of(others, "stopped"), Share.of(others, "understood"))

    def to_json(self) -> dict[str, Any]:
        return {"pain halted": self.pain.to_json(),
                "pain halted, by voice family": {f: s.to_json() for f, s in self.pain_by_family.items()},
                "others halted": self.others_halted.to_json(), "others stopped": self.others_stopped.to_json(),
                "commands understood": self.commands.to_json()}


@dataclass
class EngineFigures:
    """Everything measured for one engine."""

    commands: ByNoise
    pain: ByNoise  # halted at once: stopped for pain, or halted and asked
    pain_stopped: ByNoise  # stopped for pain at once, the recogniser being sure
    advice_as_expected: int
    advice_otherwise: list[tuple[str, str | None]]
    false_stops_phrases: ByNoise
    false_stops_testdata: Share
    false_asks: Share  # non-pain clips that halted the exercise to ask whether in pain
    false_asks_phrases: ByNoise  # of those, the phrases
    false_asks_testdata: Share
    testdata_hours: float
    speech: SpeechFigures
    false_stop_examples: list[str]
    sessions_mid_hold: ByNoise
    faint: ByNoise  # phrases after which the guide would say it can only just hear them
    talk: dict[str, TalkFigures]  # by how far below the words the background talk was
    heldout: HeldOutFigures
    reaction: Reaction
    real_time_factor: float | None
    audio_seconds: float
    peak_rss_mb: float | None = None
    listening_cpu: float | None = None
    listening_how: str = ""
    guiding_cpu: float | None = None  # while the guide talks, its loudspeaker heard by its microphone
    guiding_how: str = ""
    goals: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def false_stops(self) -> Share:
        return Share(self.false_stops_phrases.all.n + self.false_stops_testdata.n,
                     self.false_stops_phrases.all.hits + self.false_stops_testdata.hits)

    def goal_figures(self) -> dict[str, tuple[float | None, tuple[float, float] | None]]:
        """Each goal's figure, and where its true value plausibly lies (95 %) for those measured on a sample."""
        return {**{f"pain recall, {noise}": (self.pain.by_noise[noise].rate, self.pain.by_noise[noise].interval)
                   for noise in PAIN_RECALL_GOALS},
                "false stops": (self.false_stops.rate, self.false_stops.interval),
                "false stops per hour of a person's speech": (self.speech.per_hour(self.speech.stops),
                                                              self.speech.per_hour_interval(self.speech.stops)),
                "median reaction (s)": (self.reaction.median, self.reaction.median_interval),
                "real-time factor": (self.real_time_factor, None), "peak RSS (MB)": (self.peak_rss_mb, None)}

    def check_goals(self) -> dict[str, dict[str, Any]]:
        """Each goal, the figure measured for it, whether it is met, and whether the bench can tell: ``clear`` when
        the whole 95 % interval lies on the same side of the goal as the figure (one draw more or less would not
        change the verdict); None for a figure with no interval (real-time factor, memory)."""
        out = {}
        for goal, (value, interval) in self.goal_figures().items():
            target = GOALS[goal]
            met = None if value is None else _meets(goal, value, target)
            clear = None if met is None or interval is None else all(_meets(goal, end, target) == met
                                                                     for end in interval)
            out[goal] = {"goal": target, "measured": value, "met": met, "95 % interval": interval, "clear": clear}
        self.goals = out
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "command accuracy": self.commands.to_json(),
            "pain recall": {**self.pain.to_json(), "advice as expected": self.advice_as_expected,
                            "advice otherwise": [list(pair) for pair in self.advice_otherwise]},
            "pain stopped at once": self.pain_stopped.to_json(),
            "false asks": {**self.false_asks.to_json(), "phrases": self.false_asks_phrases.to_json()},
            "read speech: hours, false stops, halts to ask": [round(self.testdata_hours, 4),
                                                              self.false_stops_testdata.hits,
                                                              self.false_asks_testdata.hits],
            "a person's speech (Asterisk's prompts)": self.speech.to_json(),
            "false stops": {"phrases": self.false_stops_phrases.to_json(),
                            "testdata": self.false_stops_testdata.to_json(), **self.false_stops.to_json(),
                            "examples": self.false_stop_examples},
            "sessions halted mid-hold": self.sessions_mid_hold.to_json(),
            "phrases heard as a faint voice": self.faint.to_json(),
            "over background talk": {level: t.to_json() for level, t in self.talk.items()},
            "held-out phrasings, spoken": self.heldout.to_json(),
            "reaction (s)": self.reaction.to_json(),
            "real-time factor": self.real_time_factor,
            "audio seconds": self.audio_seconds,
            "peak RSS (MB)": self.peak_rss_mb,
            "listening CPU": self.listening_cpu,
            "listening CPU, how": self.listening_how,
            "guiding CPU": self.guiding_cpu,
            "guiding CPU, how": self.guiding_how,
            "goals": self.goals,
        }


def _meets(goal: str, value: float, target: float) -> bool:
    return value >= target if goal in AT_LEAST else value <= target


def figures(records: list[Hearing]) -> EngineFigures:
    """The figures for one engine's records."""
    phrases = [r for r in records if r.kind == "phrase"]
    commands = [r for r in phrases if r.intent != "pain"]
    pain = [r for r in phrases if r.intent == "pain"]
    testdata = [r for r in records if r.kind == "testdata"]
    talk = [r for r in records if r.kind == "talk"]
    timed = [r.reaction for r in records if r.reaction is not None]
    # A stop decided before the pain word ended was set off by something misheard earlier: not a reaction.
    reactions = [t for t in timed if t >= 0]
    recalled = [r for r in pain if r.halted]
    false_stops = [r for r in commands + testdata if r.stopped]
    audio = sum(r.audio for r in records)
    return EngineFigures(
        commands=ByNoise.of(commands, "understood"),
        pain=ByNoise.of(pain, "halted"),
        pain_stopped=ByNoise.of(pain, "stopped"),
        advice_as_expected=sum(r.advice == r.expected_advice for r in recalled),
        advice_otherwise=sorted({(r.text, r.advice) for r in recalled if r.advice != r.expected_advice})[:10],
        false_stops_phrases=ByNoise.of(commands, "stopped"),
        false_stops_testdata=Share.of(testdata, "stopped"),
        false_asks=Share.of(commands + testdata, "asked"),
        false_asks_phrases=ByNoise.of(commands, "asked"),
        false_asks_testdata=Share.of(testdata, "asked"),
        testdata_hours=sum(r.audio for r in testdata) / 3600,
        speech=SpeechFigures.of([r for r in records if r.kind == "speech"]),
        false_stop_examples=sorted({f"{r.text} -> {' / '.join(r.finals)}" for r in false_stops})[:12],
        sessions_mid_hold=ByNoise.of([r for r in records if r.kind == "session"], "mid_hold"),
        faint=ByNoise.of(phrases, "faint"),
        talk={level: TalkFigures.of([r for r in talk if r.noise == level])
              for level in sorted({r.noise for r in talk})},
        heldout=HeldOutFigures.of([r for r in records if r.kind == "heldout"]),
        reaction=Reaction(reactions, len(timed) - len(reactions)),
        real_time_factor=round(sum(r.cpu for r in records) / audio, 4) if audio else None,
        audio_seconds=round(audio, 1),
    )
