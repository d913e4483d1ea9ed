"""What every `ophin` command shares: one-line labelled output, settings and services built lazily."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.text import Text

console = Console(stderr=True, soft_wrap=True)  # one-line reasons stay on one line


def say(label: str, style: str, message: str) -> None:
    """A labelled line; the message (URLs, errors) is printed as text, never parsed as rich markup."""
    console.print(Text.assemble((label, style), " ", message))


def fail(message: str) -> typer.Exit:
    say("error:", "red", message)
    return typer.Exit(code=1)


def usage_error(message: str) -> typer.Exit:
    """A bad argument or setting: one line, exit code 2 (as click's own usage errors)."""
    say("error:", "red", message)
    return typer.Exit(code=2)


def load_settings():  # noqa: ANN202 - ophin.settings.Settings, imported lazily
    from ophin.settings import get_settings

    return get_settings()


def load_services(runner: str = "cli", settings=None):  # noqa: ANN001, ANN202 - Services, imported lazily
    from ophin.db.migrate import upgrade
    from ophin.db.session import get_engine
    from ophin.services import build_services

    settings = settings or load_settings()
    upgrade(get_engine(settings))  # idempotent; a fresh OPHIN_HOME needs no separate step
    return build_services(settings, runner=runner)
