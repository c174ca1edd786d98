"""How a live session shows itself: a status panel on a terminal, one plain line per event otherwise.

The display subscribes to the session's events and keeps only what it shows; it never reads the session.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from typing import TextIO

from rich.console import Console, Group
from rich.live import Live as RichLive
from rich.progress_bar import ProgressBar
from rich.table import Table

from voiceguide.events import (
    Ended,
    HoldEnded,
    HoldStarted,
    OutputEvent,
    PainReported,
    Paused,
    Resumed,
    Said,
    Started,
    StateEntered,
    Understood,
)
from voiceguide.session import Hold
from voiceguide.simulate import format_event, heard_detail


def plain_line(event: OutputEvent) -> str | None:
    """One line for the journal (journalctl adds the time); None for events it leaves out."""
    if isinstance(event, StateEntered):
        return f"state {event.state}"
    if isinstance(event, Said):
        return f"said \"{event.text}\""
    if isinstance(event, Understood):
        return f"heard \"{event.text}\" {heard_detail(event)}"
    if isinstance(event, PainReported):
        return f"pain \"{event.words}\" ({event.advice} advice)"
    if isinstance(event, Ended):
        return f"ended {event.reason}"
    return None


# What to say, in short: the recognisers do not listen for slower, louder and the like (the README's "Talking to it").
SAY_ALOUD = "ready · next · pause · resume · repeat · stop · it hurts"
SAY_TYPED = "ready · next · pause · resume · repeat · slower · louder · stop · it hurts"


class Display:
    """Shows events; on a terminal also a live panel: routine, step, hold countdown, last heard, engine."""

    def __init__(self, engine: str = "", quiet: bool = False, stream: TextIO = sys.stdout, tty: bool | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.engine, self.quiet, self.stream, self.clock = engine, quiet, stream, clock
        self.tty = stream.isatty() if tty is None else tty
        self.routine = ""
        self.step = ""
        self.unit, self.sets, self.set_number = "set", 0, 0
        self.hold: Hold | None = None
        self.last_heard = ""
        self.typing: Callable[[], str] | None = None  # the line being typed, where input is typed
        self.t0: float | None = None
        self.console = Console(file=stream, force_terminal=self.tty) if self.tty else None
        self.live: RichLive | None = None

    def __call__(self, event: OutputEvent) -> None:
        """Take one session event: update the panel, and print its line."""
        self._follow(event)
        if self.quiet and not isinstance(event, Ended):
            return
        if self.console is None:
            line = plain_line(event)
            if line is not None:
                print(line, file=self.stream, flush=True)
            return
        self.t0 = event.t if self.t0 is None else self.t0
        line = format_event(dataclasses.replace(event, t=max(0.0, event.t - self.t0)))
        if line is not None:
            self.console.print(line, highlight=False, markup=False)

    def _follow(self, event: OutputEvent) -> None:
        if isinstance(event, Started):
            self.routine = event.title or event.routine
            self.unit, self.sets, self.set_number = event.unit, event.sets, 0
            self._start_panel()
        elif isinstance(event, StateEntered):
            self.step = event.state
            self.set_number = event.set_number or self.set_number
        elif isinstance(event, HoldStarted):
            left = event.seconds if event.left is None else event.left
            self.hold = Hold(event.seconds, marks=[], elapsed=event.seconds - left, since=event.t)
        elif isinstance(event, Paused) and self.hold is not None:
            self.hold.freeze(event.t)
        elif isinstance(event, Resumed) and self.hold is not None:
            self.hold.since = event.t
        elif isinstance(event, HoldEnded | Ended):
            self.hold = None
            if isinstance(event, Ended):
                self.routine = ""
        elif isinstance(event, Understood):
            self.last_heard = f"\"{event.text}\" ({event.intent})"

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def _start_panel(self) -> None:
        if self.console is not None and not self.quiet and self.live is None:
            self.live = RichLive(get_renderable=self._panel, console=self.console, refresh_per_second=4,
                                 transient=True)
            self.live.start()

    def _panel(self) -> Group:
        table = Table.grid(padding=(0, 2))
        if not self.routine:
            table.add_row("listening", "say: start, and the name of a routine")
        else:
            table.add_row("routine", self.routine)
            table.add_row("step", self.step.replace("_", " "))
            if self.sets > 1 and self.set_number:
                table.add_row(self.unit, f"{self.set_number} of {self.sets}")
            if self.hold is not None:
                now = self.clock()
                bar = ProgressBar(total=self.hold.duration, completed=self.hold.spent(now), width=30)
                table.add_row("hold", Group(bar, f"{self.hold.left(now):4.0f} s left"))
        table.add_row("heard", self.last_heard or "-")
        if self.typing is not None:
            table.add_row("type", self.typing() + "▏")
        table.add_row("say", SAY_TYPED if self.engine == "keyboard" else SAY_ALOUD)
        table.add_row("engine", self.engine or "-")
        return Group(table)
