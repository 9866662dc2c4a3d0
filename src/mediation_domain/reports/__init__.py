"""Activity indicators for funders: pure folds over the event history, no personal data.

Two steps. `CaseFacts` folds a case's events into what the indicators need: where and
when it was requested, and when it was proposed, accepted, refused, held sessions and
closed; nothing personal (consents are kept per party under a key the caller chooses,
and only while the case is open). `Report` then counts those facts over a period, as
they stood at any past moment (`as_of`): every fact carries its time, so a report as of
last March is the same whether computed now or then.

Counts are kept per neighbourhood x domain x calendar month: the grid. Partners get the
whole service by month (the cases involving each kind of institution: by quarter) and
the places by calendar quarter, each finished quarter
published once with counts from 1 to 4 shown as "< 5" and whatever would give one away
hidden too; every total is derived from those published figures (a range where hidden
ones add up), never from the exact counts. Whatever reports a partner combines (adjacent
periods, overlapping ones, totals against rows), they learn nothing the published
quarters do not show. See docs/reports.md for the limits.

`facts` holds the fold and the grid, `period` the periods (and the partners' rule on
them), `counting` the counts and the `Report`, and `disclosure` the partners' masking.
The work beside cases (rounds, watch reports, orientations, collective actions) is read
from the activity index for the period only: `activity_facts` counts it, family by
family, and `activity_figures` publishes it under the same rules, into `Report.activities`.
"""

from mediation_domain.reports.activity_facts import FAMILIES, Family
from mediation_domain.reports.activity_figures import (
    ActivityFigures,
    ActivityRow,
    Hours,
    Section,
    Select,
)
from mediation_domain.reports.counting import MEASURES, MOST_ROWS, Report, Row, dimensions
from mediation_domain.reports.disclosure import MAIN, PARTNERS, SMALL_COUNT, Node, Shown
from mediation_domain.reports.facts import (
    AGE_BUCKETS,
    COUNTS,
    DIMENSIONS,
    FLOWS,
    INSTITUTIONS,
    STOCKS,
    CaseFacts,
    Key,
    PartyKey,
    facts_of,
    fold,
)
from mediation_domain.reports.period import COMMIT_GRACE, MOST_MONTHS, Period

__all__ = [
    "AGE_BUCKETS",
    "COMMIT_GRACE",
    "COUNTS",
    "DIMENSIONS",
    "FAMILIES",
    "FLOWS",
    "INSTITUTIONS",
    "MAIN",
    "MEASURES",
    "MOST_MONTHS",
    "MOST_ROWS",
    "PARTNERS",
    "SMALL_COUNT",
    "STOCKS",
    "ActivityFigures",
    "ActivityRow",
    "CaseFacts",
    "Family",
    "Hours",
    "Key",
    "Node",
    "PartyKey",
    "Period",
    "Report",
    "Row",
    "Section",
    "Select",
    "Shown",
    "dimensions",
    "facts_of",
    "fold",
]
