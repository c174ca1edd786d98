"""The ``voiceguide`` command line."""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import io
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from voiceguide import __version__
from voiceguide.engines import ENGINES, SPEECH_ENGINES, listening_for
from voiceguide.errors import UserError, VoiceguideError
from voiceguide.events import OutputEvent
from voiceguide.intents import IntentParser
from voiceguide.programmes import Programme, builtin_programmes, spoken_names_with_programmes
from voiceguide.recognizers import spoken_words
from voiceguide.routines import Routine, Step, load_library, spoken_names
from voiceguide.simulate import event_json, format_event, parse_script, script_events, simulate, simulate_programme
from voiceguide.virtual_speaker import speech_timing


def _stdin() -> TextIO:
    """Standard input as text in which bytes that are not UTF-8 are replaced, never fatal."""
    if sys.stdin is None:
        return io.StringIO()
    return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")


def _library(args: argparse.Namespace) -> dict[str, Routine]:
    return load_library(args.routine_file)


def _routine(args: argparse.Namespace, library: dict[str, Routine]) -> Routine | Programme:
    """The routine, or built-in programme, named on the command line."""
    rid = args.routine
    if rid is None:
        if len(args.routine_file or []) != 1:
            raise UserError("name a routine (see 'voiceguide list')")
        return next(r for r in library.values() if r.path == args.routine_file[0])
    programmes = builtin_programmes(library)
    if rid in programmes:
        return programmes[rid]
    if rid not in library:
        known = [*library, *programmes]
        close = difflib.get_close_matches(rid, known, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise UserError(f"unknown routine '{rid}'.{hint} Known routines and programmes: {', '.join(known)}")
    return library[rid]


# ------------------------------------------------------------ list


def _describe_step(step: Step, routine: Routine) -> str:
    if step.kind == "wait":
        return 'waits for you to say "ready"'
    if step.kind == "check_in":
        return "asks how it felt, and waits for your answer"
    if step.seconds == "hold":
        assert routine.hold is not None
        h = routine.hold
        span = f"{h.min}-{h.max} s, default {h.default}" if h.min != h.max else f"{h.default} s"
        timing = f"hold {span} ({_source(h.source)})"
    else:
        timing = f"{step.seconds} s ({_source(step.source or 'project')})"
    extras = [f"counts down the last {step.countdown}" if step.countdown else "",
              "checks in halfway" if step.check_in else ""]
    return ", ".join([timing, *filter(None, extras)])


def _source(source: str) -> str:
    return "from the seed text" if source == "seed" else "our choice"


def describe_routine(routine: Routine) -> list[str]:
    """Readable lines describing a routine's steps, holds and repetitions."""
    lines = [f"{routine.id}  ·  {routine.title}", f"    {routine.summary}"]
    if routine.equipment:
        lines.append(f"    You need: {', '.join(routine.equipment)}")
    s = routine.sets
    count = f"{s.default} {s.unit}s" if s.default > 1 else "once"
    if s.min != s.max:
        count += f" ({s.min}-{s.max}, {_source(s.source)})"
    elif s.default > 1:
        count += f" ({_source(s.source)})"
    for step in routine.setup:
        lines.append(f"    {step.state:<13} {_describe_step(step, routine)}")
    lines.append(f"    then {count}:")
    for step in routine.steps:
        lines.append(f"      {step.state:<13} {_describe_step(step, routine)}")
    return lines


def cmd_list(args: argparse.Namespace) -> int:
    library = _library(args)
    if args.json:
        for r in library.values():
            print(json.dumps({
                "id": r.id, "title": r.title, "summary": r.summary, "names": r.names,
                "sets": vars(r.sets), "hold": vars(r.hold) if r.hold else None,
                "steps": [{"state": s.state, "kind": s.kind, "seconds": s.seconds, "source": s.source,
                           "countdown": s.countdown, "check_in": s.check_in} for s in (*r.setup, *r.steps)],
            }))
        return 0
    for i, r in enumerate(library.values()):
        if i:
            print()
        print("\n".join(describe_routine(r)))
    for p in builtin_programmes(library).values():
        print(f"\n{p.id}  ·  {p.title} (a programme)\n    {p.summary}\n    in order: {', '.join(p.routines)}")
    return 0


# ------------------------------------------------------------ parse


def cmd_parse(args: argparse.Namespace) -> int:
    library = _library(args)
    parser = IntentParser(spoken_names_with_programmes(library))
    listened_for = set(listening_for(library)[0])

    def parsed(text: str) -> str:
        """The intent as JSON, and whether the speech recognisers listen for these very words."""
        intent = dataclasses.asdict(parser.parse(text))
        return json.dumps({**intent, "listened_for": spoken_words(text) in listened_for})

    if args.text == ["-"]:
        for line in _stdin():
            if line.strip():
                print(parsed(line.strip()), flush=True)
        return 0
    if not args.text:
        raise UserError("give the words to parse, or - to read lines from standard input")
    print(parsed(" ".join(args.text)))
    return 0


# ------------------------------------------------------------ simulate


def cmd_simulate(args: argparse.Namespace) -> int:
    library = _library(args)
    routine = _routine(args, library)
    render: Callable[[OutputEvent], str | None] = event_json if args.json else format_event

    def show(event: OutputEvent) -> None:
        if (line := render(event)) is not None:
            print(line)

    if not args.audio and not args.script:
        raise UserError("give --script FILE or --audio FILE.wav")
    if args.script and args.audio:
        raise UserError("give --script or --audio, not both")
    script = _script(args.script) if args.script else []
    if isinstance(routine, Programme):
        if args.echo is not None or args.reverb or args.sets is not None or args.hold is not None:
            raise UserError("a programme is simulated from a script or a recording only (no --echo, --sets, --hold)")
    elif args.echo is not None or args.reverb:
        return _simulate_in_room(args, library, routine, script, show)
    events = _audio_events(args, library) if args.audio else script_events(script)
    rate = _settings(args, library).get("rate")  # lines take as long as they would live, at the configured rate
    if isinstance(routine, Programme):
        simulate_programme(routine, library, events, publish=show, speech=speech_timing(), rate=rate)
    else:
        simulate(routine, events, publish=show, sets=args.sets, hold=args.hold, speech=speech_timing(), rate=rate)
    return 0


def _script(name: str) -> list:
    if name == "-":
        return parse_script(_stdin(), "<stdin>")
    try:
        text = Path(name).read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise UserError(f"cannot read the script {name}: {e.strerror or e}") from None
    return parse_script(text.splitlines(), name)


def _simulate_in_room(args: argparse.Namespace, library: dict[str, Routine], routine: Routine, script: list,
                      show: Callable[[OutputEvent], None]) -> int:
    """The session in a virtual room: the guide's own voice (and the recording, if any) reach the recogniser."""
    from voiceguide.audio import WavSource
    from voiceguide.engines import build_with_fallback, choose_engine
    from voiceguide.room import RATE, Room, run_in_room

    if args.echo is not None and not -60 <= args.echo <= 20:
        raise UserError(f"--echo is in dB relative to the guide's synthesised voice, from -60 to 20; got {args.echo:g}")
    recording = WavSource(args.audio, sample_rate=RATE) if args.audio else None
    choice = choose_engine(args.engine, args.model)
    if choice.engine == "keyboard":
        raise UserError(f"the room needs a speech engine, and none can run here: {choice.why}")
    _, recognizer = build_with_fallback(choice, library, RATE, _notify)
    run_in_room(routine, Room(args.echo, args.reverb), recognizer, publish=show, typed=script_events(script),
                recording=recording, sets=args.sets, hold=args.hold)
    return 0


def _audio_events(args: argparse.Namespace, library: dict[str, Routine]) -> list:
    from voiceguide.audio import WavSource
    from voiceguide.engines import build_with_fallback, choose_engine
    from voiceguide.recognizers import heard_events

    source = WavSource(args.audio)
    choice = choose_engine(args.engine, args.model)
    if choice.why:
        _notify(choice.why)
    if choice.engine == "keyboard":
        raise UserError(f"--audio needs a speech engine, and none can run here: {choice.why}")
    _, recognizer = build_with_fallback(choice, library, source.sample_rate, _notify)
    return list(heard_events(source, recognizer))


# ------------------------------------------------------------ bench


def cmd_bench(args: argparse.Namespace) -> int:
    if args.language:
        return _bench_language(args)
    from voiceguide.bench import run

    run(args)
    return 0


def _bench_language(args: argparse.Namespace) -> int:
    from voiceguide.bench.language import PHRASE_FILES, measure, parse_microseconds, print_language, read_phrasings

    files = [Path(f) for f in args.phrases] if args.phrases else sorted(PHRASE_FILES.glob("*.tsv"))
    if not files:
        raise UserError(f"no phrase files in {PHRASE_FILES}; give --phrases FILE")
    parser = IntentParser(spoken_names(load_library()))
    phrasings = {f.stem: read_phrasings(f) for f in files}
    figures = [measure(name, lines, parser) for name, lines in phrasings.items()]
    print_language(figures)
    texts = [p.text for lines in phrasings.values() for p in lines]
    print(f"parse time: {parse_microseconds(parser, texts):.0f} µs per utterance (mean, one core)")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "language.json").write_text(json.dumps([f.to_json() for f in figures], indent=2) + "\n")
    except OSError as e:
        raise UserError(f"cannot write {out / 'language.json'}: {e.strerror or e}") from None
    print(f"wrote {out / 'language.json'}")
    return 0


