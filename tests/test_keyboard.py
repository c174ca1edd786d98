"""The keyboard engine: typed lines, the same intents, through the real live session (no sound here)."""

from __future__ import annotations

from tests.conftest import cli


def test_start_with_the_keyboard():
    result = cli("start", "shotgun", "--engine", "keyboard", stdin="ready\nit hurts\n")
    assert result.returncode == 4, result.stderr  # stopped for pain
    assert "state stop_and_advise" in result.stdout and result.stdout.endswith("ended pain\n")
    assert "Traceback" not in result.stderr


def test_listen_with_the_keyboard_runs_routines_until_input_ends():
    result = cli("listen", "--engine", "keyboard", stdin="start dead bug\nready\nstop\nhelp\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("state setup") < out.index("ended stopped") < out.index("Say start, and one of: ")
    assert "Dead bug" in out.split("Say start, and one of: ")[1]


def test_start_without_a_usable_microphone_falls_back_to_the_keyboard():
    result = cli("start", "shotgun", "--engine", "sphinx", "--device", "99", stdin="ready\nstop\n")
    assert result.returncode == 3, result.stderr  # stopped by the user
    assert "no microphone could be opened" in result.stderr and "Using the keyboard instead" in result.stderr
    assert "Traceback" not in result.stderr and "ended stopped" in result.stdout


def test_typed_lines_at_a_terminal_are_not_echoed_and_the_terminal_is_given_back():
    import os
    import termios

    from voiceguide.typed_input import TerminalLines

    controller, terminal = os.openpty()
    before = termios.tcgetattr(terminal)
    assert before[3] & termios.ECHO
    lines = TerminalLines(terminal)
    reading = iter(lines)
    os.write(controller, b"redy\x7f\x7fady\r")
    assert next(reading) == "ready"
    assert not termios.tcgetattr(terminal)[3] & termios.ECHO  # the panel shows the line, not the terminal
    os.write(controller, b"ouch my b")
    os.write(controller, b"ack\x15it hurts\n")  # Ctrl-U clears the line
    assert next(reading) == "it hurts"
    os.write(controller, b"caf\xc3")  # a character split across reads
    os.write(controller, b"\xa9\n\x04")
    assert next(reading) == "café"
    assert list(reading) == []  # Ctrl-D on an empty line: the end of input
    assert termios.tcgetattr(terminal)[3] & termios.ECHO
    os.close(controller)
    os.close(terminal)


def test_typed_lines_from_a_pipe_are_read_whole_with_bad_bytes_replaced():
    import os

    from voiceguide.typed_input import fd_lines

    reader, writer = os.pipe()
    os.write(writer, b"ready\nouch \xff\xfe\ncaf\xc3")
    os.write(writer, b"\xa9\nit hurts")  # no newline at the end
    os.close(writer)
    assert list(fd_lines(reader)) == ["ready", "ouch \ufffd\ufffd", "café", "it hurts"]
    os.close(reader)
