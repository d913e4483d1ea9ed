"""The model path against a real local server (llama.cpp, Qwen2.5-Coder-0.5B on CPU): synthesis requests built
from the sample corpus's cue sentences with the engine's own prompts, schema and check, through LlmClient.

Per concurrency (1, 4, 16): instructions/s, tokens/s, latency, and the share of replies that failed
validation before a repair and after one. Then the request pattern (prompt/completion tokens per request),
what the response cache costs per hit against a real call, and how the server answers a json_schema
response_format and an image part (facts the settings rely on). A few requests, small max_tokens: about
5 minutes on 2 busy cores. llama-cpp-python's server runs one request at a time, so the concurrency levels
show queueing, not batching; at 16 the default 8 requests are all in flight at once. It starts a server of
its own on a free port unless --port names one already running.

    python -m bench.llm [--port 8011] [--requests 2 4 8] [--max-tokens 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openai

from eval.corpus import ground_truth
from ophin.llm.cache import MemoryResponseCache
from ophin.llm.client import LlmCall, LlmClient, Sampling, StructuredOutputError
from ophin.llm.local_server import (
    DEFAULT_MODELS_DIR,
    QWEN_CODER_05B,
    LlamaServer,
    ensure_model,
    free_port,
    port_open,
    served_models,
)
from ophin.llm.pool import map_concurrent
from ophin.synthesis.base import KINDS, InstructionKind, PairContext
from ophin.synthesis.openai_chat import PROMPT_VERSION, TurnsReply, check_turns, render_prompt

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
RED_PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415478"
    "9c63f8cfc000000301010018dd8db00000000049454e44ae426082"
)


def corpus_pairs() -> list[PairContext]:
    """One pair per clinical scene of both sample sets: its image-describing sentences are the cues."""
    pairs = []
    for set_name in ("demo", "heldout"):
        for video in ground_truth(set_name)["videos"]:
            for scene in video["scenes"]:
                cues = tuple(s["text"] for s in scene["sentences"] if s.get("describes_image"))
                if scene.get("clinical_image") and cues:
                    transcript = " ".join(s["text"] for s in scene["sentences"])
                    pairs.append(PairContext(f"{video['file']}#{scene['index']}", cues, transcript))
    return pairs


def work_items(count: int, offset: int) -> list[tuple[PairContext, InstructionKind]]:
    """Distinct (pair, kind) requests (no two share a cache key), kind by kind as the prompts cycle."""
    pairs = corpus_pairs()
    combos = [(p, k) for k in KINDS for p in pairs]
    return [combos[(offset + i) % len(combos)] for i in range(count)]


def synthesize(client: LlmClient, item: tuple[PairContext, InstructionKind], sampling: Sampling) -> LlmCall:
    ctx, kind = item
    _, call = client.structured(
        [{"role": "user", "content": render_prompt(ctx, kind)}],
        TurnsReply,
        prompt_version=f"synthesis/{kind}.{PROMPT_VERSION}",
        sampling=sampling,
        check=check_turns,
    )
    return call


def run_level(
    client: LlmClient, concurrency: int, items: list[tuple[PairContext, InstructionKind]], sampling: Sampling
) -> dict[str, Any]:
    started = time.perf_counter()
    outcomes = map_concurrent(lambda item: synthesize(client, item, sampling), items, concurrency)
    wall = time.perf_counter() - started
    calls = [o.value for o in outcomes if o.value is not None]
    calls += [o.error.call for o in outcomes if isinstance(o.error, StructuredOutputError)]
    transport = [
        o.error for o in outcomes if o.error is not None and not isinstance(o.error, StructuredOutputError)
    ]
    valid = sum(1 for o in outcomes if o.value is not None)
    completion = sum(c.completion_tokens for c in calls)
    prompt = sum(c.prompt_tokens for c in calls)
    latencies = [c.latency_s for c in calls]
    return {
        "concurrency": concurrency,
        "requests": len(items),
        "wall_s": round(wall, 1),
        "instructions_per_s": round(valid / wall, 3),
        "completion_tokens_per_s": round(completion / wall, 1),
        "prompt_tokens_per_s": round(prompt / wall, 1),
        "latency_p50_s": round(statistics.median(latencies), 1) if latencies else None,
        "latency_max_s": round(max(latencies), 1) if latencies else None,
        "failed_first_try": sum(1 for c in calls if c.attempts == 2 or c.failures),
        "failed_after_repair": len(items) - valid - len(transport),
        "transport_errors": [type(e).__name__ for e in transport],
        "pattern": [(c.prompt_tokens, c.completion_tokens, c.attempts) for c in calls],
        "failures": [f for c in calls for f in c.failures][:3],
        "items": items,
        "calls": calls,
    }


@contextmanager
def response_cache() -> Iterator[tuple[str, Any]]:
    """The engine's cache (the llm_response table) in a throwaway database on the machine's PostgreSQL, else
    an in-process dict (then the figure is only the client's own overhead)."""
    import sqlalchemy as sa
    from sqlalchemy.orm import sessionmaker

    from ophin.db.migrate import upgrade
    from ophin.llm.cache import DbResponseCache

    try:
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        admin.connect().close()
    except sa.exc.OperationalError:
        yield "in-process dict", MemoryResponseCache()
        return
    name = f"ophin_bench_llm_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = sa.create_engine(sa.engine.make_url(PG_ADMIN).set(database=name))
    try:
        upgrade(engine)
        yield "postgres llm_response", DbResponseCache(sessionmaker(engine))
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def cache_cost(
    client: LlmClient, level: dict[str, Any], sampling: Sampling, rounds: int = 10
) -> dict[str, Any]:
    """The first level's requests again: every one a cache hit now (validated, stored by the first run)."""
    items, real = level["items"], [c.latency_s for c in level["calls"] if c.attempts == 1]
    started = time.perf_counter()
    calls = [synthesize(client, item, sampling) for _ in range(rounds) for item in items]
    hit_ms = (time.perf_counter() - started) * 1000 / len(calls)
    assert all(c.cached for c in calls), "a repeated request was not answered from the cache"
    return {
        "hits": len(calls),
        "cached_call_ms": round(hit_ms, 2),
        "real_call_ms": round(1000 * statistics.mean(real)) if real else None,
    }


def server_facts(openai_client: openai.OpenAI) -> dict[str, str]:
    """What the server does with the request shapes the settings can send."""
    schema = TurnsReply.model_json_schema()
    message = [{"role": "user", "content": 'Reply {"turns": []}'}]
    shapes = {
        "json_schema": {
            "type": "json_schema",
            "json_schema": {"name": "T", "schema": schema, "strict": True},
        },
        "json_object+schema": {"type": "json_object", "schema": schema},
    }
    facts = {}
    for label, fmt in shapes.items():
        try:
            r = openai_client.chat.completions.create(
                model=QWEN_CODER_05B.alias,
                messages=message,
                max_tokens=40,
                response_format=fmt,
                temperature=0,
            )  # type: ignore[call-overload]
            facts[label] = f"200, model={r.model!r}, content={r.choices[0].message.content!r}"[:200]
        except openai.APIStatusError as exc:
            facts[label] = f"{exc.status_code}: {str(exc.body)[:160]}"
    image = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What colour is this image? One word."},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64," + _b64(RED_PIXEL_PNG)}},
            ],
        }
    ]
    try:
        r = openai_client.chat.completions.create(
            model=QWEN_CODER_05B.alias, messages=image, max_tokens=12, temperature=0
        )  # type: ignore[arg-type]
        usage = r.usage.prompt_tokens if r.usage else "?"
        facts["image_url part"] = f"200, prompt_tokens={usage}, content={r.choices[0].message.content!r}"
    except openai.APIStatusError as exc:
        facts["image_url part"] = f"{exc.status_code}: {str(exc.body)[:160]}"
    return facts


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


