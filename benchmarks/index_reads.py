"""The case index on a grown store (issue 16): the cases growth.py adds for it, and its passes.

The fill records these cases through the public API, the same at every size. They go in
right after the year of template cases, before the copies, so they sit at the same log
positions at every size, and the copies never repeat them:

- `MINE` cases in Beaulieu, assigned to MEDIATOR and still in mediation;
- `DUE` cases closed in 2015 (the application's clock set back): `retention_due(RETENTION)`
  finds these and nothing else, since the template's year ends now;
- one case for each party id in ERASED (`p-bench-erase` among them), for erasures.

Each pass is a function of the application and of MEDIATOR's case ids. growth.py runs it
in a process of its own. Every pass except `index` checks first that the index is caught
up with the log, so that it times reads, not a catch-up. Calls are timed `repeats` times
after one warm-up call, and the median is kept:

index          `case_index.refresh()` on a store that was never indexed: the whole history.
page_mine      `cases_page(mediator=MEDIATOR, limit=50)`: MEDIATOR's 50 cases.
page_none      `cases_page(mediator=NOBODY, limit=50)`: a mediator with no case.
page_filtered  a coordinator's `cases_page(neighbourhood="Beaulieu", status="in-mediation",
               limit=50)`: the template's first year holds 8 such cases, then come MINE.
get_50         50 `get_case` calls on MEDIATOR's cases. In the same rounds it also times
               page_mine and page_none, in turn, for the comparisons.
retention      `retention_due(RETENTION)`, a dry run that finds the DUE cases.
erase          `erase_subject` once for each party id of ERASED (a write: each subject
               once, the first as the warm-up).
"""

from __future__ import annotations

import operator
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from workload import one_case

from mediation_domain import Mediations

MEDIATOR = "med-bench"
NOBODY = "med-nobody"
PLACE = "Beaulieu"
PAGE = 50
MINE = 50
DUE = 50
RETENTION = "5y"
LONG_AGO = datetime(2015, 3, 2, 9, tzinfo=UTC)
ERASED = ("p-bench-erase-0", "p-bench-erase", *(f"p-bench-erase-{n}" for n in range(2, 6)))
PARTIES = ["Mme Rousseau", "M. Nguyễn"]
# Targets: the page against the 50 loads; an empty page against one load.
COMPARISONS: dict[str, tuple[Callable[[float, float], bool], float]] = {
    "page_mine / get_50": (operator.le, 1.2),
    "page_none / get_case, warm": (operator.lt, 1.0),
    "page_none / get_case, once": (operator.lt, 1.0),
}
IN_A_ROW = 10  # empty pages timed back to back, as the 50 loads are

Figures = dict[str, Any]


class CheckFailedError(RuntimeError):
    """The store does not hold what the pass must find: its figures would mean nothing."""


def _expect(holds: bool, message: str) -> None:
    if not holds:
        raise CheckFailedError(message)


# Fill -------------------------------------------------------------------------------------


def record_cases(app: Mediations) -> list[str]:
    """Record the cases the passes need; returns MEDIATOR's case ids."""
    mine = [str(_in_mediation(app)) for _ in range(MINE)]
    clock = app.clock
    try:
        for hour in range(DUE):
            app.clock = lambda moment=LONG_AGO + timedelta(hours=hour): moment
            one_case(app)  # resolved at once: last contact in 2015
    finally:
        app.clock = clock
    for number, subject in enumerate(ERASED):
        app.request_mediation(
            domain="public-transport",
            neighbourhood="Bel-Air",
            referral="resident",
            parties=PARTIES,
            party_ids=[subject, f"p-bench-with-{number}"],
            summary="Stationnement gênant devant l'école",
        )
    return mine


def _in_mediation(app: Mediations) -> object:
    case_id = app.request_mediation(
        domain="public-transport",
        neighbourhood=PLACE,
        referral="resident",
        parties=PARTIES,
        summary="Bruit de voisinage",
    )
    app.assign_mediator(case_id, mediator=MEDIATOR)
    return case_id


# Passes -----------------------------------------------------------------------------------


