"""The real local LLM server for tests: llama.cpp serving Qwen2.5-Coder-0.5B on a free 127.0.0.1 port, once
per session, or a skip that names the make target to run. Tests never download the model themselves."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ophin.llm.local_server import (
    GgufError,
    LlamaServer,
    ensure_model,
    free_port,
    llama_cpp_installed,
    llm_env,
)
from ophin.settings import LlmSettings

REPO = Path(__file__).resolve().parents[2]


def models_dir() -> Path:
    return Path(os.environ.get("OPHIN_TEST_LLM_MODELS_DIR", REPO / ".ophin" / "models"))


def llm_settings(server: LlamaServer, **overrides: object) -> LlmSettings:
    """The engine's llm settings for this server (the same values `make llm-server` prints)."""
    values = {k.removeprefix("OPHIN_LLM__").lower(): v for k, v in llm_env(server.base_url).items()}
    return LlmSettings.model_validate({**values, **overrides})


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    if not llama_cpp_installed():
        pytest.skip("llama-cpp-python is not installed in this venv: run `make llm-build` (compiles once)")
    try:
        path = ensure_model(models_dir(), download=False)
    except (FileNotFoundError, GgufError) as exc:
        pytest.skip(f"no local LLM model ({exc}): run `make llm-model`")
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with LlamaServer(path, free_port(), log_path=log) as server:
        yield server
