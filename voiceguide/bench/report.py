"""The bench's output: the summary table on the terminal, the JSON report, and the plot."""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceguide.bench.measures import GOALS, PAIN_RECALL_GOALS, ByNoise, EngineFigures, Share, per_hour_interval
from voiceguide.bench.plan import NOISES, TALK_LEARN
from voiceguide.bench.room import RoomFigures


@dataclass
class Report:
    """One bench run: the engines measured, those skipped and why, the corpus, the machine and the time."""

    engines: dict[str, EngineFigures]
    skipped: dict[str, str]
    room: RoomFigures | None
    corpus: dict[str, Any]
    machine: dict[str, Any]
    options: dict[str, Any]
    elapsed: float

    def to_json(self) -> dict[str, Any]:
        return {"options": self.options, "machine": self.machine, "corpus": self.corpus,
                "engines": {name: e.to_json() for name, e in self.engines.items()},
                "room (sphinx)": self.room.to_json() if self.room else None,
                "skipped engines": self.skipped, "elapsed seconds": round(self.elapsed, 1)}


def _pct(share: Share, with_interval: bool = False) -> str:
    """A share as a percentage with its counts (and its 95 % interval: the goals' figures)."""
    if not share.n or share.rate is None:
        return "-"
    interval = share.interval if with_interval else None
    span = f"; 95 %: {100 * interval[0]:.1f}-{100 * interval[1]:.1f}" if interval else ""
    return f"{100 * share.rate:.1f} % ({share.hits}/{share.n}{span})"


def _by_family(figure: ByNoise, noise: str) -> str:
    """A figure in one condition, for each voice family: "espeak 86.5 % (358/414) · flite 98.2 % (542/552)"."""
    return " · ".join(f"{f} {_pct(by[noise])}" for f, by in figure.by_family.items()) or "-"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{1000 * value:.0f} ms"