@contextmanager
def local_server(models_dir: Path, port: int | None) -> Iterator[str]:
    """A private server on a free port (nobody else's requests in the figures), or the one already
    running on port (`make llm-server`, which others may be using too)."""
    if port is None:
        model = ensure_model(models_dir)
        with LlamaServer(model, free_port(), log_path=model.parent / "llama-server-bench.log") as server:
            yield server.base_url
        return
    base_url = f"http://127.0.0.1:{port}/v1"
    if not port_open(port):
        raise SystemExit(f"nothing listens on {base_url}: start it with `make llm-server`, or drop --port")
    models = served_models(base_url, timeout_s=600)  # waits behind a running completion
    if models is None or QWEN_CODER_05B.alias not in models:
        raise SystemExit(f"{base_url} serves {models}, not {QWEN_CODER_05B.alias}")
    yield base_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    parser.add_argument("--port", type=int, default=None, help="measure the server already on this port")
    parser.add_argument("--requests", type=int, nargs=3, default=[2, 4, 8], metavar=("C1", "C4", "C16"))
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sampling = Sampling(temperature=0.2, max_tokens=args.max_tokens, seed=7)
    started, load = time.perf_counter(), os.getloadavg()[0]
    with local_server(args.models_dir, args.port) as base_url, response_cache() as (where, cache):
        # Queued requests wait on the server's lock inside their own timeout: a generous one.
        raw = openai.OpenAI(base_url=base_url, api_key="local", timeout=900, max_retries=0)
        facts = server_facts(raw)
        rows, offset = [], 0
        for concurrency, count in zip((1, 4, 16), args.requests, strict=True):
            client = LlmClient(
                raw,
                QWEN_CODER_05B.alias,
                cache=cache,
                response_format="json_object",
                max_in_flight=concurrency,
            )
            rows.append(run_level(client, concurrency, work_items(count, offset), sampling))
            offset += count  # distinct requests throughout: no level is helped by the cache
        cost = {"cache": where, **cache_cost(client, rows[0], sampling)}
    for row in rows:
        del row["items"], row["calls"]
    report = {"server": base_url, "facts": facts, "levels": rows, "cache": cost}
    report["total_s"] = round(time.perf_counter() - started, 1)
    report["load_1min"] = [round(load, 2), round(os.getloadavg()[0], 2)]  # at start and end: shared cores
    if args.json:
        print(json.dumps(report, indent=2))
        return
    _print(report, sampling)


