"""Typed lines from a terminal without the terminal echoing them, so the live panel stays whole; and typed
lines from a pipe, read so that nothing blocks the interpreter's exit.

With the terminal's own echo on, each typed line is echoed under the live panel and pushes a stale copy of
the panel into the scrollback. Here the terminal is put in no-echo, character-at-a-time mode while a session
runs; the line being typed is kept in :attr:`TerminalLines.typing` (the panel shows it) and handed on at
Enter. Backspace, Ctrl-U (clear the line) and Ctrl-D (end of input, on an empty line) work as usual; Ctrl-C
still sends the interrupt signal. :meth:`TerminalLines.restore` puts the terminal back as it was.
"""

from __future__ import annotations

import atexit
import codecs
import contextlib
import os
from collections.abc import Iterator

try:
    import termios
except ImportError:  # not on a POSIX system: typed lines are read as they come
    termios = None  # type: ignore[assignment]

ENTER, BACKSPACES, CLEAR_LINE, END = ("\r", "\n"), ("\x7f", "\x08"), "\x15", "\x04"


def fd_lines(fd: int) -> Iterator[str]:
    """The lines read from file descriptor ``fd`` (a pipe or file), decoded as UTF-8 with replacement.

    Read with ``os.read``, not through ``sys.stdin``: a thread blocked in a buffered read holds the buffer's
    lock, and the interpreter aborts at exit if a daemon thread still holds it.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    while chunk := os.read(fd, 4096):
        pending += decoder.decode(chunk)
        *lines, pending = pending.split("\n")
        yield from lines
    if pending := pending + decoder.decode(b"", final=True):
        yield pending


class TerminalLines:
    """The lines typed at the terminal ``fd``, read one character at a time with echo off."""

    def __init__(self, fd: int):
        self.fd = fd
        self.typing = ""
        self.saved: list | None = None

    @staticmethod
    def possible(fd: int) -> bool:
        """Whether ``fd`` is a terminal whose modes can be set."""
        return termios is not None and os.isatty(fd)

    def __iter__(self) -> Iterator[str]:
        self._quiet()
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        try:
            while chunk := os.read(self.fd, 64):
                for ch in decoder.decode(chunk):
                    if ch in ENTER:
                        line, self.typing = self.typing, ""
                        yield line
                    elif ch in BACKSPACES:
                        self.typing = self.typing[:-1]
                    elif ch == CLEAR_LINE:
                        self.typing = ""
                    elif ch == END and not self.typing:
                        return
                    elif ch.isprintable():
                        self.typing += ch
        finally:
            self.restore()

    def _quiet(self) -> None:
        self.saved = termios.tcgetattr(self.fd)
        quiet = termios.tcgetattr(self.fd)
        quiet[3] &= ~(termios.ECHO | termios.ICANON)  # lflags: no echo, no line buffering; signals stay on
        quiet[6][termios.VMIN], quiet[6][termios.VTIME] = 1, 0
        termios.tcsetattr(self.fd, termios.TCSADRAIN, quiet)
        atexit.register(self.restore)

    def restore(self) -> None:
        """Put the terminal back as it was (safe to call more than once, from any thread)."""
        if self.saved is not None:
            saved, self.saved = self.saved, None
            with contextlib.suppress(termios.error):  # the terminal may have gone
                termios.tcsetattr(self.fd, termios.TCSADRAIN, saved)