def table_rows(report: Report) -> list[tuple[str, ...]]:
    """Rows of the summary table: a figure, then its value for each engine, then the goal."""
    rows: list[tuple[str, ...]] = []

    def row(label: str, goal: str, value) -> None:
        rows.append((label, *(value(e) for e in report.engines.values()), goal))

    for noise in NOISES:
        row(f"command accuracy, {noise}", "", lambda e, n=noise: _pct(e.commands.by_noise[n]))
    for noise in NOISES:
        goal = f">= {100 * PAIN_RECALL_GOALS[noise]:.0f} %" if noise in PAIN_RECALL_GOALS else ""
        row(f"pain recall (halted at once), {noise}", goal,
            lambda e, n=noise: _pct(e.pain.by_noise[n], with_interval=True))
    for noise in NOISES:
        row(f"  of which stopped at once (sure), {noise}", "", lambda e, n=noise: _pct(e.pain_stopped.by_noise[n]))
    for noise in NOISES:
        row(f"pain recall by voice family, {noise}", "", lambda e, n=noise: _by_family(e.pain, n))
    for noise in NOISES:
        row(f"false asks on phrases by voice family, {noise}", "",
            lambda e, n=noise: _by_family(e.false_asks_phrases, n))
    for noise in NOISES:
        row(f"heard as a faint voice (the guide says so), {noise}", "", lambda e, n=noise: _pct(e.faint.by_noise[n]))
    row("advice level as expected", "", lambda e: f"{e.advice_as_expected}/{e.pain.all.hits}")
    row("false stops, phrases", "", lambda e: _pct(e.false_stops_phrases.all))
    row("false stops, testdata speech", "", lambda e: _pct(e.false_stops_testdata))
    row("false stops, all", "<= 1 %", lambda e: _pct(e.false_stops, with_interval=True))
    row("false asks (halted to ask), all", "", lambda e: _pct(e.false_asks))
    row("sessions halted mid-hold", "", lambda e: _pct(e.sessions_mid_hold.all))
    row("reaction median", "<= 150 ms", lambda e: _ms(e.reaction.median) + _ms_span(e.reaction.median_interval))
    row("reaction p95", "", lambda e: _ms(e.reaction.p95))
    row("reaction max", "", lambda e: _ms(max(e.reaction.seconds) if e.reaction.seconds else None))
    row("stopped before the pain word ended", "",
        lambda e: f"{e.reaction.early}/{len(e.reaction.seconds) + e.reaction.early}")
    row("real-time factor (one core)", "<= 0.05", lambda e: "-" if e.real_time_factor is None
        else f"{e.real_time_factor:.4f}")
    row("peak RSS of a session", "<= 150 MB", lambda e: "-" if e.peak_rss_mb is None else f"{e.peak_rss_mb:.0f} MB")
    row("CPU listening to silence", "", lambda e: "-" if e.listening_cpu is None
        else f"{100 * e.listening_cpu:.1f} % of a core")
    row("CPU while the guide talks (loudspeaker heard)", "", lambda e: "-" if e.guiding_cpu is None
        else f"{100 * e.guiding_cpu:.1f} % of a core")
    row("false stops per hour of read speech", "<= 1",
        lambda e: _per_hour(e.false_stops_testdata.hits, e.testdata_hours,
                            interval=per_hour_interval(e.false_stops_testdata.hits, e.testdata_hours)))
    row("halts to ask per hour of read speech", "", lambda e: _per_hour(e.false_asks_testdata.hits, e.testdata_hours))
    row("false stops per hour of a person's speech (Asterisk's prompts)", "<= 1",
        lambda e: _per_hour(e.speech.stops, e.speech.hours, digits=1,
                            interval=e.speech.per_hour_interval(e.speech.stops)))
    row("halts to ask per hour of a person's speech", "", lambda e: _per_hour(e.speech.halts, e.speech.hours, digits=1))
    row("commands (of which stop) per hour of a person's speech", "",
        lambda e: _per_hour(e.speech.commands, e.speech.hours, digits=1, of_which=("stop", e.speech.ending)))
    for level in sorted({level for e in report.engines.values() for level in e.talk}):
        row(f"pain recall over background {level}", "", lambda e, k=level: _pct(e.talk[k].pain) if k in e.talk else "-")
        row(f"command accuracy over background {level}", "",
            lambda e, k=level: _pct(e.talk[k].commands) if k in e.talk else "-")
        row(f"halts (stops) per minute of background {level} alone, learnt", "", lambda e, k=level: "-"
            if k not in e.talk else f"{e.talk[k].per_minute} ({e.talk[k].halts} ({e.talk[k].stops}) in "
                                    f"{e.talk[k].minutes:.1f} min)")
        row(f"halts in the first {TALK_LEARN:g} s of background {level}", "", lambda e, k=level: "-"
            if k not in e.talk else f"{e.talk[k].learning_halts} in {e.talk[k].learning_minutes:.1f} min")
    row("held-out phrasings said: pain halted at once", "", lambda e: _pct(e.heldout.pain, with_interval=True))
    for family in sorted({f for e in report.engines.values() for f in e.heldout.pain_by_family}):
        row(f"  said by {family}", "", lambda e, f=family: _pct(e.heldout.pain_by_family[f])
            if f in e.heldout.pain_by_family else "-")
    row("held-out phrasings said: others halted (stopped)", "",
        lambda e: f"{_pct(e.heldout.others_halted, with_interval=True)} ({e.heldout.others_stopped.hits})")
    row("held-out phrasings said: commands understood", "", lambda e: _pct(e.heldout.commands))
    if report.room is not None:
        room = report.room
        rows.append(("runs that stopped, paused or asked by themselves (room)", _pct(room.self_runs),
                     *[""] * (len(report.engines) - 1), "0"))
        rows.append(("barge-in pain caught (halted at once)", _pct(room.barge, with_interval=True),
                     *[""] * (len(report.engines) - 1),
                     ">= 95 %"))
        rows.append(("  of which stopped at once", _pct(room.barge_stopped), *[""] * (len(report.engines) - 1), ""))
        rows.append(("  of which halted for pain heard unclearly, to ask", _pct(room.barge_asked),
                     *[""] * (len(report.engines) - 1), ""))
        rows.append(("  of which halted for talk over the guide, to ask", _pct(room.barge_talk),
                     *[""] * (len(report.engines) - 1), ""))
        rows.append(("  caught, unseen by the tuning", _pct(room.barge_unseen), *[""] * (len(report.engines) - 1),
                     ""))
        for condition, share in room.barge_by_condition.items():
            rows.append((f"  caught, {condition}", _pct(share), *[""] * (len(report.engines) - 1), ""))
    return rows


