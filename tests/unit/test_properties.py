"""Whatever an integrator sends, a command either records or raises a typed refusal."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mediation_domain import MediationError, Mediations
from mediation_domain.rules import review
from mediation_domain.testing import strategies


@settings(max_examples=100, deadline=None)
@given(request=strategies.requests(), data=st.data())
def test_random_commands_record_or_refuse_and_the_history_stays_clean(request, data):
    app = Mediations()
    case_id = app.request_mediation(**request)
    for _ in range(data.draw(st.integers(1, 12))):
        name, arguments = data.draw(strategies.commands(app.get_case(case_id)))
        before = app.get_case(case_id).version
        try:
            getattr(app, name)(case_id, **arguments)
        except MediationError:
            assert app.get_case(case_id).version == before
    assert list(review(app.history())) == []


JUNK = st.one_of(
    st.none(),
    st.integers(),
    st.floats(),
    st.text(max_size=80),
    st.binary(max_size=8),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=3),
    st.dictionaries(st.text(max_size=3), st.none()),
)
PARTY = st.sampled_from(["p-x", "p-y"])
# Each command's arguments, valid; the test swaps any of them for junk.
SIGNATURES = {
    "request_mediation": {
        "domain": st.just("public-transport"),
        "neighbourhood": st.just("Beaulieu"),
        "referral": st.just("resident"),
        "parties": st.just(["A", "B"]),
        "summary": st.just(""),
        "party_ids": st.just(["p-x", "p-y"]),
    },
    "give_consent": {"party": PARTY},
    "withdraw_consent": {"party": PARTY},
    "refuse_consent": {"party": PARTY},
    "assign_mediator": {
        "mediator": st.just("med-1"),
        "ties": st.just(["p-x"]),
        "waived_by": st.just(["p-x", "p-y"]),
    },
    "withdraw_mediator": {"mediator": st.just("med-1"), "reason": st.just("unavailable")},
    "hold_session": {
        "kind": st.just("joint-session"),
        "attendees": st.just(["p-x", "p-y"]),
        "held_on": st.none(),
    },
    "join_party": {"name": st.just("C"), "party_id": st.just("p-z")},
    "resolve": {"outcome": st.just("agreement")},
    "withdraw": {"by": st.just("party"), "reason": st.just("late")},
    "get_case": {"version": st.just(1)},
    "list_cases": {
        "status": st.none(),
        "neighbourhood": st.none(),
        "domain": st.none(),
        "mediator": st.none(),
    },
}


@st.composite
def calls(draw):
    name = draw(st.sampled_from(sorted(SIGNATURES)))
    arguments = {
        key: draw(st.one_of(valid, JUNK) if draw(st.booleans()) else valid)
        for key, valid in SIGNATURES[name].items()
    }
    return name, arguments


@settings(max_examples=400, deadline=None)
@given(call=calls(), case_is_junk=st.booleans(), junk_case=JUNK)
def test_junk_arguments_raise_a_typed_error_never_a_crash(call, case_is_junk, junk_case):
    app = Mediations()
    real = app.request_mediation(
        domain="public-transport",
        neighbourhood="Beaulieu",
        referral="resident",
        parties=["A", "B"],
        party_ids=["p-x", "p-y"],
    )
    app.give_consent(real, party="p-x")
    name, arguments = call
    before = app.recorder.max_notification_id()
    positional = (
        ()
        if name in {"request_mediation", "list_cases"}
        else (junk_case if case_is_junk else real,)
    )
    try:
        getattr(app, name)(*positional, **arguments)
    except MediationError as refusal:
        assert "\n" not in refusal.message
        assert app.recorder.max_notification_id() == before
