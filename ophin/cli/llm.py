"""`ophin llm check`: is the configured model server reachable and does it answer what a run asks?"""

from __future__ import annotations

import typer

from ophin.cli.common import fail, load_settings, say

llm_app = typer.Typer(
    help="The model server of OPHIN_LLM__* (cue scoring, synthesis, judge).", no_args_is_help=True
)


@llm_app.command("check")
def check() -> None:
    """One structured request to the server in OPHIN_LLM__RESPONSE_FORMAT, uncached: served models,
    latency, whether the reply validated. Exits 1 when it did not."""
    from ophin.llm.probe import probe
    from ophin.services import build_llm_client

    settings = load_settings()
    if settings.llm.backend != "openai":
        raise fail(
            "OPHIN_LLM__BACKEND is offline: nothing to check (set it to openai and OPHIN_LLM__BASE_URL)"
        )
    llm = build_llm_client(settings)  # no database: a probe is never cached
    assert llm is not None  # noqa: S101 - type narrowing: build_llm_client returns a client for a set base_url
    result = probe(llm)
    say("server:", "bold", f"{settings.llm.base_url} lists {', '.join(result.models) or 'no models'}")
    if not result.ok:
        hint = ""
        if result.status is not None and settings.llm.response_format == "json_schema":
            hint = " (a server that refuses json_schema may take OPHIN_LLM__RESPONSE_FORMAT=json_object)"
        raise fail(f"model {settings.llm.model}: no valid structured reply: {result.error}{hint}")
    say(
        "ok:",
        "green",
        f"model {settings.llm.model} (served as {result.served_model}): a valid "
        f"{settings.llm.response_format} reply in {result.latency_s:.2f} s, {result.completion_tokens} tokens"
        + (", after a repair" if result.attempts > 1 else ""),
    )


def register(app: typer.Typer) -> None:
    app.add_typer(llm_app, name="llm")