# ------------------------------------------------------------ live


def _settings(args: argparse.Namespace, library: dict[str, Routine]):
    from voiceguide.config import CHECKS, load_settings

    return load_settings(library, {key: getattr(args, key, None) for key in CHECKS})


# How `start` ends, as its exit status, so that a script or a service can tell (2 is a mistake in what was asked,
# 128 + N a signal).
EXIT_CODES = {"completed": 0, "stopped": 3, "script_ended": 3, "pain": 4, "no_answer": 5, "input_failed": 5}


def _notify(message: str) -> None:
    print(f"voiceguide: {message}", file=sys.stderr, flush=True)


def _live(args: argparse.Namespace, library: dict[str, Routine], settings):
    import logging

    from voiceguide.display import Display
    from voiceguide.history import history_path
    from voiceguide.live import Live, LiveOptions
    from voiceguide.speech import SpeakerThread

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="voiceguide: %(message)s")
    logging.getLogger("transitions").setLevel(logging.WARNING)  # its own bookkeeping is not for the user
    speaker = SpeakerThread(voice=settings.get("voice"), rate=settings.get("rate"), volume=settings.get("volume"),
                            notify=_notify)
    display = Display(quiet=args.quiet)
    typed = _stdin()
    options = LiveOptions(history=history_path(), record=Path(args.record) if args.record else None,
                          verbose=args.verbose)
    live = Live(library, settings, speaker, display, _notify, typed, options)
    return live, display


