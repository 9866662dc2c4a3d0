"""Value objects validate on construction, so bad input never reaches an event."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediation_domain import (
    POITIERS,
    InterventionDomain,
    InvalidInputError,
    Mediations,
    Neighbourhoods,
    Outcome,
)
from mediation_domain.authorisation import Principal, Role
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


LOOKALIKES = "Beaulieu,\u0412\u0435aulieu,Beaulieu\u200b,Beau\u00adlieu"


def test_the_reviewers_four_beaulieus_are_refused():
    with pytest.raises(InvalidInputError):
        Neighbourhoods.from_text(LOOKALIKES)
    with pytest.raises(InvalidInputError):
        Mediations(env={"MEDIATION_NEIGHBOURHOODS": LOOKALIKES})


@pytest.mark.parametrize(
    ("names", "says"),
    [
        (("\u0412\u0435aulieu",), "mixes scripts (cyrillic, latin)"),
        (("Beaulieu\u200b",), "invisible or control character"),
        (("Beau\u00adlieu",), "invisible or control character"),
        (("Bel\u202eAir",), "invisible or control character"),
        (("Beaulieu", "\u0412\u0435\u0430ulieu"), "mixes scripts"),
        (("Beaulieu", "BEAULIEU"), "non-empty and distinct"),
        (("Beaulieu", "\uff22\uff45\uff41\uff55\uff4c\uff49\uff45\uff55"), "distinct"),
        (("Paco", "\u0420\u0430\u0441\u043e"), "read alike"),  # all Cyrillic
        (("Kato", "\u039a\u03b1\u03c4\u03bf"), "read alike"),  # all Greek
        # What the outside tryout still got through:
        *(
            ((f"Ga{mark}re",), "invisible or control character")
            for mark in ("\u200e", "\u061c", "\u034f", "\ufe0f", "\ufe00", "\u3164", "\u2800")
        ),
        *((("Bel-Air", f"Bel{dash}Air"), "distinct") for dash in ("\u2011", "\u2013", "\u2212")),
        (("Gare", "G\u0251re"), "read alike"),  # a Latin alpha
        (("Mairie", "Ma\u0131rie"), "read alike"),  # a dotless i
        (("Beaulieu", "", "Gare"), "is empty"),
        (("x" * 81,), "longer than 80 characters"),
        # And what the second tryout found:
        (("Ile", "l1e"), "read alike"),  # I, l and 1
        (("Oasis", "0asis"), "read alike"),  # O and 0
        (("Marne", "Mame"), "read alike"),  # rn and m
        (("Ville|e", "Villele"), "read alike"),  # a bar for an l
        (("Gare", "G\u1d00re"), "read alike"),  # a small capital A
        (("Pont l'Abb\u00e9", "Pont l\u2019Abb\u00e9"), "read alike"),  # apostrophes
        (("Pont l'Abb\u00e9", "Pont l\u02bcAbb\u00e9"), "read alike"),
        *((("Bel-Air", f"Bel{dash}Air"), "distinct") for dash in ("\u30fc", "\u2e3a", "\u2500")),
        (("Bel\u058aAir",), "mixes scripts (armenian, latin)"),  # an Armenian hyphen
        (("Gare\u0589",), "mixes scripts (armenian, latin)"),  # an Armenian full stop
    ],
)
def test_a_name_that_hides_a_character_mixes_scripts_or_reads_like_another_is_refused(names, says):
    with pytest.raises(InvalidInputError, match=re.escape(says)):
        Neighbourhoods(names)


def test_names_are_kept_in_nfkc_and_real_names_in_any_script_are_accepted():
    moscow, tokyo = "\u041c\u043e\u0441\u043a\u0432\u0430", "\u6771\u4eac \u3068\u3046\u304d"
    rabat = "\u0627\u0644\u0631\u0628\u0627\u0637"
    configured = Neighbourhoods(("\uff22el-Air", "Saint-\u00c9loi", moscow, tokyo, rabat))
    assert configured.names[0] == "Bel-Air"
    assert configured.canonical("saint eloi") == "Saint-\u00c9loi"
    with pytest.raises(InvalidInputError, match="unknown neighbourhood"):
        configured.canonical("B\u0435l-Air")  # a Cyrillic e typed in a request


@pytest.mark.parametrize("control", ["\u202e", "\u2066", "\u202a"])
def test_personal_text_with_a_direction_override_is_refused(control):
    app = Mediations()
    for name, summary in ((f"Mme {control}ecnerolF", ""), ("Mme A", f"voir {control}ici")):
        with pytest.raises(InvalidInputError, match="direction override"):
            app.request_mediation(
                domain="public-transport",
                neighbourhood="Beaulieu",
                referral="city",
                parties=[name],
                summary=summary,
            )
    assert app.recorder.max_notification_id() is None


@pytest.mark.parametrize(
    "identity",
    [
        *("ville\x1b[31m", "ville\u202e", "ville\u200b", " ville", "", "v\u200e", "v\u3164"),
        *("ville\u00a0a", "ville\u2007x", "vil\u043be"),  # other spaces, a Cyrillic l
    ],
)
def test_an_identity_with_a_control_or_invisible_character_is_refused(identity):
    with pytest.raises(InvalidInputError):
        Principal(Role.PARTNER, identity)


@pytest.mark.parametrize("text", ["Beaulieu,,Gare", "Beaulieu, Gare,", ",Beaulieu", " , "])
def test_an_empty_entry_in_the_setting_is_refused_even_at_either_end(text):
    with pytest.raises(InvalidInputError, match="is empty"):
        Neighbourhoods.from_text(text)
    assert Neighbourhoods.from_text(" Beaulieu , Gare ").names == ("Beaulieu", "Gare")


def test_a_refused_reason_code_is_not_repeated_it_may_name_someone():
    with pytest.raises(InvalidInputError) as refusal:
        ReasonCode("M. Leroy asked")
    assert "Leroy" not in str(refusal.value)
    assert "no free text" in str(refusal.value)


def test_what_to_do_once_a_subject_is_erased_depends_on_what_it_was():
    from mediation_domain.privacy import erased_message  # noqa: PLC0415 - the function tested

    case = "b4eb4f8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
    assert erased_message(case).endswith("record its sessions without notes")
    assert erased_message("p-1234").endswith("record them under a new party id")
