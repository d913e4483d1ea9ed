"""The failures a user of `ophin` can meet, each said in one line with what to do about it."""

from __future__ import annotations

import errno


def _first_line(text: object) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else ""


def describe(exc: BaseException) -> str | None:
    """One line for a known failure class; None for anything else (a bug: let its traceback show)."""
    import pydantic
    import sqlalchemy.exc

    from ophin.db.migrate import SchemaNotReady
    from ophin.db.session import DatabaseUrlError
    from ophin.quality.gates import QualityGateFailed
    from ophin.stages.export import ExportError

    if isinstance(exc, sqlalchemy.exc.ProgrammingError) and "does not exist" in str(exc.orig):
        return (
            f"the database has no ophin schema ({_first_line(exc.orig)}): it was dropped or never migrated; "
            "run `ophin db upgrade`"
        )
    if isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError):
        return (
            f"database unreachable: {_first_line(exc.orig)}; check OPHIN_DB__URL "
            "(leave it empty for the embedded PostgreSQL)"
        )
    if isinstance(exc, pydantic.ValidationError):
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return f"bad settings: {problems} (see README, Settings)"
    if isinstance(exc, OSError) and exc.errno in (
        errno.EACCES,
        errno.EROFS,
        errno.ENOTDIR,
        errno.EPERM,
        errno.ENOSPC,
    ):
        where = exc.filename or "OPHIN_HOME"
        return f"cannot write {where}: {exc.strerror}; point OPHIN_HOME at a writable folder"
    if isinstance(exc, SchemaNotReady | DatabaseUrlError):
        return str(exc)
    if isinstance(exc, ExportError | QualityGateFailed):
        return str(exc)
    return None
