"""The response cache in the metadata database: every worker, re-run and backfill shares it."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from ophin.db.models import LlmResponse
from ophin.db.session import session_scope
from ophin.llm.client import CachedReply


class DbResponseCache:
    """Only replies that validated are stored (a failure is asked again next time)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def get(self, key: str) -> CachedReply | None:
        with session_scope(self.sessions) as session:
            row = session.get(LlmResponse, key)
            if row is None:
                return None
            session.execute(
                update(LlmResponse).where(LlmResponse.key == key).values(hits=LlmResponse.hits + 1)
            )
            return CachedReply(
                row.content, row.served_model, row.prompt_tokens, row.completion_tokens, row.latency_s
            )

    def put(
        self, key: str, model: str, prompt_version: str, reply: CachedReply, *, replace: bool = False
    ) -> None:
        values = {
            "key": key,
            "model": model,
            "served_model": reply.served_model,
            "prompt_version": prompt_version,
            "content": reply.content,
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "latency_s": reply.latency_s,
        }
        statement = insert(LlmResponse).values(values)
        if replace:
            # The stored reply failed a check that grew stricter: the new one takes its place.
            statement = statement.on_conflict_do_update(
                index_elements=["key"], set_={k: v for k, v in values.items() if k != "key"} | {"hits": 0}
            )
        else:
            # Two workers asking the same thing at once both pay; the first answer stays.
            statement = statement.on_conflict_do_nothing(index_elements=["key"])
        with session_scope(self.sessions) as session:
            session.execute(statement)


class MemoryResponseCache:
    """The same contract for one process (benchmarks): replies kept until it exits."""

    def __init__(self) -> None:
        self.rows: dict[str, CachedReply] = {}

    def get(self, key: str) -> CachedReply | None:
        return self.rows.get(key)

    def put(
        self, key: str, model: str, prompt_version: str, reply: CachedReply, *, replace: bool = False
    ) -> None:
        if replace:
            self.rows[key] = reply
        else:
            self.rows.setdefault(key, reply)
