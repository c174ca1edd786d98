"""The one error base class: every problem a user can act on, reported by the CLI in one line."""

from __future__ import annotations


class VoiceguideError(Exception):
    """A mistake in what was asked, or a machine fault, in words a user can act on (no traceback)."""


class UserError(VoiceguideError):
    """A mistake in what the user asked for on the command line."""
