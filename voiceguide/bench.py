"""``voiceguide bench``: does it understand, how fast does it stop on pain, and can a small machine keep up.

The corpus is made on the fly (flite, espeak-ng, sox; no audio is committed): every phrase the
guide listens for, in several voices, speaking rates and noise levels, plus whole sessions with pain
said mid-hold, plus Debian's pocketsphinx-testdata read speech as a false-stop check. Each clip goes
through the same path as the microphone (a WAV source, the recogniser, ``heard_events``) and then a
real session on the virtual clock, which decides whether it stops.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from voiceguide.audio import WavSource
from voiceguide.clock import Heard
from voiceguide.corpus import (
    RATE,
    SPEEDS,
    VOICES,
    add_noise,
    concat,
    session_audio,
    silence,
    speech_end,
    synth,
    testdata_recordings,
    voice_at,
)
from voiceguide.intents import PHRASEBOOK, Intent, IntentParser
from voiceguide.recognizers import Recognizer, heard_events
from voiceguide.routines import Routine, load_library, spoken_names
from voiceguide.session import STOP_AND_ADVISE
from voiceguide.simulate import simulate

NOISES: dict[str, float | None] = {"clean": None, "20 dB": 20.0, "10 dB": 10.0}
LEAD, TAIL = 0.4, 1.0  # silence around each clip, seconds
CLIP_ROUTINE, CLIP_HOLD = "spinal-twist", 30  # clips are heard during this routine's 30 s hold
SESSION_ROUTINE, SESSION_PAIN_AT = "shotgun", 4.0  # "ready" at 0.5 s starts the 5 s squeeze; pain at 4 s
GOALS = {"pain recall, clean": 1.0, "pain recall, 10 dB": 0.95, "false stops": 0.01, "median reaction (s)": 0.150,
         "real-time factor": 0.05, "peak RSS (MB)": 150.0}


class BenchError(Exception):
    """The bench cannot run here, in words a user can act on."""


@dataclass(frozen=True)
class Phrase:
    """A phrase of the corpus: what the guide should make of it, and whether its reaction is timed."""

    expected: Intent
    timed: bool = False  # pain decided by the last word, so reaction is measured from the end of speech


@dataclass
class Plan:
    """What to synthesise and measure."""

    phrases: list[Phrase]
    voices: tuple[str, ...]
    speeds: tuple[str, ...]
    sessions: list[tuple[str, str, str]]  # (voice, noise, pain phrase)
    testdata: int | None  # how many pocketsphinx-testdata recordings (None: all)
    silence_seconds: float


@dataclass
class Hearing:
    """One clip heard by one engine, and what the session made of it."""

    engine: str
    kind: str  # "phrase", "session" or "testdata"
    text: str
    intent: str
    noise: str
    expected_advice: str | None = None
    voice: str = ""
    speed: str = ""
    finals: list[str] = field(default_factory=list)
    understood: bool = False
    stopped: bool = False
    advice: str | None = None
    mid_hold: bool = False
    reaction: float | None = None
    cpu: float = 0.0
    audio: float = 0.0


# ------------------------------------------------------------ the corpus


def corpus_phrases(library: dict[str, Routine], parser: IntentParser) -> list[Phrase]:
    """Every phrase in the phrasebook, and 'start <name>' for each routine, with the intent each should give."""
    phrases = []
    for intent, texts in PHRASEBOOK.items():
        for text in texts:
            advice = parser.parse(text).advice
            timed = intent == "pain" and parser.parse(" ".join(text.split()[:-1])).intent != "pain"
            phrases.append(Phrase(Intent(text, intent, advice=advice), timed))
    phrases += [Phrase(Intent(f"start {r.names[0]}", "start", routine=r.id)) for r in library.values()]
    return phrases


def make_plan(library: dict[str, Routine], parser: IntentParser, quick: bool, silence_seconds: float) -> Plan:
    """The full corpus, or with ``quick`` a tiny one that only checks the bench runs."""
    phrases = corpus_phrases(library, parser)
    pain = [p.expected.text for p in phrases if p.timed]
    if quick:
        firsts = {p.expected.intent: p for p in reversed(phrases) if p.expected.intent != "pain"}
        levels = {p.expected.advice: p for p in reversed(phrases) if p.timed}
        return Plan([*firsts.values(), *levels.values()], ("flite:rms", "espeak:en-us"), ("normal",),
                    [("flite:rms", "clean", "it hurts")], 2, silence_seconds)
    sessions = [(voice, noise, pain[i % len(pain)])
                for i, (voice, noise) in enumerate((v, n) for v in VOICES for n in NOISES)]
    return Plan(phrases, VOICES, tuple(SPEEDS), sessions, None, silence_seconds)


# ------------------------------------------------------------ hearing (in worker processes)

_recognizers: dict[str, Recognizer] = {}
_parser: IntentParser
_library: dict[str, Routine]


def make_recognizers(engines: dict[str, str | None], library: dict[str, Routine]) -> dict[str, Recognizer]:
    """One recogniser per engine (name: Vosk model path or None), as a live session would make it."""
    from voiceguide.live import EngineChoice, make_recognizer

    return {name: make_recognizer(EngineChoice(name, Path(model) if model else None, ""), spoken_names(library), RATE)
            for name, model in engines.items()}


def _start_worker(engines: dict[str, str | None]) -> None:
    global _parser, _library
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the CLI's handler: the pool ends its workers this way
    _library = load_library()
    _parser = IntentParser(spoken_names(_library))
    _recognizers.update(make_recognizers(engines, _library))


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


def judge(record: Hearing, heard: list[tuple[Heard, float]], routine: Routine, offset: float,
          expected_end: float | None, hold: int | None = None) -> Hearing:
    """Fill in what the session made of ``heard``, started ``offset`` seconds before the audio."""
    events = [Heard(0.0, "ready")] if offset else []
    events += [Heard(offset + h.t, h.text, h.partial) for h, _ in heard]
    log: list[dict[str, Any]] = []
    session = simulate(routine, events, on_event=log.append, hold=hold)
    states = [e["state"] for e in log if e["type"] == "state"]
    record.finals = [h.text for h, _ in heard if not h.partial]
    parsed = {(i.intent, i.routine) for i in map(_parser.parse, record.finals) if i.intent != "unknown"}
    record.understood = parsed == {(record.intent, _parser.parse(record.text).routine)}
    record.stopped = session.state == STOP_AND_ADVISE
    record.advice = session.advice_level
    if record.stopped:
        record.mid_hold = states[-2] == routine.plan()[1].state
        trigger = next((h, delay) for h, delay in heard if _parser.parse(h.text).intent == "pain")
        if expected_end is not None:
            record.reaction = round(trigger[0].t + trigger[1] - expected_end, 4)
    return record


def run_phrase(task: tuple[Phrase, str, str, str]) -> list[Hearing]:
    """One phrase in one voice at one speed, under every noise condition, through every engine."""
    phrase, voice, speed, folder = task
    expected = phrase.expected
    work = Path(tempfile.mkdtemp(dir=folder))
    clean = synth(expected.text, voice_at(voice, speed), work / "clean.wav")
    padded = concat([silence(LEAD, work / "lead.wav"), clean, silence(TAIL, work / "tail.wav")], work / "clip.wav")
    end = LEAD + speech_end(clean)
    out = []
    for noise, snr in NOISES.items():
        wav = padded if snr is None else add_noise(padded, snr, work / f"{snr:g}.wav", speech=clean)
        for engine, recognizer in _recognizers.items():
            heard, cpu, audio = hear(wav, recognizer)
            record = Hearing(engine, "phrase", expected.text, expected.intent, noise, expected.advice, voice, speed,
                             cpu=cpu, audio=audio)
            out.append(judge(record, heard, _library[CLIP_ROUTINE], 1.0, end if phrase.timed else None, CLIP_HOLD))
    shutil.rmtree(work)
    return out


def run_session(task: tuple[str, str, str, str]) -> list[Hearing]:
    """A whole session: "ready" to start the squeeze, then a pain phrase said mid-hold."""
    voice, noise, pain, folder = task
    work = Path(tempfile.mkdtemp(dir=folder))
    wav = session_audio([(0.5, "ready"), (SESSION_PAIN_AT, pain)], voice, work, "session")
    end = SESSION_PAIN_AT + speech_end(synth(pain, voice, work / "pain.wav"))
    snr = NOISES[noise]
    if snr is not None:
        wav = add_noise(wav, snr, work / "noisy.wav", speech=work / "pain.wav")
    out = []
    for engine, recognizer in _recognizers.items():
        heard, cpu, audio = hear(wav, recognizer)
        record = Hearing(engine, "session", pain, "pain", noise, _parser.parse(pain).advice, voice, "normal",
                         cpu=cpu, audio=audio)
        out.append(judge(record, heard, _library[SESSION_ROUTINE], 0.0, end))
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
        judged.stopped = judged.stopped or any(_parser.parse(h.text).intent == "pain" for h, _ in heard)
        out.append(judged)
    return out


def _dispatch(job: tuple[str, Any]) -> list[Hearing]:
    kind, task = job
    return {"phrase": run_phrase, "session": run_session, "testdata": run_testdata}[kind](task)


# ------------------------------------------------------------ a session's process: memory and idle CPU


def _child_env(folder: Path) -> dict[str, str]:
    return {**os.environ, "VOICEGUIDE_CONFIG": str(folder / "none.toml"),
            "VOICEGUIDE_HISTORY": str(folder / "history.jsonl")}


def _engine_args(engine: str, model: str | None) -> list[str]:
    return ["--engine", engine, *(["--model", model] if model else [])]


def peak_rss_mb(engine: str, model: str | None, wav: Path, folder: Path) -> float:
    """Peak resident memory of ``voiceguide simulate --audio`` on a whole session recording."""
    proc = subprocess.Popen([sys.executable, "-m", "voiceguide", "simulate", SESSION_ROUTINE, "--audio", str(wav),
                             *_engine_args(engine, model)], env=_child_env(folder),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise BenchError(f"the {engine} session for the memory figure failed: {proc.stderr.read().decode()}")
    return usage.ru_maxrss / 1024  # kilobytes on Linux


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def listening_cpu(engine: str, model: str | None, seconds: float, folder: Path) -> tuple[float | None, str]:
    """Share of one core ``voiceguide listen`` uses over ``seconds`` of real-time silence from a microphone.

    With no sound card, the microphone is a PulseAudio null sink's monitor (a private daemon).
    """
    from voiceguide.virtual_audio import PulseUnavailable, pulse_daemon

    try:
        with pulse_daemon(folder / "pulse") as env:
            proc = subprocess.Popen([sys.executable, "-m", "voiceguide", "listen", *_engine_args(engine, model)],
                                    env={**env, **_child_env(folder)}, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            assert proc.stdout is not None
            try:
                for line in proc.stdout:  # the greeting is queued: the microphone is open and heard
                    if line.startswith("said"):
                        break
                else:
                    return None, f"listen did not start: {proc.stderr.read() if proc.stderr else ''}"
                time.sleep(2.0)  # let the greeting's synthesis finish; what remains is listening
                before = _cpu_seconds(proc.pid)
                time.sleep(seconds)
                used = _cpu_seconds(proc.pid) - before
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
            return used / seconds, "PulseAudio null-sink microphone, digital silence"
    except (PulseUnavailable, FileNotFoundError) as e:
        return None, str(e)


# ------------------------------------------------------------ figures


def _share(records: list[Hearing], test: str) -> dict[str, Any]:
    hits = sum(bool(getattr(r, test)) for r in records)
    return {"n": len(records), "hits": hits, "rate": round(hits / len(records), 4) if records else None}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _share_by_noise(records: list[Hearing], test: str) -> dict[str, Any]:
    return {**_share(records, test), "by noise": {n: _share([r for r in records if r.noise == n], test)
                                                  for n in NOISES}}


def figures(records: list[Hearing]) -> dict[str, Any]:
    """The figures for one engine's records."""
    phrases = [r for r in records if r.kind == "phrase"]
    commands = [r for r in phrases if r.intent != "pain"]
    pain = [r for r in phrases if r.intent == "pain"]
    sessions = [r for r in records if r.kind == "session"]
    testdata = [r for r in records if r.kind == "testdata"]
    timed = [r.reaction for r in records if r.reaction is not None]
    # A stop decided before the pain word ended was set off by something misheard earlier: not a reaction.
    reactions = [t for t in timed if t >= 0]
    recalled = [r for r in pain if r.stopped]
    wrong_advice = sorted({(r.text, r.advice) for r in recalled if r.advice != r.expected_advice})
    false_stops = [r for r in commands + testdata if r.stopped]
    return {
        "command accuracy": _share_by_noise(commands, "understood"),
        "pain recall": {**_share_by_noise(pain, "stopped"),
                        "advice as expected": sum(r.advice == r.expected_advice for r in recalled),
                        "advice otherwise": [list(pair) for pair in wrong_advice[:10]]},
        "false stops": {"phrases": _share(commands, "stopped"), "testdata": _share(testdata, "stopped"),
                        "n": len(commands) + len(testdata), "hits": len(false_stops),
                        "rate": round(len(false_stops) / len(commands + testdata), 4) if commands + testdata else None,
                        "examples": sorted({f"{r.text} -> {' / '.join(r.finals)}" for r in false_stops})[:12]},
        "sessions stopped mid-hold": _share_by_noise(sessions, "mid_hold"),
        "reaction (s)": {"n": len(reactions), "median": statistics.median(reactions) if reactions else None,
                         "p95": _percentile(reactions, 0.95) if reactions else None,
                         "max": max(reactions) if reactions else None, "min": min(reactions) if reactions else None,
                         "all": sorted(reactions), "stopped before the pain word ended": len(timed) - len(reactions)},
        "real-time factor": round(sum(r.cpu for r in records) / sum(r.audio for r in records), 4) if records else None,
        "audio seconds": round(sum(r.audio for r in records), 1),
    }


