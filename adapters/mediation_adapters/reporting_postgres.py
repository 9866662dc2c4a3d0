"""The report's facts in PostgreSQL (needs the postgres extra): see `reporting`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg.sql import SQL, Identifier

from mediation_adapters.reporting import READ_CHUNK, FactsRecorder, dumps, loads
from mediation_domain.reports import CaseFacts


class PostgresFactsRecorder(PostgresTrackingRecorder, FactsRecorder):
    """The facts in the store's PostgreSQL schema, beside eventsourcing's tracking table."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        super().__init__(*args, **kwargs)
        schema = Identifier(self.datastore.schema)
        self._sql = {
            name: SQL(text).format(
                schema=schema,
                facts=Identifier("report_facts"),
                meta=Identifier("report_facts_meta"),
                tracking=Identifier(self.tracking_table_name),
            )
            for name, text in {
                "create_facts": "CREATE TABLE IF NOT EXISTS {schema}.{facts} "
                "(case_id text PRIMARY KEY, facts text)",
                "create_meta": "CREATE TABLE IF NOT EXISTS {schema}.{meta} "
                "(id integer PRIMARY KEY, version integer, hash_key bytea)",
                "lock": "SELECT pg_advisory_xact_lock(hashtext(%s))",
                "meta": "SELECT version, hash_key FROM {schema}.{meta} WHERE id = 1",
                "reset_facts": "DELETE FROM {schema}.{facts}",
                "reset_tracking": "DELETE FROM {schema}.{tracking} WHERE application_name = %s",
                "reset_meta": "INSERT INTO {schema}.{meta} VALUES (1, %s, %s) ON CONFLICT (id) "
                "DO UPDATE SET version = excluded.version, hash_key = excluded.hash_key",
                "load": "SELECT case_id, facts FROM {schema}.{facts} WHERE case_id = ANY(%s)",
                "save": "INSERT INTO {schema}.{facts} VALUES (%s, %s) ON CONFLICT (case_id) "
                "DO UPDATE SET facts = excluded.facts",
                "all": "SELECT facts FROM {schema}.{facts}",
            }.items()
        }
        self.sql_create_statements += [self._sql["create_facts"], self._sql["create_meta"]]

    @contextmanager
    def locked(self) -> Iterator[Any]:
        """An advisory lock for the transaction: refreshes of one schema take turns."""
        with self.datastore.transaction(commit=True) as tx:
            tx.execute(self._sql["lock"], (f"mediation report facts {self.datastore.schema}",))
            yield tx

    def meta(self, tx: Any) -> tuple[int, bytes] | None:  # noqa: ANN401
        """See FactsRecorder."""
        tx.execute(self._sql["meta"])
        row = tx.fetchone()
        return None if row is None else (int(row["version"]), bytes(row["hash_key"]))

    def reset(self, tx: Any, application_name: str, version: int, key: bytes) -> None:  # noqa: ANN401
        """See FactsRecorder."""
        tx.execute(self._sql["reset_facts"])
        tx.execute(self._sql["reset_tracking"], (application_name,))
        tx.execute(self._sql["reset_meta"], (version, key))

    def position(self, tx: Any, application_name: str) -> int | None:  # noqa: ANN401
        """See FactsRecorder."""
        return self._max_tracking_id(application_name, tx)

    def load(self, tx: Any, cases: Sequence[str]) -> dict[str, CaseFacts]:  # noqa: ANN401
        """See FactsRecorder."""
        tx.execute(self._sql["load"], (list(cases),))
        return {row["case_id"]: loads(row["facts"]) for row in tx.fetchall()}

    def save(self, tx: Any, facts: dict[str, CaseFacts], tracking: Tracking) -> None:  # noqa: ANN401
        """See FactsRecorder."""
        tx.executemany(self._sql["save"], [(case, dumps(f)) for case, f in facts.items()])
        self._insert_tracking(tx, tracking)

    def all_facts(self) -> Iterator[CaseFacts]:
        """See FactsRecorder (a server-side cursor: memory stays flat)."""
        with (
            self.datastore.get_connection() as connection,
            connection.transaction(),
            connection.cursor(name="report_facts") as cursor,
        ):
            cursor.execute(self._sql["all"])
            while rows := cursor.fetchmany(READ_CHUNK):
                yield from (loads(row["facts"]) for row in rows)