def _ms_span(interval: tuple[float, float] | None) -> str:
    return "" if interval is None else f" (95 %: {1000 * interval[0]:.0f}-{1000 * interval[1]:.0f})"


def _per_hour(count: int, hours: float, digits: int = 0, of_which: tuple[str, int] | None = None,
              interval: tuple[float, float] | None = None) -> str:
    """``count`` per hour of ``hours``, and the count itself (and ``of_which``: a part of it, named; ``interval``:
    where the true rate per hour plausibly lies)."""
    if not hours:
        return "-"
    part = f", {of_which[0]} {of_which[1]}" if of_which else ""
    span = f"; 95 %: {interval[0]:g}-{interval[1]:g} per hour" if interval else ""
    return f"{round(count / hours, digits):g} ({count} in {60 * hours:.1f} min{span}){part}"


def print_table(report: Report) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"voiceguide bench: {report.corpus['clips']} clips, "
                        f"{report.corpus['voices']} voices, {report.elapsed:.0f} s")
    for header in ("figure", *report.engines, "goal"):
        table.add_column(header, justify="left" if header == "figure" else "right")
    for row in table_rows(report):
        table.add_row(*row)
    Console(width=None if sys.stdout.isatty() else 160).print(table)  # a file or a pipe has no width to keep to
    for name, engine in report.engines.items():
        print(f"{name}: {goals_in_short(engine.goals)}")
    for name, skipped in report.skipped.items():
        print(f"{name}: not measured ({skipped})")


def goals_in_short(goals: dict[str, dict[str, Any]]) -> str:
    """The goals met and missed, each side split by whether the bench can tell (its 95 % interval)."""
    verdicts = {"met": [], "met, though the bench cannot tell": [], "missed": [],
                "missed, though the bench cannot tell": [], "not measured": []}
    for goal, g in goals.items():
        verdict = "not measured" if g["met"] is None else "met" if g["met"] else "missed"
        if g["met"] is not None and g["clear"] is False:
            verdict += ", though the bench cannot tell"
        verdicts[verdict].append(goal)
    return " ".join(f"{verdict} {len(names)}: {'; '.join(names)}." for verdict, names in verdicts.items() if names)


def plot(report: Report, path: Path) -> None:
    """Latency distribution, and accuracy and pain recall by noise level, per engine."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, engine in report.engines.items():
        reactions = [1000 * r for r in engine.reaction.seconds]
        if reactions:
            left.hist(reactions, bins=30, alpha=0.6, label=f"{name} (median {statistics.median(reactions):.0f} ms)")
    left.axvline(1000 * GOALS["median reaction (s)"], color="black", linestyle="--", label="goal: median 150 ms")
    left.set(title="Reaction: end of the pain word to the stop", xlabel="milliseconds", ylabel="pain phrases")
    left.legend()
    width = 0.8 / (2 * max(1, len(report.engines)))
    for i, (name, engine) in enumerate(report.engines.items()):
        for j, (figure, label) in enumerate(((engine.commands, "commands"), (engine.pain, "pain recall"))):
            rates = [100 * (figure.by_noise[n].rate or 0) for n in NOISES]
            right.bar([k + (2 * i + j) * width for k in range(len(NOISES))], rates, width, label=f"{name}: {label}")
    right.set_xticks([k + width * (len(report.engines) - 0.5) for k in range(len(NOISES))], list(NOISES))
    right.set(title="Understood, by noise (white noise, SNR)", ylabel="%", ylim=(0, 105))
    right.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
