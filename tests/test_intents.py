"""Intent parsing: commands, start phrasings, graded pain, negation and partial text."""

from __future__ import annotations

import json

import pytest

from tests.conftest import LIBRARY, cli
from voiceguide.intents import IntentParser
from voiceguide.routines import spoken_names

PARSER = IntentParser(spoken_names(LIBRARY))


@pytest.mark.parametrize(("text", "routine"), [
    ("start shotgun", "shotgun"),
    ("let's do glute bridges", "glute-bridge"),
    ("begin the figure four stretch", "figure-four"),
    ("start the figure 4", "figure-four"),
    ("let's do the spinal twist", "spinal-twist"),
    ("dead bugs please", "dead-bug"),
    ("start the psoas stretch", "psoas-stretch"),
    ("start shot gun", "shotgun"),
])
def test_start_names_the_routine(text, routine):
    got = PARSER.parse(text)
    assert (got.intent, got.routine) == ("start", routine)


@pytest.mark.parametrize(("text", "advice"), [
    ("ouch", "stop"), ("ow", "stop"), ("that really hurts", "stop"), ("it hurts", "stop"),
    ("no, it hurts", "stop"), ("sharp pain in my back", "stop"), ("that's painful", "stop"),
    ("I feel a stabbing in my hip", "stop"), ("not good", "stop"), ("it doesn't feel right", "stop"),
    ("my back is sore", "stop"), ("help me", "unwell"), ("stop it hurts", "stop"),
    ("my leg is tingling", "professional"), ("pain going down my leg", "professional"),
    ("it's shooting into the back of my leg", "professional"), ("my foot went numb", "professional"),
    ("I've got pins and needles", "professional"), ("my leg feels weak", "professional"),
    ("I can't feel my toes", "professional"), ("no pain but my leg is numb", "professional"),
    ("I wet myself", "emergency"), ("I can't control my bladder", "emergency"),
    ("I lost control of my bowels", "emergency"), ("I think I peed", "emergency"),
    ("my leg is numb and I wet myself", "emergency"),
])
def test_pain_is_caught_and_graded(text, advice):
    got = PARSER.parse(text)
    assert (got.intent, got.advice) == ("pain", advice), text


@pytest.mark.parametrize("text", [
    "no pain", "it doesn't hurt", "it does not hurt", "I don't feel any pain", "no pain or numbness",
    "not bad", "nothing hurts", "it isn't painful", "fine", "feels good",
])
def test_negated_pain_is_not_pain(text):
    assert PARSER.parse(text).intent == "ok", text


@pytest.mark.parametrize(("text", "intent"), [
    ("ready", "ready"), ("I'm ready", "ready"), ("yes", "ready"), ("okay ready", "ready"),
    ("next", "next"), ("skip this one", "next"), ("pause", "pause"), ("hold on", "pause"),
    ("wait a second", "pause"), ("resume", "resume"), ("carry on", "resume"), ("keep going", "resume"),
    ("repeat", "repeat"), ("say that again", "repeat"), ("stop", "stop"), ("quit", "stop"),
    ("that's enough", "stop"), ("help", "help"), ("what can I say", "help"), ("okay", "ok"),
    ("all good", "ok"), ("banana", "unknown"), ("", "unknown"), ("don't stop", "unknown"),
])
def test_commands(text, intent):
    assert PARSER.parse(text).intent == intent, text


@pytest.mark.parametrize("text", [
    "start shotgun", "ready", "next", "pause", "resume", "repeat", "stop", "okay", "fine", "help",
    "let's do glute bridges", "begin the figure four stretch", "yes", "carry on", "hold on",
])
def test_plain_commands_never_read_as_pain(text):
    assert PARSER.parse(text).intent != "pain"


@pytest.mark.parametrize(("words", "at"), [
    ("that really hurts a lot", 3), ("my leg is tingling now", 4), ("ouch ouch", 1), ("I wet myself", 3),
])
def test_pain_counts_as_soon_as_the_word_appears_in_partial_text(words, at):
    tokens = words.split()
    prefixes = [" ".join(tokens[:n]) for n in range(1, len(tokens) + 1)]
    first = next(i for i, p in enumerate(prefixes, 1) if PARSER.parse(p).intent == "pain")
    assert first == at


def test_parse_cli_prints_one_json_object():
    result = cli("parse", "start", "shotgun")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"text": "start shotgun", "intent": "start", "routine": "shotgun",
                                         "advice": None, "listened_for": True}


def test_parse_cli_says_whether_the_recognisers_listen_for_the_very_words():
    result = cli("parse", "-", stdin="It hurts!\nI can't breathe\nslower\nstart figure 4\n")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["intent"], r["listened_for"]) for r in rows] == [
        ("pain", True), ("pain", False), ("slower", False), ("start", True)]


def test_parse_cli_reads_lines_from_stdin():
    result = cli("parse", "-", stdin="ouch\n\nmy leg is numb\nI wet myself\nready\n")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["intent"], r["advice"]) for r in rows] == [
        ("pain", "stop"), ("pain", "professional"), ("pain", "emergency"), ("ready", None)]


def test_parse_cli_without_text_is_a_clear_error():
    result = cli("parse")
    assert result.returncode == 2 and "give the words to parse" in result.stderr
