"""Engine and session factory; starts the embedded PostgreSQL when no URL is configured."""

from __future__ import annotations

import atexit
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from ophin.settings import Settings


def embedded_postgres_url(home: Path) -> str:
    """Start (or reuse) a real PostgreSQL 16 from the pgserver wheel with its data under OPHIN_HOME."""
    pgdata = home / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        import pgserver  # heavy: only when the embedded database is actually used

        # cleanup_mode=None: the server outlives this process so the CLI, DAG tasks and tests share it.
        server = pgserver.get_server(pgdata, cleanup_mode=None)
    return server.get_uri()


class DatabaseUrlError(ValueError):
    """OPHIN_DB__URL names no database SQLAlchemy can open (said without the URL: it may hold a password)."""


def database_url(settings: Settings) -> str:
    url = settings.db.url or embedded_postgres_url(settings.home_dir)
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() in ("postgresql", "postgres"):  # "postgres://": libpq's spelling too
        url = "postgresql+psycopg2://" + rest
    return url


@lru_cache(maxsize=8)
def _engine_for(url: str, echo: bool) -> Engine:
    import sqlalchemy.exc

    try:
        return create_engine(url, echo=echo, pool_pre_ping=True, future=True)
    except (sqlalchemy.exc.ArgumentError, ImportError) as exc:  # a bad URL, a dialect or driver not here
        raise DatabaseUrlError(
            f"OPHIN_DB__URL cannot be opened ({type(exc).__name__}); expected "
            "postgresql://user[:password]@host[:port]/database, or empty for the embedded PostgreSQL"
        ) from None


def get_engine(settings: Settings) -> Engine:
    return _engine_for(database_url(settings), settings.db.echo)


def session_factory(settings: Settings) -> sessionmaker[Session]:
    return sessionmaker(get_engine(settings), expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def stop_embedded_postgres(home: Path) -> None:
    """Stop the embedded server under OPHIN_HOME (tests and `make clean`; the CLI leaves it running)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(home / "pgdata", cleanup_mode="stop")
        server.cleanup_mode = "stop"  # the handle may be the one embedded_postgres_url() opened with None
        server.cleanup()
        # In 'stop' mode pgserver leaves its atexit hook, which later logs to a closed stream.
        atexit.unregister(server._cleanup)
