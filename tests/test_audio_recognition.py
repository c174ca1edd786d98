"""Real speech, synthesised by flite and espeak-ng, heard through WAV source -> recogniser -> session."""

from __future__ import annotations

import json

import pytest

from tests.conftest import LIBRARY, cli, json_collector
from voiceguide.audio import WavSource
from voiceguide.corpus import add_noise, session_audio
from voiceguide.recognizers import SphinxRecognizer, heard_events
from voiceguide.routines import spoken_names
from voiceguide.session import STOP_AND_ADVISE
from voiceguide.simulate import simulate
from voiceguide.vocabulary import grammar_phrases

pytestmark = pytest.mark.audio

PHRASES = grammar_phrases(spoken_names(LIBRARY))
VOICES = ["flite:slt", "flite:rms", "flite:awb", "espeak:en-us:150"]


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speech")
    return {v: session_audio([(1.0, "ready"), (4.0, "it hurts")], v, folder, v.replace(":", "_")) for v in VOICES}


@pytest.mark.parametrize("snr", [None, 20, 10], ids=["clean", "20dB", "10dB"])
@pytest.mark.parametrize("voice", VOICES)
def test_spoken_it_hurts_reaches_stop_and_advise(recordings, voice, snr, tmp_path):
    wav = recordings[voice] if snr is None else add_noise(recordings[voice], snr, tmp_path / "noisy.wav")
    heard = list(heard_events(WavSource(wav), SphinxRecognizer(PHRASES)))
    events, publish = json_collector()
    session = simulate(LIBRARY["shotgun"], heard, publish=publish)
    assert session.state == STOP_AND_ADVISE, [(h.t, h.text, h.partial) for h in heard]
    stop_at = next(e["t"] for e in events if e.get("state") == STOP_AND_ADVISE)
    assert 4.0 < stop_at < 6.5  # while or just after "it hurts" (starting at 4 s) is said


def test_simulate_audio_cli_json(recordings):
    result = cli("simulate", "shotgun", "--audio", str(recordings["flite:rms"]), "--engine", "sphinx", "--json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    heard = [e for e in events if e["type"] == "heard"]
    assert heard[0]["intent"] == "ready" and 1.0 < heard[0]["t"] < 3.0  # the time is the position in the audio
    assert {"type": "state", "state": "squeeze"} in [{k: e[k] for k in ("type", "state")} for e in events
                                                     if e["type"] == "state"]
    assert events[-1]["reason"] == "pain"


def test_wav_source_converts_rate_and_channels(tmp_path, recordings):
    import subprocess

    stereo = tmp_path / "stereo44k.wav"
    subprocess.run(["sox", str(recordings["flite:rms"]), "-r", "44100", "-c", "2", str(stereo)], check=True)
    source = WavSource(stereo, sample_rate=16000)
    blocks = list(source.blocks())
    assert all(len(b.pcm) <= 2 * 1600 for b in blocks)  # at most 100 ms of 16-bit mono
    assert blocks[-1].t == pytest.approx(source.duration, abs=0.01)
    heard = list(heard_events(WavSource(stereo), SphinxRecognizer(PHRASES)))  # 44.1 kHz stereo in, resampled
    assert any(h.text == "ready" for h in heard)


def test_bad_audio_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    result = cli("simulate", "shotgun", "--audio", str(bad), "--engine", "sphinx")
    assert result.returncode == 2 and "is not a PCM WAV file" in result.stderr and "Traceback" not in result.stderr


HEAR_TWO_STREAMS = """
import sys
from voiceguide.audio import WavSource
from voiceguide.recognizers import SphinxRecognizer, heard_events
from voiceguide.routines import load_library, spoken_names
from voiceguide.vocabulary import grammar_phrases

recognizer = SphinxRecognizer(grammar_phrases(spoken_names(load_library())))
for path in sys.argv[1:]:
    print([h.text for h in heard_events(WavSource(path), recognizer) if not h.partial], flush=True)
"""


def test_a_stream_cut_mid_speech_leaves_the_recogniser_ready_for_the_next(recordings, tmp_path):
    """As when the microphone is lost while someone speaks, then comes back.

    The cut speech used to leak into the next stream ("good" heard first), or the Endpointer spun forever.
    """
    import subprocess
    import sys

    cut = tmp_path / "cut.wav"
    subprocess.run(["sox", str(recordings["flite:rms"]), str(cut), "trim", "0", "4.3"], check=True)  # in "it hurts"
    result = subprocess.run([sys.executable, "-c", HEAR_TWO_STREAMS, str(cut), str(recordings["flite:rms"])],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert "ready" in first
    assert second == "['ready', 'it hurts']"
