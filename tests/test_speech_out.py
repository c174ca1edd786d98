"""Speech out through the real engine (pyttsx3 with espeak-ng), writing lines to files."""

from __future__ import annotations

import pytest

from voiceguide import speech

pytestmark = pytest.mark.audio


def test_a_hung_synthesis_is_ended_and_tried_again(monkeypatch):
    """pyttsx3's espeak loop can wait forever for a callback that never comes: it is ended and tried again."""
    synthesizer = speech.Synthesizer()
    driver = synthesizer.engine.proxy._driver
    start, tries = driver._start_synthesis, []

    def never_the_first_time(text: str) -> None:
        tries.append(text)
        if len(tries) > 1:
            start(text)

    monkeypatch.setattr(driver, "_start_synthesis", never_the_first_time)
    monkeypatch.setattr(speech, "SYNTH_SECONDS", 1.0)
    hung = synthesizer.engine
    clip = synthesizer.synthesize("Rest for ten seconds.")
    assert tries == ["Rest for ten seconds."] and synthesizer.engine is not hung  # a new engine took over
    assert len(clip.samples) > clip.rate  # and wrote more than a second of speech
    assert len(synthesizer.synthesize("Say ready when you are set.").samples) > clip.rate  # and goes on doing so
