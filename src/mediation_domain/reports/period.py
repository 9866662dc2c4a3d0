"""The period a report covers: days, months, and the partners' rule (finished quarters only)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import attrs

from mediation_domain.errors import InvalidInputError, quoted

# What one report may ask for: a request for twenty centuries of months by neighbourhood
# and domain took seconds of CPU and megabytes, and held other clients back meanwhile.
MOST_MONTHS = 240  # twenty years
# An event is stamped before it commits (after sealing, and a wait for the lock): a month
# is over for partners a minute after its end, when its last events have surely landed.
COMMIT_GRACE = timedelta(minutes=1)


@attrs.frozen
class Period:
    """Days `start` to `end` (inclusive, in `zone`), as the history stood at `as_of`."""

    start: date
    end: date
    as_of: datetime
    zone: tzinfo = UTC

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            message = f"the period ends ({self.end}) before it starts ({self.start})"
            raise InvalidInputError(message)
        if self.as_of.tzinfo is None:
            object.__setattr__(self, "as_of", self.as_of.replace(tzinfo=UTC))

    @classmethod
    def of(
        cls,
        start: str | date | None,
        end: str | date | None,
        *,
        as_of: datetime,
        zone: tzinfo = UTC,
        whole_quarters: bool = False,
    ) -> Period:
        """The period from texts such as 2026-01 or 2026-01-15 (None: this year so far).

        With `whole_quarters` (partners' reports), the period must be whole calendar
        quarters that were over at `as_of`; with no end given it ends with the last such
        quarter, with no start it covers the four quarters up to its end.
        """
        moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
        try:
            # For partners, a day is over once its next midnight has come (an as-of day's
            # last instant counts as it), as check_whole_quarters reckons.
            edge = moment + timedelta(microseconds=1) if whole_quarters else moment
            today = edge.astimezone(zone).date()
            first, last = _days(start, end, today=today, whole_quarters=whole_quarters)
            period = cls(first, last, moment, zone)
            if whole_quarters:
                period.check_size()  # the costlier refusal first
                period.check_whole_quarters()
        except InvalidInputError:
            raise
        except (OverflowError, ValueError):  # the calendar's own ends (year 1, year 9999)
            message = (
                f"the period {start or 'January'} to {end or 'now'} as of {moment:%Y-%m-%d} is "
                "out of range"
            )
            raise InvalidInputError(message) from None
        return period

    @classmethod
    def asked(  # noqa: PLR0913 - three texts typed, the view asked for, the zone, the clock
        cls,
        start: str | None,
        end: str | None,
        as_of: str | None,
        *,
        exact: bool,
        zone: tzinfo,
        now: datetime,
    ) -> Period:
        """The period a user asked for at `now`, from texts (as_of also a time; None: now).

        A day as `as_of` means its end; a time without an offset is `zone`'s. A partners'
        report (not `exact`) covers whole quarters, all over at `as_of`, which must be past
        by COMMIT_GRACE (with no `as_of`, it is `now` less COMMIT_GRACE).
        """
        moment = now if exact else now - COMMIT_GRACE
        if as_of:
            moment = _moment(as_of, zone)
            if not exact and moment > now - COMMIT_GRACE:
                # A partner may not look at a quarter still running, nor at its last minute.
                message = (
                    f"as-of {quoted(as_of)} is not yet past: a partner's report is of what is over"
                )
                raise InvalidInputError(message)
        return cls.of(start, end, as_of=moment, zone=zone, whole_quarters=not exact)

    def check_whole_quarters(self) -> None:
        """Refuse a period that is not whole calendar quarters, all over at `as_of`.

        A partner gets neighbourhoods and domains by quarter, so a period must be made of
        them; and a quarter is published once, when over, so no later report differs.
        """
        last_day = calendar.monthrange(self.end.year, self.end.month)[1]
        # Over once its next midnight has come (an as-of day's last instant counts as it).
        today = (self.as_of + timedelta(microseconds=1)).astimezone(self.zone).date()
        if (
            self.start.day != 1
            or self.start.month % 3 != 1
            or self.end.day != last_day
            or self.end.month % 3 != 0
        ):
            # The example asked instead: the quarters around, up to the last one over.
            end = min(_quarter_end(self.end), _quarter_start(today) - timedelta(days=1))
            start = min(_quarter_start(self.start), _quarter_start(end))
            message = (
                f"a partner's report covers whole calendar quarters, not {self.start} to "
                f"{self.end}: e.g. from {start.isoformat()[:7]} to {end.isoformat()[:7]}"
            )
            raise InvalidInputError(message)
        if self.end >= today:
            message = (
                f"the quarter ending {self.end:%Y-%m} is not over at "
                f"{self.as_of.isoformat(timespec='seconds')}: a partner's report ends with "
                "a finished quarter"
            )
            raise InvalidInputError(message)

    @property
    def quarters(self) -> list[str]:
        """The period's quarters (2026-Q1) that had begun at `as_of`."""
        return list(dict.fromkeys(f"{m[:4]}-Q{(int(m[5:]) - 1) // 3 + 1}" for m in self.months))

    @property
    def month_count(self) -> int:
        """How many calendar months the period touches."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def check_size(self) -> None:
        """Refuse a period over MOST_MONTHS months."""
        if self.month_count > MOST_MONTHS:
            message = (
                f"a report covers at most {MOST_MONTHS} months ({MOST_MONTHS // 12} years), "
                f"not {self.month_count}: ask for a shorter period"
            )
            raise InvalidInputError(message)

    @property
    def months(self) -> list[str]:
        """The period's months (YYYY-MM) that had begun at `as_of`."""
        found, month = [], self.start.replace(day=1)
        while month <= self.end and self._midnight(month) <= self.as_of:
            found.append(f"{month:%Y-%m}")
            month = _next_month(month)
        return found

    def _midnight(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.zone)

    def until(self, month: str) -> datetime:
        """The first moment not counted in `month`'s stock: its end, or just after as_of."""
        year, number = (int(part) for part in month.split("-"))
        end = min(_next_month(date(year, number, 1)) - timedelta(days=1), self.end)
        return min(self._midnight(end + timedelta(days=1)), self.as_of + timedelta(microseconds=1))


def _days(
    start: str | date | None, end: str | date | None, *, today: date, whole_quarters: bool
) -> tuple[date, date]:
    """The first and last days asked for.

    With no end: today, or for partners the last day of the last quarter over; with no
    start: the first of January of the end's year, or for partners the first day of the
    four quarters ending with the end's.
    """
    if end is not None:
        last = _day(end, last=True)
    elif whole_quarters:
        last = _quarter_start(today) - timedelta(days=1)
    else:
        last = today
    if start is not None:
        first = _day(start, last=False)
        if whole_quarters and end is None and first > last:
            message = (
                f"no quarter from {first.isoformat()[:7]} is over on {today}: a partner's "
                "report ends with a finished quarter"
            )
            raise InvalidInputError(message)
    elif whole_quarters:
        first = _quarter_start(last.replace(day=1) - timedelta(days=270))  # 4 quarters
    else:
        first = last.replace(month=1, day=1)
    return first, last


def _quarter_start(day: date) -> date:
    return date(day.year, day.month - (day.month - 1) % 3, 1)


def _quarter_end(day: date) -> date:
    last_month = day.month - (day.month - 1) % 3 + 2
    return date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])


def _day(text: str | date, *, last: bool) -> date:
    if isinstance(text, date):
        return text
    value = str(text).strip()
    try:
        if len(value) == len("2026-01"):
            first = date.fromisoformat(f"{value}-01")
            days = calendar.monthrange(first.year, first.month)[1]
            return first.replace(day=days) if last else first
        return date.fromisoformat(value)
    except ValueError:
        message = f"invalid date {quoted(text)}: expected YYYY-MM or YYYY-MM-DD"
        raise InvalidInputError(message) from None


def _moment(text: str, zone: tzinfo) -> datetime:
    """An as-of typed as a day (its last instant) or a time (in `zone` without an offset)."""
    value = text.strip()
    try:
        if len(value) == len("2026-01-01"):
            next_day = date.fromisoformat(value) + timedelta(days=1)
            moment = datetime.combine(next_day, time(), zone) - timedelta(microseconds=1)
        else:
            moment = datetime.fromisoformat(value)
            moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
    except (ValueError, OverflowError):
        message = f"invalid as-of {quoted(text)}: a day (2026-06-30) or a time (2026-06-30T18:00)"
        raise InvalidInputError(message) from None
    return moment


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)
