"""Fuzzing the running server from its own OpenAPI document (schemathesis): no 5xx, ever,
and every response as the document says."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from mediation_adapters.entrypoints.http.openapi import document
from mediation_domain import POITIERS

pytestmark = pytest.mark.slow

schema = schemathesis.openapi.from_dict(document(POITIERS.names))
# Left out: positive_data_acceptance. The schema says what a field may look like; the
# deontology then refuses schema-valid requests (a party not of the case, a consent not
# given...) with 409 or 422 by design. Every other default check runs.
LEFT_OUT = [checks.positive_data_acceptance]
SEEN: Counter[int] = Counter()
TOKEN: dict[str, str] = {}


@schema.auth(refresh_interval=None)  # read at each request: the server starts after collection
class CoordinatorToken:
    """The coordinator's token, given the schemathesis way, so that its own auth checks (a
    request without a token, or with a wrong one, must be refused) can take it away."""

    def get(self, _case: object, _context: object) -> str:
        return TOKEN.get("coordinator", "")

    def set(self, case: schemathesis.Case, token: str, _context: object) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module", autouse=True)
def tally(request: pytest.FixtureRequest, server) -> Iterator[None]:
    TOKEN["coordinator"] = server.tokens["coordinator"]
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and SEEN:
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(SEEN.items()))
        reporter.write_line(f"fuzzing: {sum(SEEN.values())} requests ({statuses})")


@schema.parametrize()
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_server_fail_or_break_its_schema(case, server):
    response = case.call_and_validate(base_url=server.url, excluded_checks=LEFT_OUT)
    SEEN[response.status_code] += 1
    assert response.status_code < 500
