"""Value objects validate on construction, so bad input never reaches an event."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediation_domain import (
    POITIERS,
    InterventionDomain,
    InvalidInputError,
    Neighbourhoods,
    Outcome,
)
from mediation_domain.errors import quoted
from mediation_domain.values import MediatorId, PartyId, ReasonCode


@pytest.mark.parametrize("text", ["public-transport", "PUBLIC_TRANSPORT", " public transport "])
def test_vocabularies_accept_their_codes_and_names(text):
    assert InterventionDomain.parse(text) is InterventionDomain.PUBLIC_TRANSPORT


def test_an_unknown_code_lists_the_choices():
    with pytest.raises(InvalidInputError, match="agreement, partial-agreement"):
        Outcome.parse("victory")


@pytest.mark.parametrize("typed", ["Saint-Éloi", "saint eloi", "SAINT_ELOI", "  saint-éloi "])
def test_neighbourhoods_match_regardless_of_case_accents_and_spacing(typed):
    assert POITIERS.canonical(typed) == "Saint-Éloi"


def test_the_poitiers_preset_lists_the_six_neighbourhoods():
    assert POITIERS.names == (
        "Beaulieu",
        "Bel-Air",
        "Bellejouanne",
        "Couronneries",
        "Saint-Éloi",
        "Trois-Cités",
    )


@pytest.mark.parametrize("names", [(), ("A", "a"), ("A", " ")])
def test_a_neighbourhood_configuration_is_non_empty_and_distinct(names):
    with pytest.raises(InvalidInputError):
        Neighbourhoods(names)


@pytest.mark.parametrize("value", ["", " p", "p 1", "x" * 65, "é", 7])
@pytest.mark.parametrize("kind", [PartyId, MediatorId])
def test_ids_are_short_plain_tokens(kind, value):
    with pytest.raises(InvalidInputError):
        kind(value)


@pytest.mark.parametrize("value", ["No-Longer-Needed", "Mme A is ill", "", "a" * 41])
def test_reason_codes_are_codes_not_free_text(value):
    with pytest.raises(InvalidInputError):
        ReasonCode(value)


@given(st.text())
def test_parsing_any_text_either_finds_a_member_or_raises_a_typed_error(text):
    try:
        member = InterventionDomain.parse(text)
    except InvalidInputError as error:
        assert "\n" not in error.message.replace(repr(text), "")
    else:
        assert isinstance(member, InterventionDomain)


@pytest.mark.parametrize("size", [1, 10, 75, 76, 77, 1_000_000])
def test_a_quote_keeps_both_ends_of_a_long_input_within_80_characters(size):
    text = "a" + "x" * size + "z"
    shown = quoted(text)
    assert len(shown) <= 80
    assert (shown == repr(text)) is (len(repr(text)) <= 80)
    assert ("…" in shown) is (len(repr(text)) > 80)
    assert shown.startswith("'ax")
    assert shown.endswith("xz'")
