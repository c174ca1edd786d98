"""How a live session shows itself: a status panel on a terminal, one plain line per event otherwise."""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console, Group
from rich.live import Live as RichLive
from rich.progress_bar import ProgressBar
from rich.table import Table

from voiceguide.session import Event, Session
from voiceguide.simulate import format_event, heard_detail


def plain_line(event: Event) -> str:
    """One line for the journal (journalctl adds the time)."""
    kind = event["type"]
    if kind == "state":
        return f"state {event['state']}"
    if kind == "say":
        return f"said \"{event['text']}\""
    if kind == "heard":
        return f"heard \"{event['text']}\" {heard_detail(event)}"
    return f"ended {event['reason']}"


class Display:
    """Shows events; on a terminal also a live panel: routine, step, hold countdown, last heard, engine."""

    def __init__(self, engine: str = "", quiet: bool = False, stream: TextIO = sys.stdout, tty: bool | None = None):
        self.engine, self.quiet, self.stream = engine, quiet, stream
        self.tty = stream.isatty() if tty is None else tty
        self.session: Session | None = None
        self.last_heard = ""
        self.t0: float | None = None
        self.console = Console(file=stream, force_terminal=self.tty) if self.tty else None
        self.live: RichLive | None = None

    def watch(self, session: Session | None) -> None:
        """Show this session in the panel (None: between sessions)."""
        self.session = session
        if self.console is not None and not self.quiet and session is not None and self.live is None:
            self.live = RichLive(get_renderable=self._panel, console=self.console, refresh_per_second=4,
                                 transient=True)
            self.live.start()

    def event(self, event: Event) -> None:
        if event["type"] == "heard":
            self.last_heard = f"\"{event['text']}\" ({event['intent']})"
        if self.quiet and event["type"] != "end":
            return
        if self.console is None:
            print(plain_line(event), file=self.stream, flush=True)
            return
        self.t0 = event["t"] if self.t0 is None else self.t0
        self.console.print(format_event({**event, "t": max(0.0, event["t"] - self.t0)}), highlight=False,
                           markup=False)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def _panel(self) -> Group:
        table = Table.grid(padding=(0, 2))
        session = self.session
        if session is None:
            table.add_row("listening", "say: start, and the name of a routine")
        else:
            table.add_row("routine", session.routine.title)
            table.add_row("step", session.state.replace("_", " "))
            hold = session.hold
            if hold is not None:
                spent = min(hold.duration, hold.spent(session.clock.now()))
                bar = ProgressBar(total=hold.duration, completed=spent, width=30)
                table.add_row("hold", Group(bar, f"{hold.duration - spent:4.0f} s left"))
        table.add_row("heard", self.last_heard or "-")
        table.add_row("engine", self.engine or "-")
        return Group(table)