def goal_check(engine: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each goal, the figure measured for it, and whether it is met."""
    recall = engine["pain recall"]["by noise"]
    measured = {
        "pain recall, clean": recall["clean"]["rate"], "pain recall, 10 dB": recall["10 dB"]["rate"],
        "false stops": engine["false stops"]["rate"], "median reaction (s)": engine["reaction (s)"]["median"],
        "real-time factor": engine["real-time factor"], "peak RSS (MB)": engine.get("peak RSS (MB)"),
    }
    at_least = {"pain recall, clean", "pain recall, 10 dB"}
    out = {}
    for goal, target in GOALS.items():
        value = measured[goal]
        met = None if value is None else (value >= target if goal in at_least else value <= target)
        out[goal] = {"goal": target, "measured": value, "met": met}
    return out


# ------------------------------------------------------------ output


def _pct(share: dict[str, Any]) -> str:
    return "-" if not share["n"] else f"{100 * share['rate']:.1f} % ({share['hits']}/{share['n']})"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{1000 * value:.0f} ms"


def table_rows(report: dict[str, Any]) -> list[tuple[str, ...]]:
    """Rows of the summary table: a figure, then its value for each engine, then the goal."""
    engines = report["engines"]
    rows: list[tuple[str, ...]] = []

    def row(label: str, goal: str, value) -> None:
        rows.append((label, *(value(e) for e in engines.values()), goal))

    for noise in NOISES:
        row(f"command accuracy, {noise}", "", lambda e, n=noise: _pct(e["command accuracy"]["by noise"][n]))
    for noise in NOISES:
        goal = {"clean": "100 %", "10 dB": ">= 95 %"}.get(noise, "")
        row(f"pain recall, {noise}", goal, lambda e, n=noise: _pct(e["pain recall"]["by noise"][n]))
    row("advice level as expected", "", lambda e: f"{e['pain recall']['advice as expected']}/"
                                                  f"{e['pain recall']['hits']}")
    row("false stops, phrases", "", lambda e: _pct(e["false stops"]["phrases"]))
    row("false stops, testdata speech", "", lambda e: _pct(e["false stops"]["testdata"]))
    row("false stops, all", "<= 1 %", lambda e: _pct(e["false stops"]))
    row("sessions stopped mid-hold", "", lambda e: _pct(e["sessions stopped mid-hold"]))
    row("reaction median", "<= 150 ms", lambda e: _ms(e["reaction (s)"]["median"]))
    row("reaction p95", "", lambda e: _ms(e["reaction (s)"]["p95"]))
    row("reaction max", "", lambda e: _ms(e["reaction (s)"]["max"]))
    row("stopped before the pain word ended", "", lambda e: f"{e['reaction (s)']['stopped before the pain word ended']}"
        f"/{e['reaction (s)']['n'] + e['reaction (s)']['stopped before the pain word ended']}")
    row("real-time factor (one core)", "<= 0.05", lambda e: f"{e['real-time factor']:.4f}")
    row("peak RSS of a session", "<= 150 MB", lambda e: f"{e['peak RSS (MB)']:.0f} MB")
    row("CPU listening to silence", "", lambda e: "-" if e["listening CPU"] is None
        else f"{100 * e['listening CPU']:.1f} % of a core")
    return rows


def print_table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"voiceguide bench: {report['corpus']['clips']} clips, "
                        f"{report['corpus']['voices']} voices, {report['elapsed seconds']:.0f} s")
    for header in ("figure", *report["engines"], "goal"):
        table.add_column(header, justify="left" if header == "figure" else "right")
    for row in table_rows(report):
        table.add_row(*row)
    Console().print(table)
    for name, skipped in report["skipped engines"].items():
        print(f"{name}: not measured ({skipped})")


def plot(report: dict[str, Any], path: Path) -> None:
    """Latency distribution, and accuracy and pain recall by noise level, per engine."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, engine in report["engines"].items():
        reactions = [1000 * r for r in engine["reaction (s)"]["all"]]
        if reactions:
            left.hist(reactions, bins=30, alpha=0.6, label=f"{name} (median {statistics.median(reactions):.0f} ms)")
    left.axvline(1000 * GOALS["median reaction (s)"], color="black", linestyle="--", label="goal: median 150 ms")
    left.set(title="Reaction: end of the pain word to the stop", xlabel="milliseconds", ylabel="pain phrases")
    left.legend()
    width = 0.8 / (2 * max(1, len(report["engines"])))
    for i, (name, engine) in enumerate(report["engines"].items()):
        for j, (figure, label) in enumerate((("command accuracy", "commands"), ("pain recall", "pain recall"))):
            rates = [100 * (engine[figure]["by noise"][n]["rate"] or 0) for n in NOISES]
            right.bar([k + (2 * i + j) * width for k in range(len(NOISES))], rates, width, label=f"{name}: {label}")
    right.set_xticks([k + width * (len(report["engines"]) - 0.5) for k in range(len(NOISES))], list(NOISES))
    right.set(title="Understood, by noise (white noise, SNR)", ylabel="%", ylim=(0, 105))
    right.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ------------------------------------------------------------ the run


def available_engines(requested: list[str] | None, model: str | None) -> tuple[dict[str, str | None], dict[str, str]]:
    """Engines to measure (name: model path) and those skipped (name: why)."""
    from voiceguide.models import find_model

    engines: dict[str, str | None] = {}
    skipped: dict[str, str] = {}
    for name in requested or ["vosk", "sphinx"]:
        if name == "vosk":
            found = find_model(model)
            if found:
                engines["vosk"] = str(found)
            else:
                skipped["vosk"] = "no Vosk model found; voiceguide model download, or --model PATH"
        else:
            try:
                import pocketsphinx  # noqa: F401
            except ImportError:
                skipped["sphinx"] = "pocketsphinx is not installed"
            else:
                engines["sphinx"] = None
    return engines, skipped


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build the corpus, measure every engine, print the table and write the JSON and the plot."""
    if args.jobs < 1 or not args.silence > 0:
        raise BenchError("--jobs must be at least 1 and --silence a number of seconds above 0")
    missing = [tool for tool in ("flite", "espeak-ng", "sox", "soxi") if not shutil.which(tool)]
    if missing:
        raise BenchError(f"the bench needs {', '.join(missing)} to make its speech: "
                         "apt install flite espeak-ng sox")
    engines, skipped = available_engines(args.engine, args.model)
    if not engines:
        raise BenchError("no speech recogniser to measure: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    library = load_library()
    make_recognizers(engines, library)  # a recogniser that cannot start says so here, not in every worker
    parser = IntentParser(spoken_names(library))
    plan = make_plan(library, parser, args.quick, args.silence)
    with tempfile.TemporaryDirectory(prefix="voiceguide-bench-") as scratch:
        folder = Path(scratch)
        recordings = testdata_recordings(folder, plan.testdata)
        jobs: list[tuple[str, Any]] = [("phrase", (p, v, s, scratch)) for p in plan.phrases for v in plan.voices
                                       for s in plan.speeds]
        jobs += [("session", (*session, scratch)) for session in plan.sessions]
        jobs += [("testdata", wav) for wav in recordings]
        records: list[Hearing] = []
        with Pool(args.jobs, initializer=_start_worker, initargs=(engines,)) as pool:
            for done, batch in enumerate(pool.imap_unordered(_dispatch, jobs, chunksize=4), start=1):
                records += batch
                if not args.quiet and (done % 100 == 0 or done == len(jobs)):
                    print(f"  {done}/{len(jobs)} clips heard ({time.monotonic() - started:.0f} s)", file=sys.stderr)
            pool.close()
            pool.join()
        sample = session_audio([(0.5, "ready"), (SESSION_PAIN_AT, "it hurts")], "flite:rms", folder, "rss")
        report_engines = {}
        for name, model in engines.items():
            engine = figures([r for r in records if r.engine == name])
            engine["peak RSS (MB)"] = round(peak_rss_mb(name, model, sample, folder), 1)
            cpu, how = listening_cpu(name, model, args.silence, folder)
            engine["listening CPU"] = None if cpu is None else round(cpu, 4)
            engine["listening CPU, how"] = how
            engine["goals"] = goal_check(engine)
            report_engines[name] = engine
    report = {
        "options": {k: v for k, v in vars(args).items() if k != "func"},
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpu": _cpu_model(), "cores": os.cpu_count(), "jobs": args.jobs},
        "corpus": {"clips": len(plan.phrases) * len(plan.voices) * len(plan.speeds) * len(NOISES),
                   "phrases": len(plan.phrases), "voices": len(plan.voices), "speeds": list(plan.speeds),
                   "noise": {n: ("white noise" if s else "none") for n, s in NOISES.items()},
                   "sessions": len(plan.sessions), "testdata recordings": len(recordings),
                   "listening seconds": args.silence},
        "engines": report_engines,
        "skipped engines": skipped,
        "elapsed seconds": round(time.monotonic() - started, 1),
    }
    (out / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    with (out / "clips.jsonl").open("w") as f:  # every clip, to see what was misheard
        f.writelines(json.dumps(asdict(r)) + "\n" for r in records)
    print_table(report)
    written = [out / "bench.json", out / "clips.jsonl"]
    try:
        plot(report, out / "bench.png")
        written.append(out / "bench.png")
    except ImportError:
        print("no plot: matplotlib is not installed (pip install 'voiceguide[bench]')", file=sys.stderr)
    print("wrote " + ", ".join(map(str, written)))
    return report


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "Model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()
