"""The response cache in Postgres (real database) and LlmClient's use of it: a hit asks nothing, anything that
shapes the reply is part of the key, only replies that validated are kept."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import openai
import pytest
import sqlalchemy as sa
from PIL import Image
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session, sessionmaker

from ophin.db.models import LlmResponse
from ophin.db.session import session_scope
from ophin.llm.cache import DbResponseCache
from ophin.llm.client import CachedReply, LlmCall, LlmClient, Sampling, StructuredOutputError
from ophin.llm.images import user_message
from tests.fakes.openai_server import FakeOpenAIServer


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    score: float


class Labelled(BaseModel):
    label: str


GOOD = json.dumps({"label": "cupping", "score": 0.8})
USAGE = {"prompt_tokens": 120, "completion_tokens": 17}


@pytest.fixture(scope="module")
def sessions(make_database) -> sessionmaker[Session]:  # noqa: ANN001
    return sessionmaker(sa.create_engine(make_database()))


@pytest.fixture
def cache(sessions: sessionmaker[Session]) -> Iterator[DbResponseCache]:
    with session_scope(sessions) as session:
        session.execute(sa.delete(LlmResponse))
    yield DbResponseCache(sessions)


class Replies:
    """The fake model's answer: GOOD with fixed usage unless told otherwise; a list is answered in order
    (the last one repeating)."""

    def __init__(self) -> None:
        self.answer: Any = {"content": GOOD, "usage": USAGE, "model": "served-7b"}
        self._lock = threading.Lock()

    def __call__(self, request: dict[str, Any]) -> str | dict[str, Any]:
        with self._lock:
            if isinstance(self.answer, list):
                return self.answer.pop(0) if len(self.answer) > 1 else self.answer[0]
            return self.answer


@pytest.fixture
def replies() -> Replies:
    return Replies()


@pytest.fixture
def server(replies: Replies) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(replies) as srv:
        yield srv


def llm_for(
    server: FakeOpenAIServer, cache: DbResponseCache, model: str = "fake-model", **kw: Any
) -> LlmClient:
    return LlmClient(
        openai.OpenAI(base_url=server.base_url, api_key="k"), model, cache=cache, max_retries=0, **kw
    )


def ask(llm: LlmClient, text: str = "Name the finding.", **kw: Any) -> tuple[Any, LlmCall]:
    options: dict[str, Any] = {"prompt_version": "test.v1", "sampling": Sampling(), "schema": Finding}
    options.update(kw)
    image = options.pop("image", None)
    schema = options.pop("schema")
    return llm.structured([user_message(text, image)], schema, **options)


def rows(cache: DbResponseCache) -> list[LlmResponse]:
    with session_scope(cache.sessions) as session:
        found = session.scalars(sa.select(LlmResponse)).all()
        session.expunge_all()
        return list(found)


def _png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(out, format="PNG")
    return out.getvalue()


def test_a_hit_asks_nothing_and_keeps_the_original_counts(server, cache) -> None:  # noqa: ANN001
    llm = llm_for(server, cache)
    value, first = ask(llm)
    again, second = ask(llm)
    assert len(server.requests) == 1
    assert again == value
    assert (first.cached, second.cached) == (False, True)
    assert (second.prompt_tokens, second.completion_tokens) == (120, 17)
    assert second.latency_s == first.latency_s and second.served_model == "served-7b"
    assert second.attempts == 0 and second.cache_key == first.cache_key
    (row,) = rows(cache)
    assert (row.key, row.model, row.prompt_version, row.content, row.hits) == (
        first.cache_key,
        "fake-model",
        "test.v1",
        GOOD,
        1,
    )


@pytest.mark.parametrize(
    "change",
    [
        {"sampling": Sampling(temperature=0.7)},
        {"sampling": Sampling(seed=1)},
        {"prompt_version": "test.v2"},
        {"text": "Name the finding, briefly."},
        {"image": _png((200, 10, 10))},
        {"schema": Labelled},
    ],
    ids=["temperature", "seed", "prompt_version", "prompt", "image", "schema"],
)
def test_anything_that_shapes_the_reply_misses(server, cache, change: dict[str, Any]) -> None:  # noqa: ANN001
    llm = llm_for(server, cache)
    base: dict[str, Any] = {"image": _png((10, 200, 10))} if "image" in change else {}
    ask(llm, **base)
    ask(llm, **(base | change))
    assert len(server.requests) == 2 and len(rows(cache)) == 2


def test_another_model_or_response_format_misses(server, cache) -> None:  # noqa: ANN001
    ask(llm_for(server, cache))
    ask(llm_for(server, cache, model="other-model"))
    ask(llm_for(server, cache, response_format="json_object"))
    assert len(server.requests) == 3
    assert sorted(r.model for r in rows(cache)) == ["fake-model", "fake-model", "other-model"]


def test_a_failure_is_never_stored(server, cache, replies) -> None:  # noqa: ANN001
    llm = llm_for(server, cache)
    replies.answer = "not JSON"
    with pytest.raises(StructuredOutputError):
        ask(llm)
    assert rows(cache) == []
    replies.answer = GOOD
    _, call = ask(llm)
    assert call.cached is False and len(server.requests) == 3  # two failed attempts, then asked again


def test_a_repaired_reply_is_stored_with_both_requests_counted(server, cache, replies) -> None:  # noqa: ANN001
    llm = llm_for(server, cache)
    replies.answer = ["not JSON", GOOD]
    _, first = ask(llm)
    _, hit = ask(llm)
    assert first.attempts == 2 and hit.cached and len(server.requests) == 2
    (row,) = rows(cache)
    assert row.content == GOOD  # the repair, not the refused first reply
    assert hit.prompt_tokens == first.prompt_tokens


def test_a_stored_reply_a_stricter_check_refuses_is_asked_again(server, cache, replies) -> None:  # noqa: ANN001
    llm = llm_for(server, cache)
    ask(llm)

    def strict(reply: Finding) -> None:
        if reply.score < 0.9:
            raise ValueError("score below 0.9")

    replies.answer = json.dumps({"label": "cupping", "score": 0.95})
    value, call = ask(llm, check=strict)
    assert value.score == 0.95 and call.cached is False and len(server.requests) == 2
    # The new reply replaces the refused one, so the stricter check is a hit from now on.
    value, call = ask(llm, check=strict)
    assert value.score == 0.95 and call.cached is True and len(server.requests) == 2
    (row,) = rows(cache)
    assert json.loads(row.content)["score"] == 0.95


def test_db_cache_round_trip_and_hits(cache) -> None:  # noqa: ANN001
    reply = CachedReply('{"a": 1}', "served-7b", 10, 3, 0.25)
    assert cache.get("k1") is None
    cache.put("k1", "fake-model", "cues.v1", reply)
    assert cache.get("k1") == reply
    assert cache.get("k1") == reply
    (row,) = rows(cache)
    assert (row.hits, row.model, row.prompt_version) == (2, "fake-model", "cues.v1")


def test_db_cache_put_twice_keeps_the_first(cache) -> None:  # noqa: ANN001
    first = CachedReply('{"a": 1}', "served-7b", 10, 3, 0.25)
    cache.put("k1", "fake-model", "cues.v1", first)
    cache.put("k1", "fake-model", "cues.v1", CachedReply('{"a": 2}', "served-8b", 11, 4, 0.5))
    assert cache.get("k1") == first
    assert len(rows(cache)) == 1


def test_db_cache_replace_overwrites_and_resets_hits(cache) -> None:  # noqa: ANN001
    cache.put("k1", "fake-model", "cues.v1", CachedReply('{"a": 1}', None, 10, 3, 0.25))
    cache.get("k1")
    newer = CachedReply('{"a": 2}', "served-8b", 11, 4, 0.5)
    cache.put("k1", "fake-model", "cues.v1", newer, replace=True)
    (row,) = rows(cache)
    assert (row.content, row.hits) == ('{"a": 2}', 0)
    assert cache.get("k1") == newer


def test_memory_cache_keeps_the_first_reply_unless_told_to_replace() -> None:
    from ophin.llm.cache import MemoryResponseCache

    cache = MemoryResponseCache()
    first, second = CachedReply("a", None, 1, 1, 0.1), CachedReply("b", None, 1, 1, 0.1)
    cache.put("k", "m", "p.v1", first)
    cache.put("k", "m", "p.v1", second)
    assert cache.get("k") == first and cache.get("other") is None
    cache.put("k", "m", "p.v1", second, replace=True)
    assert cache.get("k") == second
