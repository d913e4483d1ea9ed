"""`python -m ophin.cli`: the `ophin` command."""

from ophin.cli.app import app

app()