def _print(report: dict[str, Any], sampling: Sampling) -> None:
    print(f"llama.cpp {QWEN_CODER_05B.alias} at {report['server']}, max_tokens={sampling.max_tokens}")
    head = f"{'conc':>4} {'reqs':>4} {'wall s':>7} {'instr/s':>8} {'compl tok/s':>11} {'prompt tok/s':>12}"
    print(head + f" {'p50 s':>6} {'max s':>6} {'bad 1st':>7} {'bad after repair':>16}")
    for r in report["levels"]:
        print(
            f"{r['concurrency']:>4} {r['requests']:>4} {r['wall_s']:>7} {r['instructions_per_s']:>8} "
            f"{r['completion_tokens_per_s']:>11} {r['prompt_tokens_per_s']:>12} {r['latency_p50_s']:>6} "
            f"{r['latency_max_s']:>6} {r['failed_first_try']:>7} {r['failed_after_repair']:>16}"
            + (f"  transport errors: {r['transport_errors']}" if r["transport_errors"] else "")
        )
    pattern = [p for r in report["levels"] for p in r["pattern"]]
    prompts, completions = [p[0] for p in pattern], [p[1] for p in pattern]
    total = sum(r["requests"] for r in report["levels"])
    first = sum(r["failed_first_try"] for r in report["levels"])
    after = sum(r["failed_after_repair"] for r in report["levels"])
    print(f"JSON failures: {first}/{total} before repair, {after}/{total} after one repair")
    med_p, med_c = statistics.median(prompts), statistics.median(completions)
    print(
        f"request pattern: prompt tokens {min(prompts)}-{max(prompts)} (median {med_p}), "
        f"completion tokens {min(completions)}-{max(completions)} (median {med_c})"
    )
    c = report["cache"]
    print(
        f"cache ({c['cache']}): {c['cached_call_ms']} ms per hit vs {c['real_call_ms']} ms for the real call"
    )
    for label, fact in report["facts"].items():
        print(f"server, {label}: {fact}")
    for r in report["levels"]:
        for failure in r["failures"]:
            print(f"  failure (c={r['concurrency']}): {failure[:200]}")
    print(
        f"total {report['total_s']} s; 1-min load average {report['load_1min'][0]} at start, "
        f"{report['load_1min'][1]} at end"
    )


if __name__ == "__main__":
    main()
