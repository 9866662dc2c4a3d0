"""Hypothesis strategies for the values and commands of a mediation (for integrators' tests)."""

from __future__ import annotations

import unicodedata
from typing import Any

from hypothesis import strategies as st

from mediation_domain.values import (
    MAX_NAME_LENGTH,
    POITIERS,
    InterventionDomain,
    MediatorId,
    Neighbourhoods,
    Outcome,
    PartyId,
    ReasonCode,
    ReferralSource,
    SessionKind,
    WithdrawnBy,
)
from mediation_domain.views import CaseView

_TOKEN = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-",
    min_size=0,
    max_size=63,
)

domains = st.sampled_from(InterventionDomain)
referrals = st.sampled_from(ReferralSource)
outcomes = st.sampled_from(Outcome)
session_kinds = st.sampled_from(SessionKind)
withdrawn_by = st.sampled_from(WithdrawnBy)
party_ids = st.builds(lambda head, tail: PartyId(head + tail), st.sampled_from("pqrs"), _TOKEN)
mediator_ids = st.builds(lambda tail: MediatorId("med-" + tail), _TOKEN.map(lambda t: t[:59]))
reason_codes = st.from_regex(r"[a-z][a-z0-9-]{0,39}", fullmatch=True).map(ReasonCode)


def _is_storable_name(text: str) -> bool:
    stripped = unicodedata.normalize("NFC", text.strip())
    return bool(stripped) and len(stripped) <= MAX_NAME_LENGTH


# Names in any script (Latin with accents, Arabic, Vietnamese, CJK, ...), no control characters.
names = st.text(
    alphabet=st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=MAX_NAME_LENGTH
).filter(_is_storable_name)


def requests(neighbourhoods: Neighbourhoods = POITIERS) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for `Mediations.request_mediation` that it must accept."""
    return st.fixed_dictionaries(
        {
            "domain": domains,
            "neighbourhood": st.sampled_from(neighbourhoods.names),
            "referral": referrals,
            "parties": st.lists(names, min_size=1, max_size=4),
            "summary": st.text(
                alphabet=st.characters(exclude_categories=("Cc", "Cs")), max_size=300
            ),
        }
    )


def commands(case: CaseView) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """(method name, keyword arguments) of a command on `case`, which the rules may refuse."""
    parties = st.sampled_from([party.id for party in case.parties] or ["p-none"])
    attendees = st.lists(parties, min_size=1, max_size=3)
    return st.one_of(
        st.tuples(st.just("give_consent"), st.fixed_dictionaries({"party": parties})),
        st.tuples(st.just("withdraw_consent"), st.fixed_dictionaries({"party": parties})),
        st.tuples(st.just("refuse_consent"), st.fixed_dictionaries({"party": parties})),
        st.tuples(
            st.just("assign_mediator"),
            st.fixed_dictionaries({"mediator": mediator_ids.map(str)}),
        ),
        st.tuples(
            st.just("hold_session"),
            st.fixed_dictionaries({"kind": session_kinds, "attendees": attendees}),
        ),
        st.tuples(st.just("join_party"), st.fixed_dictionaries({"name": names})),
        st.tuples(st.just("resolve"), st.fixed_dictionaries({"outcome": outcomes})),
        st.tuples(
            st.just("withdraw"),
            st.fixed_dictionaries({"by": withdrawn_by, "reason": reason_codes.map(str)}),
        ),
    )
