"""`ophin llm check` against a local server of the OpenAI protocol: a valid reply, a refused response format,
and a reply that is not the JSON asked for."""

from __future__ import annotations

import json

import openai
from typer.testing import CliRunner

from ophin.cli.app import app
from ophin.llm.client import LlmClient
from ophin.llm.probe import probe
from tests.fakes.openai_server import FakeOpenAIServer

GOOD = json.dumps({"finding": "cupped disc", "visible": True})


def _client(server: FakeOpenAIServer) -> LlmClient:
    return LlmClient(openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0), "served-model")


def test_probe_reports_models_latency_and_a_valid_reply() -> None:
    with FakeOpenAIServer(lambda request: GOOD, models=("served-model",)) as server:
        result = probe(_client(server))
        (completion,) = [r for r in server.requests if r.method == "POST"]
    assert result.ok and result.models == ["served-model"] and result.served_model == "served-model"
    assert result.attempts == 1 and result.latency_s is not None and result.completion_tokens
    assert completion.json["response_format"]["type"] == "json_schema"


def test_probe_reports_a_refused_response_format_with_its_status() -> None:
    refuse = {"status": 500, "body": {"error": {"message": "Input should be 'text' or 'json_object'"}}}
    with FakeOpenAIServer(lambda request: refuse) as server:
        result = probe(_client(server))
    assert not result.ok and result.status == 500 and "json_object" in (result.error or "")


def test_probe_refuses_a_reply_that_is_not_the_json_asked_for() -> None:
    with FakeOpenAIServer(lambda request: "Sure, a cupped disc.") as server:
        result = probe(_client(server))
        posts = [r for r in server.requests if r.method == "POST"]
    assert not result.ok and result.status is None and "StructuredOutputError" in (result.error or "")
    assert len(posts) == 2  # the reply and its one repair


def test_llm_check_exits_1_and_suggests_json_object_when_json_schema_is_refused(monkeypatch) -> None:  # noqa: ANN001
    refuse = {"status": 500, "body": {"error": {"message": "Input should be 'text' or 'json_object'"}}}
    with FakeOpenAIServer(lambda request: refuse) as server:
        monkeypatch.setenv("OPHIN_LLM__BACKEND", "openai")
        monkeypatch.setenv("OPHIN_LLM__BASE_URL", server.base_url)
        monkeypatch.setenv("OPHIN_LLM__MAX_RETRIES", "0")
        from ophin.settings import get_settings

        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(app, ["llm", "check"])
        finally:
            get_settings.cache_clear()
    assert result.exit_code == 1
    assert "OPHIN_LLM__RESPONSE_FORMAT=json_object" in result.output
