"""The bench runs end to end on a tiny corpus, and its figures are sane. The figures themselves are not asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import LIBRARY, PARSER_ALL, cli
from voiceguide.bench.language import PHRASE_FILES, read_phrasings
from voiceguide.bench.measures import GOALS
from voiceguide.bench.plan import (
    HELD_OUT,
    NOISES,
    SPEECH_RUN,
    TALK_LEAD,
    TALK_LEARN,
    corpus_phrases,
    heldout_spoken,
    person_speaking,
)
from voiceguide.corpus import VOICES, duration, prompts, silence, synth
from voiceguide.vocabulary import PHRASEBOOK

pytestmark = pytest.mark.audio


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}  # the bench starts its own PulseAudio
    result = subprocess.run([sys.executable, "scripts/bench.py", "--quick", "--silence", "2", "--out", str(out)],
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr
    return out, result.stdout, json.loads((out / "bench.json").read_text())


def test_the_corpus_has_every_phrase_the_guide_listens_for():
    phrases = [p.expected for p in corpus_phrases(LIBRARY, PARSER_ALL)]
    assert {p.text for p in phrases} >= {t for texts in PHRASEBOOK.values() for t in texts}
    assert {p.routine for p in phrases if p.intent == "start"} == set(LIBRARY)
    red_flags = {p.advice for p in phrases if p.intent == "pain"}
    assert red_flags == {"stop", "unwell", "professional", "emergency"}
    # reaction is timed where the last word decides
    timed = {p.expected.text for p in corpus_phrases(LIBRARY, PARSER_ALL) if p.timed}
    assert "it hurts" in timed and "pain down my leg" not in timed


def test_quick_bench_writes_table_json_plot_and_clips(quick_report):
    out, stdout, report = quick_report
    assert "pain recall (halted at once), 10 dB" in stdout and "sphinx" in stdout
    assert "\nsphinx: met " in stdout or "\nsphinx: missed " in stdout  # the goals in short, after the table
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    clips = [json.loads(line) for line in (out / "clips.jsonl").read_text().splitlines()]
    corpus = report["corpus"]
    assert corpus["clips over background talk"] == 1
    speech_runs = sum(c["kind"] == "speech" for c in clips)
    assert speech_runs == (1 if prompts() else 0)
    assert corpus["held-out phrasings said"] == 4  # two phrasings, each by flite and by espeak-ng
    assert "held-out phrasings said: pain halted at once" in stdout
    assert len(clips) == corpus["clips"] + corpus["sessions"] + corpus["testdata recordings"] + corpus[
        "clips over background talk"] + speech_runs + corpus["held-out phrasings said"]


def test_quick_bench_figures_add_up(quick_report):
    out, _, report = quick_report
    clips = [json.loads(line) for line in (out / "clips.jsonl").read_text().splitlines()]
    sphinx = report["engines"]["sphinx"]
    corpus = report["corpus"]
    commands, pain = sphinx["command accuracy"], sphinx["pain recall"]
    assert commands["n"] + pain["n"] == corpus["clips"]
    asks, stops = sphinx["false asks"]["phrases"], sphinx["false stops"]["phrases"]
    for figure in (commands, pain, sphinx["sessions halted mid-hold"], asks, stops):
        assert sum(figure["by noise"][n]["n"] for n in NOISES) == figure["n"]
        assert sum(figure["by noise"][n]["hits"] for n in NOISES) == figure["hits"] <= figure["n"]
        families = figure["by voice family and noise"]
        assert set(families) == ({"flite"} if figure is sphinx["sessions halted mid-hold"] else {"espeak", "flite"})
        for n in NOISES:  # each condition's clips, split between the voice families
            for count in ("n", "hits"):
                assert sum(by[n][count] for by in families.values()) == figure["by noise"][n][count]
    assert asks["n"] == stops["n"] == commands["n"] and asks["hits"] <= sphinx["false asks"]["hits"]
    stops = sphinx["false stops"]
    assert stops["phrases"]["n"] == commands["n"]
    assert stops["testdata"]["n"] == corpus["testdata recordings"]
    assert stops["hits"] == stops["phrases"]["hits"] + stops["testdata"]["hits"]
    talk = sphinx["over background talk"]["talk 10 dB"]
    assert talk["pain halted"]["n"] + talk["commands understood"]["n"] == corpus["clips over background talk"]
    clips_over_talk = corpus["clips over background talk"]
    assert talk["minutes of talk alone"] == round(clips_over_talk * (TALK_LEAD - TALK_LEARN) / 60, 2)
    assert talk["minutes learning the room"] == round(clips_over_talk * TALK_LEARN / 60, 2)
    speech = sphinx["a person's speech (Asterisk's prompts)"]
    heard = [c for c in clips if c["kind"] == "speech"]
    assert speech["minutes"] == round(sum(c["audio"] for c in heard) / 60, 2)
    assert speech["halts"] == sum(c["utterances_halted"] for c in heard) >= speech["stops"]
    assert speech["commands"] == sum(c["utterances_commanding"] for c in heard) >= speech["stop commands"]
    heldout = sphinx["held-out phrasings, spoken"]
    said = [c for c in clips if c["kind"] == "heldout"]
    assert heldout["pain halted"]["n"] + heldout["others halted"]["n"] == len(said) == corpus["held-out phrasings said"]
    by_family = heldout["pain halted, by voice family"]
    assert sum(f["n"] for f in by_family.values()) == heldout["pain halted"]["n"]
    assert sum(f["hits"] for f in by_family.values()) == heldout["pain halted"]["hits"]
    assert heldout["others stopped"]["hits"] <= heldout["others halted"]["hits"]
    reaction = sphinx["reaction (s)"]
    assert reaction["n"] == len(reaction["all"]) > 0
    timed_stops = [c for c in clips if c["reaction"] is not None and c["engine"] == "sphinx"]
    assert reaction["n"] + reaction["stopped before the pain word ended"] == len(timed_stops)
    assert 0 <= reaction["min"] <= reaction["median"] <= reaction["p95"] <= reaction["max"] < 3
    assert 0 < sphinx["real-time factor"] < 1
    assert 20 < sphinx["peak RSS (MB)"] < 1000
    assert sphinx["listening CPU"] is None or 0 <= sphinx["listening CPU"] < 1
    assert sphinx["guiding CPU"] is None or 0 < sphinx["guiding CPU"] < 2, sphinx["guiding CPU, how"]
    assert set(sphinx["goals"]) == set(GOALS)
    for goal in sphinx["goals"].values():  # every interval holds its own figure
        if goal["95 % interval"] is not None and goal["measured"] is not None:
            low, high = goal["95 % interval"]
            assert low <= goal["measured"] <= high, goal
    room = report["room (sphinx)"]
    assert room["barge-in caught"]["hits"] == sum(room[f"barge-in {how}"]["hits"] for how in (
        "stopped at once", "halted for talk over the guide", "halted for pain heard unclearly"))


def test_held_out_phrasings_are_each_said_by_a_flite_and_an_espeak_voice_in_turn():
    phrasings = read_phrasings(PHRASE_FILES / HELD_OUT)
    said = heldout_spoken(phrasings)
    assert len(said) == 2 * len(phrasings)
    assert [v.split(":")[0] for _, v in said[:4]] == ["flite", "espeak", "flite", "espeak"]
    assert {v for _, v in said} == set(VOICES)
    assert [p for p, _ in said[::2]] == phrasings


def test_a_persons_speech_is_only_prompts_that_ask_nothing_of_the_guide():
    said = prompts()
    if not said:
        pytest.skip("Asterisk's prompts are not installed (apt install asterisk-core-sounds-en-wav "
                    "asterisk-core-sounds-en)")
    runs = person_speaking(PARSER_ALL, SPEECH_RUN)
    kept = [path for run in runs for path in run]
    assert len(kept) == len(set(kept)) > 400  # about 20 minutes of it
    assert all(PARSER_ALL.parse(said[path]).intent == "unknown" for path in kept)
    left_out = {path.stem for path in said} - {path.stem for path in kept}
    assert {"please-try-again", "something-terribly-wrong", "vm-next"} <= left_out  # repeat, pain, next
    # each run holds prompts until it reaches SPEECH_RUN seconds, the last run what is left
    assert all(sum(map(duration, run[:-1])) < SPEECH_RUN <= sum(map(duration, run)) for run in runs[:-1])


def test_without_the_prompts_texts_there_is_no_persons_speech(tmp_path, monkeypatch):
    """A system that leaves out /usr/share/doc (as slim images do) has the recordings but not what they say: none
    are heard, rather than heard unchecked (the bench then says what to install)."""
    from voiceguide import corpus

    monkeypatch.setattr(corpus, "PROMPT_TEXTS", tmp_path / "missing.txt.gz")
    assert corpus.prompts() == {} and person_speaking(PARSER_ALL, SPEECH_RUN) == []


def test_every_utterance_of_a_persons_speech_heard_as_pain_counts(tmp_path, monkeypatch):
    """Heard during a hold, each utterance read as pain would halt the session once, and each read as a command
    would be acted on: all are counted."""
    from voiceguide.bench import hearing

    monkeypatch.setattr(hearing, "_parser", PARSER_ALL, raising=False)  # set in each bench worker
    monkeypatch.setattr(hearing, "_recognizers", hearing.make_recognizers({"sphinx": None}, LIBRARY))
    pain, gap = synth("it hurts", "flite:rms", tmp_path / "pain.wav"), silence(1.5, tmp_path / "gap.wav")
    stop = synth("stop", "flite:rms", tmp_path / "stop.wav")
    (record,) = hearing.run_speech((0, [gap, pain, gap, stop, gap, pain, gap], str(tmp_path)))
    assert (record.kind, record.utterances_halted, record.utterances_commanding, record.utterances_ending) == (
        "speech", 2, 1, 1)
    assert record.utterances_stopped <= 2
    assert record.audio == pytest.approx(4 * 1.5 + 2 * duration(pain) + duration(stop), abs=0.01)


@pytest.mark.parametrize("sure", [True, False])
def test_pain_said_mid_hold_counts_as_caught_mid_hold_whether_it_stops_or_halts_to_ask(sure, monkeypatch):
    """A session's pain is caught mid-hold when the exercise halts in its timed step, whether for sure pain (stop)
    or for pain heard unclearly (the halt to ask enters "paused" at that moment)."""
    from voiceguide.bench import hearing
    from voiceguide.events import Heard

    monkeypatch.setattr(hearing, "_parser", PARSER_ALL, raising=False)  # set in each bench worker
    heard = [(Heard(1.5, "ready", utterance=1), 0.0), (Heard(4.2, "my hip hurts", True, 2, sure), 0.0)]
    record = hearing.Hearing("sphinx", "session", "my hip hurts", "pain", "clean", "stop", "flite:rms", "normal")
    judged = hearing.judge(record, heard, LIBRARY["shotgun"], 0.0, expected_end=4.1)
    assert judged.mid_hold and (judged.stopped, judged.asked) == (sure, not sure)
    assert judged.reaction == pytest.approx(0.1)


def test_bench_refuses_bad_options_plainly(tmp_path):
    result = cli("bench", "--jobs", "0", "--out", str(tmp_path))
    assert result.returncode == 2 and "--jobs must be at least 1" in result.stderr and "Traceback" not in result.stderr


def test_a_low_condition_is_the_same_scene_quieter_at_the_microphone(tmp_path):
    from voiceguide.bench.hearing import heard_in
    from voiceguide.corpus import rms

    said = synth("it hurts", "flite:slt", tmp_path / "said.wav")
    low = NOISES["low pink 10 dB"]
    assert low.level == -20
    as_said = heard_in(said, NOISES["pink 10 dB"], tmp_path / "pink.wav", speech=said)
    quieter = heard_in(said, low, tmp_path / "low.wav", speech=said)
    assert duration(quieter) == duration(as_said)
    assert rms(quieter) / rms(as_said) == pytest.approx(0.1, rel=0.05)  # 20 dB, with the same noise


@pytest.mark.parametrize("kind", ["white", "pink", "brown"])
def test_noise_is_mixed_at_its_ratio_below_the_words(tmp_path, kind):
    from voiceguide.corpus import add_noise, concat, rms, samples, write_wav

    said = synth("my back hurts", "espeak:en-us", tmp_path / "said.wav")
    clip = concat([silence(0.4, tmp_path / "lead.wav"), said, silence(1.0, tmp_path / "tail.wav")],
                  tmp_path / "clip.wav")
    mixed = add_noise(clip, 10.0, tmp_path / "mixed.wav", speech=said, kind=kind)
    assert duration(mixed) == duration(clip)
    noise = write_wav(samples(mixed) - samples(clip) / 2, tmp_path / "noise.wav")  # the words were halved
    assert rms(said) / 2 / rms(noise) == pytest.approx(10 ** (10 / 20), rel=0.02)
    assert add_noise(clip, 10.0, tmp_path / "again.wav", speech=said, kind=kind).read_bytes() == mixed.read_bytes()


def test_babble_starts_where_asked_and_loops_to_the_clip_s_length(tmp_path):
    import numpy as np

    from voiceguide.corpus import RATE, add_noise, samples, write_wav

    talk = write_wav(np.arange(RATE) % 2000 - 1000, tmp_path / "talk.wav")  # 1 s, a ramp: each sample its place
    clip = silence(2.5, tmp_path / "clip.wav")
    mixed = samples(add_noise(clip, 0.0, tmp_path / "mixed.wav", speech=talk, kind="babble", babble=talk, start=0.25))
    expected = np.tile(samples(talk), 4)[RATE // 4:RATE // 4 + len(mixed)] / 2  # halved, as the words are
    assert len(mixed) == 2.5 * RATE and np.abs(mixed - expected).max() <= 1
