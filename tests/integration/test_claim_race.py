"""Workers racing to open the first attempt of one (stage, entity) on a fresh database: one takes the lease,
the others wait or skip, and nobody fails on the row's second unique index (stage, entity_key)."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from ophin.db.stage_runs import AttemptKey, Busy, Claimed, claim

WORKERS = 8
ROUNDS = 150  # before the fix: a UniqueViolation in about one run of 60 rounds in two, on a 2-core machine


def test_racing_claims_on_a_new_entity_never_collide(db_url: str) -> None:
    engine = sa.create_engine(db_url, pool_size=WORKERS)
    factory = sessionmaker(engine)
    errors: list[str] = []
    outcomes: list[object] = []
    try:
        for n in range(ROUNDS):
            key = AttemptKey("acquire", "url", f"http://127.0.0.1/{n}.mp4", "p", "c", "d")
            start = threading.Barrier(WORKERS)

            def work(i: int, key: AttemptKey = key, start: threading.Barrier = start) -> None:
                start.wait()
                try:
                    outcomes.append(claim(factory, key, worker=f"w{i}", lease_s=60, params={}, runner="t"))
                except Exception as exc:  # any failure is the finding
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])

            threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        engine.dispose()
    assert errors == []
    claimed = sum(isinstance(o, Claimed) for o in outcomes)
    assert claimed == ROUNDS and sum(isinstance(o, Busy) for o in outcomes) == ROUNDS * (WORKERS - 1)
