"""Store URLs: what they open, and clear refusals for what they cannot."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic

from mediation_adapters.storage import StoreError, open_bundle, redacted, schemes
from mediation_adapters.storage.postgres import PostgresDialect, connection_for, settings_of
from mediation_adapters.storage.registry import forms
from mediation_adapters.storage.sql import SqlBundle
from mediation_adapters.storage.sqlite import SQLiteDialect, store_path
from mediation_adapters.stores import open_store
from mediation_domain import InvalidInputError, Mediations
from mediation_domain.ports import Row, SelectAtLogEnd
from mediation_domain.testing import contract as testing_contract
from mediation_domain.testing import ports as testing_ports
from mediation_domain.testing import store as testing_store


def test_memory_and_sqlite_urls_select_their_stores(tmp_path: Path):
    memory = open_bundle("memory://").environment()["PERSISTENCE_MODULE"]
    assert memory == "mediation_adapters.storage.memory:MemoryFactory"
    assert store_path(f"sqlite:///{tmp_path}/x.db") == f"{tmp_path}/x.db"
    assert store_path("sqlite:///relative.db") == "relative.db"
    sqlite = open_bundle(f"sqlite:///{tmp_path}/x.db")
    assert sqlite.environment()["SQLITE_DBNAME"] == f"{tmp_path}/x.db"
    sqlite.close()


def test_every_store_is_found_through_the_entry_point_group():
    assert {"memory", "sqlite", "postgresql"} <= set(schemes())


def test_a_plug_in_that_cannot_be_imported_is_named_with_its_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # An outside tester's lite-store installed its metadata but not its module: the
    # message sent them to pip install 'mediation-domain[postgres]'.
    installed = tmp_path / "lite_store-0.1.dist-info"
    installed.mkdir()
    (installed / "METADATA").write_text("Metadata-Version: 2.1\nName: lite-store\nVersion: 0.1\n")
    (installed / "entry_points.txt").write_text(
        "[mediation_domain.stores]\nlite = lite_store_not_installed:FACTORY\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "lite" in schemes()
    with pytest.raises(StoreError) as refused:
        open_bundle(f"lite:///{tmp_path / 'cases.db'}")
    assert str(refused.value) == (
        "the lite:// store's plug-in (lite-store 0.1) cannot be imported"
        " (No module named 'lite_store_not_installed'): reinstall it"
    )
    assert "lite://..." in forms()  # --help still lists the scheme


def test_a_store_of_ours_without_its_driver_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.delitem(sys.modules, "mediation_adapters.storage.postgres")
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the extra were not installed
    with pytest.raises(StoreError) as refused:
        open_bundle("postgresql://ana@db/cases")
    assert str(refused.value).startswith("the postgresql:// store needs what is not installed")
    assert str(refused.value).endswith(
        "install its extra, pip install 'mediation-domain[postgres]'"
    )


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (
            "mysqlx://localhost/db",
            "no store is installed for 'mysqlx://': installed are .*sqlite://",
        ),
        ("cases.db", "expected SCHEME://"),
        ("sqlite://cases.db", "expected sqlite:///path"),
        ("sqlite:///", "expected sqlite:///path"),
        ("sqlite:///no/such/dir/cases.db", "directory 'no/such/dir' does not exist"),
        ("memory://somewhere", "takes no path"),
        ("sqlite:///:memory:", "keeps nothing; use memory://"),
        ("sqlite:///file::memory:?cache=shared", "keeps nothing; use memory://"),
        ("sqlite:///file:cases?mode=memory", "keeps nothing; use memory://"),
        ("postgresql://u@h/db?schema=a&schema=b", r"\?schema= is given 2 times"),
        ("postgresql://u@h/db?schema=", r"\?schema= is empty"),
    ],
)
def test_bad_store_urls_are_refused_with_a_clear_reason(url, says):
    with pytest.raises(StoreError, match=says) as refused:
        open_bundle(url)
    assert "\n" not in str(refused.value)


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    bogus.chmod(0o600)  # as a store file must be
    with pytest.raises(StoreError, match="cannot open store"):
        open_store(f"sqlite:///{bogus}")
    assert isinstance(StoreError("x"), InvalidInputError)


def test_a_sqlite_store_keeps_cases_across_openings(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'cases.sqlite3'}"
    first = open_store(url)
    case_id = first.request_mediation(
        domain="public-transport", neighbourhood="Beaulieu", referral="city", parties=["A"]
    )
    first.close()
    second = open_store(url)
    assert second.get_case(case_id).parties[0].name == "A"
    second.close()


def test_postgresql_urls_map_every_part():
    settings = settings_of("postgresql://ana:s%40cret@db.example:6543/cases?schema=poitiers")
    assert settings == {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": "cases",
        "POSTGRES_HOST": "db.example",
        "POSTGRES_PORT": "6543",
        "POSTGRES_USER": "ana",
        "POSTGRES_PASSWORD": "s@cret",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_SCHEMA": "poitiers",
        "APPLICATION_RECORDER_TOPIC": "mediation_adapters.storage.postgres:PostgresRecorder",
    }


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://u@h:port/db", "the port is not a number"),
        ("postgresql://u@h", "expected postgresql://user@host/dbname"),
        ("postgresql:///db", "expected postgresql://user@host/dbname"),
        ("postgresql://u@h/db?schema=Bad-Name", "invalid schema 'Bad-Name'"),
        ("postgresql://u@h/db?sslmode=require", "unknown option 'sslmode'"),
    ],
)
def test_malformed_postgresql_urls_are_refused(url, says):
    with pytest.raises(StoreError, match=says):
        settings_of(url)


def test_passwords_never_appear_in_messages():
    with pytest.raises(StoreError) as refused:
        open_bundle("postgresql://ana:topsecret@h:99999999/db")
    assert "topsecret" not in str(refused.value)
    assert "ana:***@h" in str(refused.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("pg://ana:Pa/ss9@h:5432/db?schema=x", "pg://ana:***@h:5432/db?schema=x"),
        ("pg://ana:Pa@ss9@h/db", "pg://ana:***@h/db"),
        ("pg://ana:@h/db", "pg://ana:***@h/db"),
        ("pg://h/db?password=Pa55&schema=a", "pg://h/db?password=***&schema=a"),
        ("pg://h/db?sslmode=x&PWD=Pa55", "pg://h/db?sslmode=x&PWD=***"),
        ("mariadb://root@h:3306/db", "mariadb://root@h:3306/db"),
        ("sqlite:///a:b@c.db", "sqlite:///a:b@c.db"),  # a path, not a user
        ("memory://", "memory://"),
    ],
)
def test_redacted_hides_a_password_however_it_is_written(url, shown):
    # The outside tryout's password with a '/' was shown whole, one with an '@' in part.
    assert redacted(url) == shown


@pytest.mark.parametrize("password", ["Pa/ss9", "Pa@ss9", "p%40ss"])
def test_a_refused_url_never_shows_its_password(password):
    with pytest.raises(StoreError) as refused:
        open_bundle(f"postgresql://ana:{password}@h:99999999/db")
    assert password not in str(refused.value)
    assert "ana:***@" in str(refused.value)


def test_a_sql_bundle_refuses_an_events_table_its_store_does_not_have(tmp_path: Path):
    path = str(tmp_path / "cases.sqlite3")
    events = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}
    with pytest.raises(StoreError, match="the events table 'stored_event' is not in the store"):
        SqlBundle("lite", SQLiteDialect(path), events, events_table="stored_event")
    found = SqlBundle("lite", SQLiteDialect(path), events)  # the recorder's own, by default
    found.close()


def test_a_sql_bundle_reads_the_logs_end_with_pages_by_the_column_it_has(tmp_path: Path):
    path = str(tmp_path / "cases.sqlite3")
    events = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}
    with pytest.raises(StoreError, match=r"has no column 'position' .*notification_id="):
        SqlBundle("lite", SQLiteDialect(path), events, notification_id="position")
    bundle = SqlBundle("lite", SQLiteDialect(path), events)  # SQLite's recorder: rowid
    projections = bundle.projections()
    assert isinstance(projections, SelectAtLogEnd)
    projections.declare("pages", {"pages": ()})
    assert projections.select_at_log_end("pages", "pages") == (None, 0, [])
    projections.close()
    bundle.close()


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda url: url.replace(":5432/", ":1/"), "Connection refused"),
        (lambda url: url.replace("://postgres@", "://nobody:pw@"), 'role "nobody" does not exist'),
        (lambda url: url.replace("/test", "/no_such_database"), "does not exist"),
    ],
)
def test_an_unreachable_postgresql_is_one_clear_line(postgres_server: str, change, says):
    url = change(postgres_server)
    with pytest.raises(StoreError, match=says) as refused:
        open_store(url)
    assert "\n" not in str(refused.value)
    assert ":pw@" not in str(refused.value)


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="reads Linux's /proc/locks")
def test_opening_a_store_again_keeps_the_locks_sqlite_holds_for_open_connections(tmp_path):
    """Closing any descriptor of a database file drops this process's POSIX locks on it.

    The set-up lock once opened the database file itself: a second open_store in a process
    released the locks of its open connections, and a writer elsewhere could then reset
    the WAL under them ("disk I/O error" under load).
    """
    path = tmp_path / "cases.sqlite3"
    first = open_store(f"sqlite:///{path}")
    first.list_cases()
    inode = f":{path.stat().st_ino} "

    def held() -> list[str]:
        return [line for line in Path("/proc/locks").read_text().splitlines() if inode in line]

    before = held()
    assert before, "SQLite holds a lock on an open WAL database"
    second = open_store(f"sqlite:///{path}")
    assert held() == before
    second.close()
    first.close()


def test_postgresql_plans_reads_for_their_values_without_jit_nor_parallel_workers(
    postgres_url: str,
):
    # Without statistics (autovacuum off, a table just filled), the planner guessed a read
    # of 50 cases among 1M events at a quarter of the table and compiled it: 93 ms for a
    # 1 ms read (growth.py: a mediator's page 16 ms at 10k events, 78 ms at 1M); or read
    # it with two parallel workers: 6 ms for a 0.4 ms read; or planned a prepared page
    # once for any mediator: 146 ms for a 0.2 ms read.
    app = open_store(postgres_url)
    try:
        case_id = app.request_mediation(
            domain="public-transport", neighbourhood="Beaulieu", referral="city", parties=["A"]
        )
        assert [e.originator_id for e in app.recorder.select_events_of([case_id])] == [case_id]
        pool = app.recorder.datastore  # type: ignore[attr-defined]
        with pool.get_connection() as one, pool.get_connection() as other:  # any of the pool's
            assert one is not other  # two of the pool's connections, not one twice
            for connection in (one, other):
                assert connection.execute("SHOW jit").fetchone()["jit"] == "off"
                workers = connection.execute("SHOW max_parallel_workers_per_gather").fetchone()
                assert workers["max_parallel_workers_per_gather"] == "0"
                plans = connection.execute("SHOW plan_cache_mode").fetchone()
                assert plans["plan_cache_mode"] == "force_custom_plan"
    finally:
        app.close()
    own = PostgresDialect(settings_of(postgres_url)).connect()  # keys, ledger, projections
    try:
        assert own.execute("SHOW jit").fetchone()[0] == "off"
        assert own.execute("SHOW max_parallel_workers_per_gather").fetchone()[0] == "0"
        assert own.execute("SHOW plan_cache_mode").fetchone()[0] == "force_custom_plan"
    finally:
        own.close()


def test_postgresql_gathers_statistics_on_projection_tables_as_they_grow(postgres_url: str):
    # Without statistics (a table just filled; a server without autovacuum) the planner
    # guessed a page of 50 cases among 1M events at a third of the table: 32 ms, not 0.1.
    bundle = open_bundle(postgres_url)
    store = bundle.projections()
    assert isinstance(store, SelectAtLogEnd)  # PostgreSQL pages are one statement
    store.declare("grown", {"grown": ("place",)})
    with connection_for(postgres_url.partition("?")[0]) as connection:  # ours alone analyse
        schema = postgres_url.rpartition("=")[2]
        connection.execute(f"ALTER TABLE {schema}.mediation_p_grown SET (autovacuum_enabled = off)")

    def analysed() -> bool:
        with connection_for(postgres_url.partition("?")[0]) as connection:
            found = connection.execute(
                "SELECT 1 FROM pg_stats WHERE schemaname = %s AND tablename = %s",
                (postgres_url.rpartition("=")[2], "mediation_p_grown"),
            ).fetchall()
        return bool(found)

    try:
        with store.writing("grown") as tx:
            tx.reset(1, b"")
            tx.put("grown", {f"k{n}": Row("{}", {"place": f"p{n % 7}"}, n) for n in range(999)})
        assert not analysed()
        with store.writing("grown") as tx:
            tx.put("grown", {"k999": Row("{}", {"place": "p0"}, 999)})
        assert analysed()
    finally:
        store.close()
        bundle.close()


class _StatementWithSemicolon(SQLiteApplicationRecorder):
    """A recorder whose query of its last id ends with ';', as a third party's might."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.select_max_notification_id_statement += ";"


