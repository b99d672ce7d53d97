"""Engine creation and schema upgrades. The engine is created once per URL."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect

from data_access.settings import PROJECT_ROOT, get_settings

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-131072")  # 128 MiB page cache: bulk imports touch large indexes
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    """A new engine for ``url``; SQLite files get their folder and WAL mode."""
    if url.startswith("sqlite"):
        db_path = url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True)


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: the configured store)."""
    return _engine_for(url or get_settings().database_url)


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


get_engine.cache_clear = _engine_for.cache_clear  # type: ignore[attr-defined]


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` (Alembic)."""
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def is_current(engine: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current == script.get_current_head()


def ensure_schema(engine: Engine) -> None:
    """Upgrade to head unless already there (cheap check first)."""
    if not inspect(engine).has_table("alembic_version") or not is_current(engine):
        upgrade(engine)


def rows_frame(rows, columns: list[str]):
    """A DataFrame of query rows, with pandas' usual dtype inference.

    SQLAlchemy ``Row`` objects are converted to plain tuples first: pandas
    probes each row for namedtuple attributes, and a ``Row`` answers every
    unknown attribute through a slow exception path (about 10 µs a row;
    seconds for a region's tables).
    """
    import pandas as pd

    if not (isinstance(rows, list) and rows and type(rows[0]) is tuple):  # fetch_rows gives tuples already
        rows = [tuple(r) for r in rows]
    return pd.DataFrame(rows, columns=columns)


def fetch_rows(conn, stmt) -> list[tuple]:
    """All rows of ``stmt`` as plain tuples.

    A statement without bound values runs on the DBAPI cursor of the
    connection (``Connection.connection.dbapi_connection``), which skips
    SQLAlchemy's per-row result objects: about a third of reading a
    region's tables. The select of :func:`contract_select` needs no result
    processing on either backend (SQLite's dates come as text and are parsed
    in :func:`contract_frame`, booleans are coerced there). With bound
    values (filters), SQLAlchemy binds them as it stores them.
    """
    compiled = stmt.compile(dialect=conn.dialect)
    if compiled.params:
        return [tuple(r) for r in conn.execute(stmt).all()]
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(str(compiled))
        return cursor.fetchall()
    finally:
        cursor.close()


def contract_select(table: str, dialect: str):
    """``select()`` of a contract table's columns, in contract order, for :func:`contract_frame`.

    SQLite keeps dates as ISO text; they are selected as text and parsed in
    pandas (vectorised) instead of in SQLAlchemy's per-value result
    processors, which makes reading a region's tables several times faster.
    """
    from sqlalchemy import String, select, type_coerce

    from data_access.contract import TABLES
    from data_access.models import CONTRACT_MODELS

    model = CONTRACT_MODELS[table]
    return select(*[
        type_coerce(getattr(model, c.name), String()).label(c.name)
        if dialect == "sqlite" and c.type in ("date", "timestamp") else getattr(model, c.name)
        for c in TABLES[table].columns
    ])


def contract_frame(rows, table: str):
    """Rows of :func:`contract_select` as a frame in the contract's in-memory dtypes."""
    import pandas as pd

    from data_access.contract import TABLES, coerce_frame

    frame = rows_frame(rows, TABLES[table].column_names)
    for c in TABLES[table].columns:
        if c.type in ("date", "timestamp"):  # ISO text on SQLite; already datetimes elsewhere
            frame[c.name] = pd.to_datetime(frame[c.name], format="ISO8601", errors="coerce")
    return coerce_frame(frame, table)
