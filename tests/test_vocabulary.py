"""One vocabulary: every form the parser acts on for pain, red flags, stop and pause can also be heard."""

from __future__ import annotations

import pytest

from tests.conftest import LIBRARY, PARSER_ALL
from voiceguide.routines import spoken_names
from voiceguide.vocabulary import TYPED_ONLY, acted_on_forms, grammar_phrases

GRAMMAR = grammar_phrases(spoken_names(LIBRARY))
FORMS = [(intent, form) for intent, forms in acted_on_forms().items() for form in forms]


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
