"""The activity counts: a fold over cases, small counts suppressed for partners."""

from __future__ import annotations

from mediation_domain.reports import SMALL_COUNT, activity, shown
from mediation_domain.values import CaseStatus, InterventionDomain


def test_cases_are_counted_by_neighbourhood_domain_and_status(app):
    ids = [
        app.request_mediation(
            domain=domain, neighbourhood=place, referral="resident", parties=["A"]
        )
        for place, domain in [
            ("Couronneries", "public-transport"),
            ("Couronneries", "public-transport"),
            ("Beaulieu", "schools-and-youth"),
            ("Couronneries", "public-space-and-housing"),
        ]
    ]
    app.withdraw(ids[0], by="service", reason="no-longer-needed")
    rows = app.activity()
    assert [(r.neighbourhood, r.domain, r.total) for r in rows] == [
        ("Beaulieu", InterventionDomain.SCHOOLS_AND_YOUTH, 1),
        ("Couronneries", InterventionDomain.PUBLIC_SPACE_AND_HOUSING, 1),
        ("Couronneries", InterventionDomain.PUBLIC_TRANSPORT, 2),
    ]
    transport = rows[2].counts
    assert (transport[CaseStatus.WITHDRAWN], transport[CaseStatus.AWAITING_MEDIATOR]) == (1, 1)
    assert activity([]) == []


def test_counts_from_one_to_four_are_hidden_from_partners_only():
    assert [shown(n, exact=False) for n in (0, 1, 4, 5, 12)] == [0, "< 5", "< 5", 5, 12]
    assert [shown(n, exact=True) for n in (0, 1, 4, 5)] == [0, 1, 4, 5]
    assert SMALL_COUNT == 5
