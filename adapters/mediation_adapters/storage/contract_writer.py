"""A writer in another process, for the store contract's log-order test.

    python -m mediation_adapters.storage.contract_writer STORE_URL CASES

records CASES cases as the contract's own writers do (`testing.store.record_cases`).
"""

from __future__ import annotations

import sys
from contextlib import closing

from mediation_adapters.bootstrap import open_store
from mediation_domain.testing.store import record_cases


def main(argv: list[str]) -> int:
    """Record the cases; 0 when done, 2 (and the usage) when the arguments are not that."""
    if len(argv) != 2 or not argv[1].isdigit():  # noqa: PLR2004 - URL and count
        sys.stderr.write("usage: python -m mediation_adapters.storage.contract_writer URL CASES\n")
        return 2
    url, count = argv
    with closing(open_store(url)) as app:
        record_cases(app, int(count))
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a process by the contract suite
    sys.exit(main(sys.argv[1:]))