def _run_live(live, display, work: Callable[[], str | None]) -> str | None:
    """Start the live threads, do ``work``, and always release the devices and the display."""
    try:
        live.start()
        display.engine, display.typing = live.engine, live.typing
        return work()
    finally:
        display.close()
        live.close()


def cmd_start(args: argparse.Namespace) -> int:
    library = _library(args)
    routine = _routine(args, library)
    if isinstance(routine, Programme):
        if args.sets is not None or args.hold is not None:
            raise UserError("--sets and --hold are for one routine; a programme sets its own")
        live, display = _live(args, library, _settings(args, library))
        programme = routine
        return EXIT_CODES.get(_run_live(live, display, lambda: live.run_programme(programme)), 1)
    settings = _settings(args, library).with_choices(routine, sets=args.sets, hold=args.hold)
    routine.plan(settings.choice(routine, "sets"), settings.choice(routine, "hold"))  # refuse bad choices first
    live, display = _live(args, library, settings)
    reason = _run_live(live, display, lambda: live.run(routine))
    return EXIT_CODES.get(reason, 1)


def cmd_listen(args: argparse.Namespace) -> int:
    library = _library(args)
    live, display = _live(args, library, _settings(args, library))
    _run_live(live, display, live.listen)
    return 0


def _device(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _add_live_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=ENGINES,
                   help="speech recogniser (default: vosk if a model is found, else sphinx)")
    p.add_argument("--device", type=_device, metavar="N", help="input device number or name (see: voiceguide devices)")
    p.add_argument("--model", metavar="PATH", help="the Vosk model folder")
    p.add_argument("--voice", help="speech-out voice id or name")
    p.add_argument("--rate", type=int, help="speech-out rate, words per minute (80-400)")
    p.add_argument("--volume", type=float, help="speech-out volume, 0.0 to 1.0")
    p.add_argument("--record", metavar="DIR", help="also save what the microphone hears, as WAV files in DIR "
                   "(never done otherwise)")
    p.add_argument("--quiet", action="store_true", help="print nothing but how the session ended")
    p.add_argument("--verbose", action="store_true", help="log what is ignored, and the recogniser's own messages")


