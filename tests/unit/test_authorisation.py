"""The authorisation policy on its own: every role, every action, own case or not."""

from __future__ import annotations

import pytest

from mediation_domain import InvalidInputError
from mediation_domain.authorisation import (
    Action,
    Decision,
    Principal,
    Role,
    decide,
    sees_all_cases,
)

ALLOWED, FORBIDDEN, HIDDEN = Decision.ALLOWED, Decision.FORBIDDEN, Decision.HIDDEN
MEDIATOR = Principal(Role.MEDIATOR, "med-1")
COORDINATOR = Principal(Role.COORDINATOR, "coord-1")
PARTNER = Principal(Role.PARTNER, "ville")
AUDITOR = Principal(Role.AUDITOR, "cabinet")

# (action, on med-1's case, on med-2's case) -> decision, per role
EXPECTED = {
    MEDIATOR: {
        Action.REQUEST: (FORBIDDEN, FORBIDDEN),
        Action.LIST_CASES: (ALLOWED, ALLOWED),
        Action.READ_CASE: (ALLOWED, HIDDEN),
        Action.ACT_ON_CASE: (ALLOWED, HIDDEN),
        Action.MEDIATOR_WITHDRAWS: (ALLOWED, HIDDEN),
        Action.ASSIGN: (FORBIDDEN, FORBIDDEN),
        Action.ERASE: (FORBIDDEN, FORBIDDEN),
        Action.REPORT: (FORBIDDEN, FORBIDDEN),
        Action.AUDIT: (FORBIDDEN, FORBIDDEN),
    },
    COORDINATOR: dict.fromkeys(Action, (ALLOWED, ALLOWED)),
    PARTNER: dict.fromkeys(Action, (FORBIDDEN, FORBIDDEN)) | {Action.REPORT: (ALLOWED, ALLOWED)},
    AUDITOR: dict.fromkeys(Action, (FORBIDDEN, FORBIDDEN)) | {Action.AUDIT: (ALLOWED, ALLOWED)},
}


@pytest.mark.parametrize("principal", list(EXPECTED), ids=lambda p: p.role.value)
def test_each_role_may_do_exactly_what_the_deontology_gives_it(principal):
    for action, (own, other) in EXPECTED[principal].items():
        assert decide(principal, action, "med-1") is own, action
        assert decide(principal, action, "med-2") is other, action


def test_a_role_is_refused_before_any_case_is_looked_up():
    assert decide(MEDIATOR, Action.READ_CASE) is ALLOWED  # may read some cases...
    assert decide(MEDIATOR, Action.READ_CASE, None) is HIDDEN  # ...not an unassigned one
    assert decide(PARTNER, Action.READ_CASE) is FORBIDDEN


def test_who_sees_what():
    assert (sees_all_cases(COORDINATOR), sees_all_cases(MEDIATOR)) == (True, False)
    exact = [decide(who, Action.REPORT_EXACT) for who in (COORDINATOR, PARTNER)]
    assert exact == [Decision.ALLOWED, Decision.FORBIDDEN]


def test_a_mediator_acts_under_a_valid_mediator_id_and_roles_are_a_closed_list():
    with pytest.raises(InvalidInputError):
        Principal(Role.MEDIATOR, "not an id")
    with pytest.raises(InvalidInputError, match="expected one of: mediator, coordinator"):
        Role.parse("admin")
    assert Principal(Role.PARTNER, "Ville de Poitiers").identity == "Ville de Poitiers"


def test_authorise_raises_what_decide_refuses_and_reads_principals():
    from mediation_domain import CaseNotFoundError  # noqa: PLC0415
    from mediation_domain.authorisation import (  # noqa: PLC0415
        NotAllowedError,
        authorise,
        principal_from,
    )

    authorise(MEDIATOR, Action.READ_CASE, ("c-1", "med-1"))
    with pytest.raises(CaseNotFoundError, match="no case c-2"):
        authorise(MEDIATOR, Action.READ_CASE, ("c-2", "med-2"))
    with pytest.raises(NotAllowedError, match="a partner may not read case"):
        authorise(PARTNER, Action.READ_CASE)
    assert principal_from("mediator: med-1") == MEDIATOR
    for bad in ("mediator", "mediator:", "root:x"):
        with pytest.raises(InvalidInputError):
            principal_from(bad)


def test_a_refusal_names_the_role_with_its_article():
    from mediation_domain.authorisation import NotAllowedError, authorise  # noqa: PLC0415

    with pytest.raises(NotAllowedError, match=r"^an auditor may not list cases"):
        authorise(AUDITOR, Action.LIST_CASES)
    with pytest.raises(NotAllowedError, match=r"^a mediator may not assign"):
        authorise(MEDIATOR, Action.ASSIGN)