def alternated(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Each call once to warm up, then `repeats` rounds of all of them in turn: seconds."""
    for call in calls.values():
        call()
    runs: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            runs[name].append(time.perf_counter() - started)
    return runs


def timed(call: Callable[[], object], repeats: int) -> Figures:
    """One call timed `repeats` times after a warm-up: `summary` of its runs."""
    return summary(alternated({"call": call}, repeats)["call"])


def summary(runs: Sequence[float]) -> Figures:
    """The median run (`us_per_call`, in seconds until growth.py converts it) and the spread."""
    return {
        "runs": len(runs),
        "us_per_call": statistics.median(runs),
        "us_min": min(runs),
        "us_max": max(runs),
    }


def check_current(app: Mediations) -> None:
    """Fail unless the index has folded every event: the pass must not time a catch-up."""
    held = app.recorder.max_notification_id() or 0
    folded = app.case_index.position() or 0
    _expect(folded == held, f"the case index is {held - folded} events behind the log")


def index(app: Mediations, mine: Sequence[str], repeats: int) -> Figures:
    """The whole history folded into an empty index."""
    del mine, repeats
    view = app.case_index  # opened (its tables declared) before the clock starts
    events = app.recorder.max_notification_id() or 0
    started = time.perf_counter()
    folded = view.refresh()
    seconds = time.perf_counter() - started
    _expect(folded == events, f"the index folded {folded} events of {events}")
    check_current(app)
    return {"events": folded, "us_per_event": seconds / folded}


def _page(app: Mediations, **wanted: str) -> Callable[[], Any]:
    return lambda: app.cases_page(**wanted, limit=PAGE)


def page_mine(app: Mediations, mine: Sequence[str], repeats: int) -> Figures:
    """MEDIATOR's page: exactly their cases."""
    check_current(app)
    page = _page(app, mediator=MEDIATOR)()
    found = sorted(str(view.case_id) for view in page.cases)
    _expect(found == sorted(mine), f"{MEDIATOR}'s page holds {len(found)} cases, not theirs")
    return {"cases": len(found)} | timed(_page(app, mediator=MEDIATOR), repeats)


def page_none(app: Mediations, mine: Sequence[str], repeats: int) -> Figures:
    """The page of a mediator with no case."""
    del mine
    check_current(app)
    found = len(_page(app, mediator=NOBODY)().cases)
    _expect(found == 0, f"{NOBODY}'s page holds {found} cases")
    return {"cases": 0} | timed(_page(app, mediator=NOBODY), repeats)


def page_filtered(app: Mediations, mine: Sequence[str], repeats: int) -> Figures:
    """A coordinator's page of the cases in mediation in one neighbourhood."""
    del mine
    check_current(app)
    page = _page(app, neighbourhood=PLACE, status="in-mediation")
    found = len(page().cases)
    _expect(found == PAGE, f"the filtered page holds {found} cases, not {PAGE}")
    return {"cases": found} | timed(page, repeats)


def get_50(app: Mediations, mine: Sequence[str], repeats: int) -> Figures:
    """MEDIATOR's cases loaded one by one, in turn with the two mediators' pages.

    Each round times, in this order: the 50 loads (a get_case warm from the one before),
    MEDIATOR's page, the empty page once, one get_case once (both right after other
    work), then the empty page `IN_A_ROW` times in a row (warm, as the 50 loads are).
    """
    check_current(app)
    none = _page(app, mediator=NOBODY)
    runs = alternated(
        {
            "get_50": lambda: [app.get_case(case_id) for case_id in mine],
            "page_mine": _page(app, mediator=MEDIATOR),
            "page_none_once": none,
            "get_case_once": lambda: app.get_case(mine[0]),
            "page_none_in_a_row": lambda: [none() for _ in range(IN_A_ROW)],
        },
        repeats,
    )
    median = {name: statistics.median(seconds) for name, seconds in runs.items()}
    return (
        {"calls": len(mine)}
        | summary(runs["get_50"])
        | {
            "us_page_mine_alongside": median["page_mine"],
            "us_page_none_once": median["page_none_once"],
            "us_get_case_once": median["get_case_once"],
            "us_page_none_in_a_row": median["page_none_in_a_row"] / IN_A_ROW,
        }
    )


def retention(app: Mediations, mine: Sequence[str], repeats: int) -> Figures:
    """The retention dry run: the DUE cases closed in 2015, none of the template's."""
    del mine
    check_current(app)
    found = len(app.retention_due(RETENTION))
    _expect(found == DUE, f"retention_due({RETENTION!r}) found {found} cases, not {DUE}")
    return {"due": found} | timed(lambda: app.retention_due(RETENTION), repeats)


def erase(app: Mediations, mine: Sequence[str], repeats: int) -> Figures:
    """Each subject of ERASED erased once; the first is the warm-up."""
    del mine, repeats
    check_current(app)
    runs: list[float] = []
    for subject in ERASED:
        started = time.perf_counter()
        done = app.erase_subject(subject)
        runs.append(time.perf_counter() - started)
        _expect(
            len(done.cases) == 1 and done.key_deleted and done.recorded == 1,
            f"erasing {subject} touched {len(done.cases)} cases, recorded {done.recorded}",
        )
    return summary(runs[1:])


PASSES: dict[str, Callable[[Mediations, Sequence[str], int], Figures]] = {
    "index": index,
    "page_mine": page_mine,
    "page_none": page_none,
    "page_filtered": page_filtered,
    "get_50": get_50,
    "retention": retention,
    "erase": erase,
}


def comparisons(stage: Figures) -> Figures:
    """The get_50 pass's comparisons (COMPARISONS), each with its ratio and verdict.

    MEDIATOR's page against their 50 loads; the empty page against one get_case, both
    warm (each repeated in a row), then both called once right after other work.
    """
    figures = stage.get("get_50", {})
    if "us_page_none_once" not in figures:
        return {}
    one_get = figures["us_per_call"] / figures["calls"]
    ratios = {
        "page_mine / get_50": figures["us_page_mine_alongside"] / figures["us_per_call"],
        "page_none / get_case, warm": figures["us_page_none_in_a_row"] / one_get,
        "page_none / get_case, once": figures["us_page_none_once"] / figures["us_get_case_once"],
    }
    return {
        name: {"ratio": ratio, "met": COMPARISONS[name][0](ratio, COMPARISONS[name][1])}
        for name, ratio in ratios.items()
    }


if __name__ == "__main__":
    raise SystemExit("index_reads.py holds growth.py's passes: run python benchmarks/growth.py")