# ------------------------------------------------------------ models


def cmd_model(args: argparse.Namespace) -> int:
    from voiceguide import models

    if args.action == "path":
        print("Where the guide looks for a Vosk model, in order (--model, $VOICEGUIDE_MODEL, ./models, your "
              "data folder); the first complete model is used:")
        chosen = Path(args.model) if args.model else models.find_model()
        for n, folder in enumerate(models.search_path(args.model), start=1):
            found = [f"{p}  [used]" if p == chosen else str(p) for p in models.installed_models(folder)]
            print(f"{n}. {folder}: {', '.join(found) if found else 'no model'}")
        return 0
    if args.action == "list":
        for name, known in models.KNOWN_MODELS.items():
            print(f"{name}  ({known.size / 1e6:.0f} MB){'  [default]' if name == models.DEFAULT_MODEL else ''}")
        installed = [p for folder in models.search_path(args.model) for p in models.installed_models(folder)]
        print("installed: " + (", ".join(map(str, installed)) if installed else "none"))
        return 0
    dest = Path(args.dir) if args.dir else models.user_models_dir()
    if args.url:
        if not args.sha256:
            raise UserError("--url needs --sha256 HEX, the checksum the file must have")
        models.check_source(args.url, args.sha256)
        name = args.name or Path(args.url).name.removesuffix(".zip")
        known = models.KnownModel(name, args.url, None, args.sha256)
    else:
        name = args.name or models.DEFAULT_MODEL
        if name not in models.KNOWN_MODELS:
            raise UserError(f"unknown model '{name}'; known: {', '.join(models.KNOWN_MODELS)} (or give --url and "
                            "--sha256)")
        known = models.KNOWN_MODELS[name]
    limits = models.Limits(max_unpacked=int(args.max_size * 1e6) if args.max_size else None)
    path = models.download(known.url, known.sha256, dest, known.name, known.size, progress=not args.quiet,
                           limits=limits)
    print(f"installed {path}")
    return 0


# ------------------------------------------------------------ config, history, doctor


def cmd_config(args: argparse.Namespace) -> int:
    from voiceguide.config import config_path, describe

    print("\n".join(describe(_settings(args, _library(args)), config_path())))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    import datetime

    from voiceguide.history import history_path, read_sessions

    path = history_path()
    sessions = read_sessions(path, lambda message: print(f"voiceguide: warning: {message}", file=sys.stderr))
    if args.last is not None:
        sessions = sessions[-args.last:] if args.last > 0 else []
    if args.json:
        for record in sessions:
            print(json.dumps(record.to_json()))
        return 0
    if not sessions:
        print(f"no sessions yet (history is kept in {path})")
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(f"voiceguide history ({path})"), title_justify="left")
    for column in ("started", "routine", "min", "sets", "holds", "pauses", "ended", "pain reports"):
        table.add_column(column)
    for r in sessions:
        started = datetime.datetime.fromtimestamp(r.started).strftime("%Y-%m-%d %H:%M")
        minutes = f"{(r.ended - r.started) / 60:.1f}" if r.ended else "-"
        pain = "; ".join(f"! \"{p['words']}\" ({p['advice']})" for p in r.pain)
        cells = (started, r.routine, minutes, str(r.sets_done), f"{r.holds_done}/{r.holds}", str(r.pauses), r.how,
                 pain)
        table.add_row(*map(Text, cells), style="bold red" if r.pain else None)  # shown literally, never as markup
    Console(width=max(100, Console().width)).print(table)
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    """List the sound devices a session can use, or say why there are none."""
    try:
        import sounddevice as sd

        devices = list(sd.query_devices())
    except OSError as e:  # the PortAudio library itself is missing
        raise UserError(f"no sound devices can be listed: PortAudio is missing ({e}); "
                        "sudo apt install libportaudio2") from None
    except Exception as e:  # PortAudio's own errors, in one line
        raise UserError(f"no sound devices can be listed ({e})") from None
    inputs = [(i, d) for i, d in enumerate(devices) if d["max_input_channels"] > 0]
    outputs = [(i, d) for i, d in enumerate(devices) if d["max_output_channels"] > 0]
    for title, found in (("microphones (use with --device N)", inputs), ("speakers", outputs)):
        print(f"{title}:")
        for i, d in found:
            print(f"  {i:>3}  {d['name']}  ({int(d['default_samplerate'])} Hz)")
        if not found:
            print("  none: no sound card or USB audio device is connected (or PulseAudio is not running)")
    return 0 if inputs else 1