def test_a_recorders_own_query_of_its_last_id_is_taken_without_its_semicolon(tmp_path: Path):
    # The outside tryout's: the store opened, then every page failed ('near ";"').
    path = str(tmp_path / "cases.sqlite3")
    events = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": path,
        "APPLICATION_RECORDER_TOPIC": get_topic(_StatementWithSemicolon),
    }
    bundle = SqlBundle("lite", SQLiteDialect(path), events)
    app = Mediations(store=bundle)
    try:
        case = app.request_mediation(
            domain="public-transport", neighbourhood="Beaulieu", referral="city", parties=["A"]
        )
        assert [view.case_id for view in app.cases_page(limit=5).cases] == [case]
    finally:
        app.close()
        bundle.close()


def test_the_contract_suites_show_the_values_they_compare():
    # Installed, they are not test modules: pytest rewrites their asserts because the
    # package registers them, so a failing port shows what it returned.
    for module in (testing_contract, testing_ports, testing_store):
        assert "@py_builtins" in vars(module)


def test_a_projection_table_emptied_and_refilled_is_analysed_again(tmp_path: Path, monkeypatch):
    # The review's: the counts survived a reset, so a rebuild in a running server analysed
    # its tables once, 5% into the refill, and never again.
    bundle = open_bundle(f"sqlite:///{tmp_path / 'cases.sqlite3'}")
    store = bundle.projections()
    store.declare("grown", {"grown": ("place",)})
    analysed: list[str] = []
    monkeypatch.setattr(store.db.dialect, "analyze", lambda _db, table: analysed.append(table))
    rows = {f"k{n}": Row("{}", {"place": "p"}, n) for n in range(1000)}
    try:
        with store.writing("grown") as tx:
            tx.reset(1, b"")
            tx.put("grown", rows)
        assert analysed == ["mediation_p_grown"]
        with store.writing("grown") as tx:
            tx.put("grown", rows)  # 2,000 changed: analysed again at each doubling
        assert analysed == ["mediation_p_grown"] * 2
        with store.writing("grown") as tx:
            tx.reset(2, b"")
            tx.put("grown", rows)  # emptied, then 1,000 rows: a new table to the planner
        assert analysed == ["mediation_p_grown"] * 3
    finally:
        store.close()
        bundle.close()
