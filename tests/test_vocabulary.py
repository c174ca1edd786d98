"""One vocabulary: every form the parser acts on can also be heard, but for a few listed with the reason."""

from __future__ import annotations

import pytest

from tests.conftest import LIBRARY, PARSER_ALL
from voiceguide.routines import spoken_names
from voiceguide.vocabulary import HEARD_IN_PAIN, TYPED_ONLY, acted_on_forms, command_forms, grammar_phrases

GRAMMAR = grammar_phrases(spoken_names(LIBRARY))
FORMS = [(intent, form) for intent, forms in acted_on_forms().items() for form in forms]
COMMANDS = [(intent, form) for intent, forms in command_forms().items() for form in forms]


@pytest.mark.parametrize(("intent", "form"), FORMS)
def test_every_form_the_parser_acts_on_is_in_the_grammar_or_listed_as_typed_only(intent, form):
    heard = any(f" {form} " in f" {phrase} " for phrase in GRAMMAR)
    assert heard or form in TYPED_ONLY, f"{intent} form {form!r} can be typed but never heard"


def test_typed_only_forms_are_real_parser_forms_with_a_reason():
    every_form = {form for _, form in FORMS}
    for form, why in TYPED_ONLY.items():
        assert form in every_form and why


@pytest.mark.parametrize("phrase", GRAMMAR)
def test_every_grammar_phrase_means_something_to_the_parser(phrase):
    assert PARSER_ALL.parse(phrase).intent != "unknown"


@pytest.mark.parametrize(("intent", "form"), COMMANDS)
def test_every_command_form_means_its_command_said_alone_and_is_heard_unless_pain_was_heard_as_it(intent, form):
    assert PARSER_ALL.parse(form).intent == intent
    assert (form in GRAMMAR) != (form in HEARD_IN_PAIN)


def test_the_commands_left_out_are_real_command_forms():
    assert {form for _, form in COMMANDS} >= HEARD_IN_PAIN


def test_commands_are_listened_for_as_people_say_them():
    assert {"don't skip", "can't hear", "not ready", "slower", "louder", "speak up"} <= set(GRAMMAR)
    assert "do not skip" not in GRAMMAR
