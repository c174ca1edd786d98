"""The guide must not be able to stop or pause itself through the microphone.

Pain, stop and pause are acted on even while the guide talks, so no line it says outside
stop_and_advise may parse as any of them.
"""

from __future__ import annotations

import pytest

from tests.conftest import LIBRARY, PARSER_ALL, drive, run_through
from voiceguide.intents import GUARDED_INTENTS
from voiceguide.session import FIXED_LINES, STOP_AND_ADVISE

ALL_LINES = sorted({*FIXED_LINES, *(line for r in LIBRARY.values() for line in (*r.spoken_lines(), f"{r.title}."))})


@pytest.mark.parametrize("line", ALL_LINES)
def test_no_line_the_guide_says_reads_as_pain_stop_or_pause(line):
    assert PARSER_ALL.parse(line).intent not in GUARDED_INTENTS


@pytest.mark.parametrize("rid", list(LIBRARY))
def test_every_line_spoken_in_a_real_run_is_safe(rid):
    d = drive(LIBRARY[rid])
    d.say("what can I say")
    d.say("pause")
    d.say("repeat")
    d.say("resume")
    run_through(d)
    spoken = [e for e in d.json() if e["type"] in ("say", "state")]
    state = None
    for e in spoken:
        if e["type"] == "state":
            state = e["state"]
        elif state != STOP_AND_ADVISE:
            assert PARSER_ALL.parse(e["text"]).intent not in GUARDED_INTENTS, e
