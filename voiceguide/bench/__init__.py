"""``voiceguide bench``: does it understand, how fast does it stop on pain, and can a small machine keep up.

The corpus is made on the fly (flite, espeak-ng, sox; no audio is committed): every phrase the
guide listens for, in several voices, speaking rates and noise levels, plus whole sessions with pain
said mid-hold, plus Debian's pocketsphinx-testdata read speech and Asterisk's recorded prompts (a person's
speech, none of it for the guide) as false-stop checks, plus the held-out phrasings (``tests/phrases/heldout.tsv``,
never tuned on) said clean. Each clip goes
through the same path as the microphone (a WAV source, the recogniser, ``heard_events``) and then a
real session on the virtual clock, which decides whether it stops.

The package follows the run: ``plan`` (what to synthesise), ``hearing`` (clips through the recogniser
and a session, in worker processes), ``process`` (memory and idle CPU of a real session process),
``measures`` (typed figures and goals, with ``intervals``: how sure each is), ``report`` (table, JSON, plot).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from voiceguide.bench.hearing import Hearing, hear_job, make_recognizers, start_worker
from voiceguide.bench.measures import figures
from voiceguide.bench.plan import GUIDING_SECONDS, NOISES, SESSION_PAIN_AT, make_plan
from voiceguide.bench.process import BenchError, guiding_cpu, listening_cpu, peak_rss_mb
from voiceguide.bench.report import Report, plot, print_table
from voiceguide.bench.room import RoomRun, room_figures, room_tasks
from voiceguide.corpus import session_audio, testdata_recordings
from voiceguide.engines import measurable_engines
from voiceguide.intents import IntentParser
from voiceguide.routines import load_library, spoken_names

__all__ = ["BenchError", "run"]


def run(args: argparse.Namespace) -> Report:
    """Build the corpus, measure every engine, print the table and write the JSON and the plot."""
    if args.jobs < 1 or not args.silence > 0:
        raise BenchError("--jobs must be at least 1 and --silence a number of seconds above 0")
    missing = [tool for tool in ("flite", "espeak-ng", "sox", "soxi") if not shutil.which(tool)]
    if missing:
        raise BenchError(f"the bench needs {', '.join(missing)} to make its speech: "
                         "apt install flite espeak-ng sox")
    found, skipped = measurable_engines(args.engine, args.model)
    engines = {name: str(model) if model else None for name, model in found.items()}
    if not engines:
        raise BenchError("no speech recogniser to measure: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    library = load_library()
    make_recognizers(engines, library)  # a recogniser that cannot start says so here, not in every worker
    parser = IntentParser(spoken_names(library))
    plan = make_plan(library, parser, args.quick, args.silence)
    if not plan.speech and not args.quiet:
        print("no person's speech to measure false stops per hour on: apt install asterisk-core-sounds-en-wav "
              "asterisk-core-sounds-en", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="voiceguide-bench-") as scratch:
        folder = Path(scratch)
        recordings = testdata_recordings(folder, plan.testdata)
        jobs: list[tuple[str, Any]] = room_tasks(args.quick) if "sphinx" in engines else []  # long ones first
        jobs += [("speech", (i, run, scratch)) for i, run in enumerate(plan.speech)]
        jobs += [("phrase", (p, v, s, scratch)) for p in plan.phrases for v in plan.voices for s in plan.speeds]
        jobs += [("heldout", (*spoken, scratch)) for spoken in plan.heldout]
        jobs += [("session", (*session, scratch)) for session in plan.sessions]
        jobs += [("talk", (*talk, i, scratch)) for i, talk in enumerate(plan.talk)]
        jobs += [("testdata", wav) for wav in recordings]
        records: list[Hearing] = []
        runs: list[RoomRun] = []
        with Pool(args.jobs, initializer=start_worker, initargs=(engines,)) as pool:
            for done, batch in enumerate(pool.imap_unordered(hear_job, jobs, chunksize=1), start=1):
                runs += [r for r in batch if isinstance(r, RoomRun)]
                records += [r for r in batch if isinstance(r, Hearing)]
                if not args.quiet and (done % 100 == 0 or done == len(jobs)):
                    print(f"  {done}/{len(jobs)} jobs done ({time.monotonic() - started:.0f} s); a job is a room run, "
                          "a session, a recording, or one spoken phrase in every noise condition", file=sys.stderr)
            pool.close()
            pool.join()
        sample = session_audio([(0.5, "ready"), (SESSION_PAIN_AT, "it hurts")], "flite:rms", folder, "rss")
        report_engines = {}
        for name, model in engines.items():
            engine = figures([r for r in records if r.engine == name])
            engine.peak_rss_mb = round(peak_rss_mb(name, model, sample, folder), 1)
            # both at once, each its own process and sound server (a fifth of a core between them, on two)
            with ThreadPoolExecutor(2) as at_once:
                listening = at_once.submit(listening_cpu, name, model, args.silence, folder)
                guiding = at_once.submit(guiding_cpu, name, model, min(GUIDING_SECONDS, args.silence), folder)
                (listening_share, engine.listening_how), (guiding_share, engine.guiding_how) = (
                    listening.result(), guiding.result())
            engine.listening_cpu = None if listening_share is None else round(listening_share, 4)
            engine.guiding_cpu = None if guiding_share is None else round(guiding_share, 4)
            engine.check_goals()
            report_engines[name] = engine
    report = Report(
        engines=report_engines, skipped=skipped, room=room_figures(runs) if runs else None,
        corpus={"clips": sum(r.kind == "phrase" for r in records) // len(engines),
                "phrases": len(plan.phrases), "voices": len(plan.voices), "speeds": list(plan.speeds),
                "conditions": {n: vars(c) for n, c in NOISES.items()},
                "sessions": len(plan.sessions), "testdata recordings": len(recordings),
                "a person's speech (Asterisk's prompts)": sum(map(len, plan.speech)),
                "clips over background talk": sum(r.kind == "talk" for r in records) // len(engines),
                "held-out phrasings said": sum(r.kind == "heldout" for r in records) // len(engines),
                "listening seconds": args.silence},
        machine={"python": platform.python_version(), "platform": platform.platform(), "cpu": _cpu_model(),
                 "cores": os.cpu_count(), "jobs": args.jobs},
        options={k: v for k, v in vars(args).items() if k != "func"},
        elapsed=time.monotonic() - started,
    )
    (out / "bench.json").write_text(json.dumps(report.to_json(), indent=2) + "\n")
    with (out / "clips.jsonl").open("w") as f:  # every clip, to see what was misheard
        f.writelines(json.dumps(asdict(r)) + "\n" for r in records)
    with (out / "room.jsonl").open("w") as f:  # every run in the virtual room
        f.writelines(json.dumps(asdict(r)) + "\n" for r in runs)
    print_table(report)
    written = [out / "bench.json", out / "clips.jsonl", out / "room.jsonl"]
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