def cmd_doctor(args: argparse.Namespace) -> int:
    from voiceguide.doctor import print_report, run_checks

    def ask(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    checks = run_checks(lambda: _settings(args, _library(args)), voice=ask if args.voice else None)
    if args.json:
        for c in checks:
            print(json.dumps(dataclasses.asdict(c), ensure_ascii=False))
    else:
        print_report(checks)
    return 1 if any(c.status == "fail" for c in checks) else 0


# ------------------------------------------------------------ wiring


def _add_routine_file(p: argparse.ArgumentParser) -> None:
    p.add_argument("--routine-file", action="append", metavar="PATH",
                   help="load a routine from your own TOML file (may be given more than once)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    top = argparse.ArgumentParser(
        prog="voiceguide",
        description="An offline, hands-free voice guide for lower-back and hip self-care routines.",
        epilog="Say 'it hurts' (or anything like it) at any moment and the guide stops and tells you what to do.",
    )
    top.add_argument("--version", action="version", version=f"voiceguide {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("list", help="show the routines with their steps, holds and repetitions")
    p.add_argument("--json", action="store_true", help="one JSON object per routine")
    _add_routine_file(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("parse", help="show how the guide understands some words",
                       description="Print the intent of TEXT as one JSON object; with -, one object per input line. "
                                   "'listened_for' says whether the speech recognisers listen for these very words: "
                                   "if not, they are understood typed, and said aloud may be heard as other words.")
    p.add_argument("text", nargs="*", metavar="TEXT", help="the words, or - to read lines from standard input")
    _add_routine_file(p)
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("simulate", help="rehearse a whole session instantly from a script",
                       description="Run a session (or a programme) on a virtual clock. The script has one "
                                   "utterance per line, '<seconds> <words>', e.g. '12.5 ready'; '#' starts a comment. "
                                   "Each line the guide says takes as long as the speech-out engine's audio for it "
                                   "at the configured rate (estimated where espeak-ng cannot run).")
    p.add_argument("routine", nargs="?", metavar="ROUTINE", help="routine id (see 'voiceguide list')")
    p.add_argument("--script", metavar="FILE", help="the utterances, or - for standard input")
    p.add_argument("--audio", metavar="FILE.wav", help="a recording, heard through the speech recogniser instead")
    p.add_argument("--engine", choices=SPEECH_ENGINES, help="recogniser for --audio or --echo (default: vosk if a "
                   "model is found, else sphinx)")
    p.add_argument("--model", metavar="PATH", help="the Vosk model folder, for --audio")
    p.add_argument("--echo", type=float, metavar="DB",
                   help="a virtual room: the guide's own voice (the real speech-out engine) reaches the microphone "
                        "at DB decibels relative to its synthesised level, and speaking takes its audio time; the "
                        "recogniser hears it (with --script, only it), after echo cancelling")
    p.add_argument("--reverb", action="store_true", help="in the virtual room, add a small room's reverberation to "
                   "the echo and to --audio")
    p.add_argument("--json", action="store_true", help="print JSON lines instead of a transcript")
    p.add_argument("--sets", type=int, metavar="N", help="number of sets, where the routine allows a choice")
    p.add_argument("--hold", type=int, metavar="SECONDS", help="hold time, where the routine allows a choice")
    _add_routine_file(p)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("start", help="a guided session now, by voice",
                       description="Run one routine, listening through the microphone (or the keyboard).",
                       epilog="Exit status: 0 completed, 3 stopped by you, 4 stopped for pain, 5 ended with no "
                              "answer or no input, 2 a mistake in what was asked, 128+N a signal.")
    p.add_argument("routine", nargs="?", metavar="ROUTINE", help="routine id (see 'voiceguide list')")
    p.add_argument("--sets", type=int, metavar="N", help="number of sets, where the routine allows a choice")
    p.add_argument("--hold", type=int, metavar="SECONDS", help="hold time, where the routine allows a choice")
    _add_live_options(p)
    _add_routine_file(p)
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("listen", help="wait for 'start <routine>', run it, and wait again (for a headless Pi)")
    _add_live_options(p)
    _add_routine_file(p)
    p.set_defaults(func=cmd_listen)

    p = sub.add_parser("model", help="download, list and locate Vosk speech models")
    p.add_argument("action", nargs="?", default="list", choices=("download", "list", "path"),
                   help="download a model, list those installed (the default), or show where the guide looks")
    p.add_argument("name", nargs="?", metavar="NAME", help="model name (default: the small English model)")
    p.add_argument("--dir", metavar="DIR", help="where to install (default: your user data folder)")
    p.add_argument("--url", metavar="URL", help="fetch from here instead, e.g. a local mirror")
    p.add_argument("--sha256", metavar="HEX", help="the SHA-256 the file from --url must have")
    p.add_argument("--max-size", type=float, metavar="MB", help="refuse an archive that unpacks to more than this "
                   "(default: 4 times the model's known size, or 2000 MB)")
    p.add_argument("--model", metavar="PATH", help="also look here (for list and path)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_model)

    p = sub.add_parser("config", help="show the effective settings and where each came from")
    p.add_argument("action", nargs="?", default="show", choices=("show",), help="show them (the default)")
    _add_routine_file(p)
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("history", help="past sessions, pain reports marked")
    p.add_argument("--last", type=int, metavar="N", help="only the last N sessions")
    p.add_argument("--json", action="store_true", help="one JSON object per session")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("bench", help="measure recognition, reaction to pain, CPU and memory (table, JSON, plot)",
                       description="Synthesise a speech corpus (flite, espeak-ng, sox), hear it with every "
                                   "available recogniser, and report accuracy, pain recall (also in held-out "
                                   "phrasings), false stops, reaction time, real-time factor, memory and idle CPU, "
                                   "and the guide in a virtual room "
                                   "(its own voice, barge-in). Takes about 10 minutes on 2 cores.")
    p.add_argument("--out", default="bench-results", metavar="DIR",
                   help="where to write bench.json and bench.png (default: bench-results)")
    p.add_argument("--engine", action="append", choices=SPEECH_ENGINES,
                   help="measure only this engine (repeatable; default: every one available)")
    p.add_argument("--model", metavar="PATH", help="the Vosk model folder")
    p.add_argument("--quick", action="store_true", help="a tiny corpus that only checks the bench runs")
    p.add_argument("--silence", type=float, default=30.0, metavar="SECONDS",
                   help="how long to measure CPU while listening to silence (default: 30), and, up to 10 s, "
                        "while the guide talks")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="worker processes for the corpus (default: one per core)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--language", action="store_true",
                   help="measure only how everyday phrasings are understood (typed text, no audio; seconds)")
    p.add_argument("--phrases", action="append", metavar="FILE",
                   help="a phrase file for --language (repeatable; default: tests/phrases/*.tsv)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("devices", help="list microphones and speakers (exit status 1 if there is no microphone)")
    p.set_defaults(func=cmd_devices)

    p = sub.add_parser("doctor", help="check microphone, speech out, recognisers, model and config, with fixes",
                       description="Check what a session needs, and say how to fix what is missing. Listens to the "
                                   "microphone for 3 seconds to measure its level.")
    p.add_argument("--json", action="store_true", help="one JSON object per check: name, status, detail, fix")
    p.add_argument("--voice", action="store_true",
                   help="also ask you to speak for 4 seconds, from where you will lie, and say whether your voice "
                        "reaches the microphone loudly enough (a faint voice is misheard more, pain too)")
    _add_routine_file(p)
    p.set_defaults(func=cmd_doctor)
    return top


class Terminated(BaseException):
    """A signal asked the program to end (SIGINT, SIGTERM or SIGHUP); ``signum`` says which."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


ENDING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _terminate(signum: int, frame: object) -> None:
    """The first ending signal unwinds the program (so the session records how it ended and the devices are
    released); any further one while that happens is ignored, so the cleanup finishes and exits quietly."""
    for each in ENDING_SIGNALS:
        signal.signal(each, signal.SIG_IGN)
    raise Terminated(signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``voiceguide`` command."""
    args = build_parser().parse_args(argv)
    for each in ENDING_SIGNALS:  # Ctrl-C, systemctl stop, a closed terminal: release the devices, keep the record
        signal.signal(each, _terminate)
    try:
        return args.func(args)
    except VoiceguideError as e:
        print(f"voiceguide: {e}", file=sys.stderr)
        return 2
    except Terminated as stop:
        if stop.signum == signal.SIGINT:
            print(file=sys.stderr)
        return 128 + stop.signum
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
