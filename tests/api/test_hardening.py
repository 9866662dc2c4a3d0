"""What an outside security review found at the HTTP edge, each as a test (issue 13)."""

from __future__ import annotations

import pytest

from .conftest import Server
from .test_api import _open_case, _problem

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_trailing_slash_is_a_404_never_a_redirect_built_from_the_host_header(
    server: Server, method: str
):
    case = _open_case(server)
    with server.client() as anonymous:
        answer = anonymous.request(
            method, f"/cases/{case['case_id']}/", headers={"Host": "evil.example"}
        )
    assert "location" not in answer.headers
    _problem(answer, 404, "not-found")
