"""dag.test() runs the real DAGs against PostgreSQL: the same lineage as the CLI, failures that show,
a backfill that repairs, and a release of gated instructions only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from eval.corpus import demo_videos
from ophin.db.models import (
    Clip,
    Frame,
    Instruction,
    Pair,
    QualityRun,
    StageRun,
    TranscriptSegment,
    Video,
    VideoGate,
    VisualCue,
)
from ophin.db.session import session_scope
from ophin.pipeline import run_urls
from tests.conftest import make_services
from tests.dags.conftest import DAGS_DIR
from tests.support.media import cut, serve_directory
from tests.support.release import llava_records
from tests.support.verdicts import accepted_ids

LINEAGE = (Video, Clip, Frame, TranscriptSegment, Pair, VisualCue, Instruction)


def lineage_ids(svc) -> dict[str, set[str]]:  # noqa: ANN001
    with session_scope(svc.sessions) as session:
        ids = {m.__tablename__: {str(i) for i in session.scalars(select(m.id))} for m in LINEAGE}
        ids["accepted"] = {str(i) for i in accepted_ids(session)}
    return ids


def states(dag_run) -> dict[tuple[str, int], str]:  # noqa: ANN001
    return {(ti.task_id, ti.map_index): str(ti.state).split(".")[-1] for ti in dag_run.get_task_instances()}


@pytest.fixture
def dag_env(airflow_env, make_database, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """The DAGs' settings come from the environment, as on a worker; returns (run, lineage URL)."""
    from airflow.models.dagbag import DagBag

    from ophin.settings import get_settings

    db = make_database()
    monkeypatch.setenv("OPHIN_DB__URL", db)
    monkeypatch.setenv("OPHIN_HOME", str(tmp_path / "dag_home"))
    monkeypatch.setenv("OPHIN_ACQUIRE__ALLOW_FILE_URLS", "true")
    monkeypatch.setenv("OPHIN_ACQUIRE__ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("OPHIN_LICENSE__ACCEPT_UNKNOWN", "true")  # test media states no licence
    bag = DagBag(dag_folder=str(DAGS_DIR))

    def run(dag_id: str, conf: dict):  # noqa: ANN202
        get_settings.cache_clear()
        try:
            return bag.dags[dag_id].test(run_conf=conf)
        finally:
            get_settings.cache_clear()

    yield run, db
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def site(tmp_path_factory):  # noqa: ANN001, ANN201
    folder = tmp_path_factory.mktemp("site")
    # The fundus slide of the glaucoma lecture. (Whisper base, int8 on this CPU, hears the macula
    # lecture's "intraretinal cystic" as "arxistic", which verification rightly rejects.)
    cut(demo_videos()[0], folder / "fundus_short.mp4", 16.5, 13.0)
    with serve_directory(folder) as base:
        yield folder, base


def test_a_fresh_database_fails_the_run_saying_ophin_airflow_init(dag_env, make_database, monkeypatch):  # noqa: ANN001
    run, _ = dag_env
    monkeypatch.setenv("OPHIN_DB__URL", make_database(migrate=False))
    dag_run = run("ophin_process", {"urls": ["http://127.0.0.1:1/x.mp4"]})
    assert states(dag_run)[("plan_urls", -1)] == "failed"
    assert str(dag_run.state).endswith("failed")


def test_process_fails_the_run_for_a_bad_url_while_the_good_video_matches_the_cli(
    dag_env, site, make_database, transcriber, tmp_path
) -> None:  # noqa: ANN001
    run, dag_db = dag_env
    folder, base = site
    good = f"{base}/fundus_short.mp4"
    bad = "http://169.254.169.254/latest/meta-data.mp4"  # refused by the fetch policy: fails without retries
    cli_svc = make_services(tmp_path / "cli", make_database(), transcriber)
    assert [f.entity_key for f in run_urls([good, bad], cli_svc).failures] == [bad]

    dag_run = run("ophin_process", {"urls": [good, bad]})
    s = states(dag_run)
    assert str(dag_run.state).endswith("failed")
    assert s[("check_videos", -1)] == "failed"
    assert sorted(v for (t, _), v in s.items() if t == "acquire_video") == ["failed", "success"]
    for gate in ("gate_acquire", "gate_media", "gate_pairs_cues", "gate_synthesis", "gate_verification"):
        assert s[(gate, -1)] == "success", gate
    assert [v for (t, _), v in s.items() if t == "verify_instructions"] == ["success"]
    # Mapped tasks are labelled with the video, not 0, 1, 2.
    labels = {ti.rendered_map_index for ti in dag_run.get_task_instances() if ti.task_id == "acquire_video"}
    assert labels == {good, bad}

    dag_svc = make_services(tmp_path / "dag", dag_db, transcriber)
    assert lineage_ids(dag_svc) == lineage_ids(cli_svc)
    assert lineage_ids(dag_svc)["accepted"]
    with session_scope(dag_svc.sessions) as session:
        runs = session.scalars(select(StageRun)).all()
        gates = session.scalars(select(VideoGate)).all()
    assert len(gates) == 7 and all(g.success for g in gates)
    with session_scope(dag_svc.sessions) as session:
        gate_tasks = dict(session.execute(sa.select(QualityRun.stage, QualityRun.task_id)).tuples().all())
    assert gate_tasks["keyframes"] == "gate_media" and gate_tasks["verify"] == "gate_verification"
    assert all(r.runner.startswith("airflow:") and r.dag_id == "ophin_process" for r in runs)
    # Each attempt names the task instance that ran it: the way back from a row to its task log.
    transcribe = next(r for r in runs if r.stage == "transcribe")
    assert (transcribe.task_id, transcribe.map_index, transcribe.run_id) == (
        "transcribe_video",
        0,
        dag_run.run_id,
    )


def test_backfill_dag_repairs_a_video_that_appeared_later_and_release_ships_it(dag_env, site) -> None:  # noqa: ANN001
    run, _ = dag_env
    folder, base = site
    later = f"{base}/later.mp4"
    first = run("ophin_process", {"urls": [later]})  # 404: not uploaded yet
    assert str(first.state).endswith("failed")
    cut(demo_videos()[0], folder / "later.mp4", 16.5, 13.0)

    mended = run("ophin_backfill", {"stage": "acquire", "error_class": "VideoUnavailable"})
    s = states(mended)
    assert str(mended.state).endswith("success"), s
    assert [v for (t, _), v in s.items() if t == "backfill_entity"] == ["success"]

    out = folder.parent / "release"
    released = run("ophin_release", {"formats": ["llava"], "out": str(out)})
    assert str(released.state).endswith("success")
    records = llava_records(out)
    # The test site is on 127.0.0.1: a release never names a private host.
    assert records and {r["source"]["video_url"] for r in records} == {"private-host:later.mp4"}


def test_crawl_dag_records_its_crawl_run_and_hands_new_videos_to_processing(
    dag_env, site, monkeypatch
) -> None:  # noqa: ANN001
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    from ophin.crawl.sources import SourceSpec, add_sources
    from ophin.db.crawl_models import CrawlCandidate, CrawlRun
    from ophin.db.session import session_factory
    from ophin.settings import Settings

    run, db = dag_env
    folder, base = site
    for name, value in {
        "OPHIN_LICENSE__ACCEPT_UNKNOWN": "false",  # the default policy: the unlicensed item is refused
        "OPHIN_CRAWL__REQUEST_INTERVAL_S": "0",
        "OPHIN_CRAWL__DOWNLOAD_INTERVAL_S": "0",
        "OPHIN_CRAWL__MIN_DURATION_S": "0",
    }.items():
        monkeypatch.setenv(name, value)
    (folder / "unlicensed.mp4").write_bytes((folder / "fundus_short.mp4").read_bytes()[:-1000])
    (folder / "crawl.xml").write_text(
        "<?xml version='1.0'?><rss version='2.0' xmlns:media='http://search.yahoo.com/mrss/'><channel>"
        "<item><title>Optic disc on a fundus photograph</title>"
        f"<enclosure url='{base}/fundus_short.mp4' type='video/mp4'/>"
        "<media:license>https://creativecommons.org/licenses/by/4.0/</media:license></item>"
        f"<item><title>Unlicensed</title><enclosure url='{base}/unlicensed.mp4' type='video/mp4'/></item>"
        "</channel></rss>"
    )
    sessions = session_factory(Settings(db={"url": db}))
    with session_scope(sessions) as session:
        add_sources(session, [SourceSpec("feed", f"{base}/crawl.xml", name="retina feed")], 20)

    dag_run = run("ophin_crawl", {})
    s = states(dag_run)
    assert str(dag_run.state).endswith("success"), s
    assert s[("discover_source", 0)] == "success" and s[("hand_over", -1)] == "success"
    with session_scope(sessions) as session:
        (crawl_run,) = session.scalars(select(CrawlRun)).all()
        assert crawl_run.status == "succeeded" and crawl_run.origin["dag_id"] == "ophin_crawl"
        assert crawl_run.counts["new"] == 2 and crawl_run.counts["downloaded"] == 1
        assert crawl_run.rejected == {"license": 1} and crawl_run.finished_at is not None
        statuses = {c.title: c.status for c in session.scalars(select(CrawlCandidate))}
    assert statuses == {"Optic disc on a fundus photograph": "downloaded", "Unlicensed": "rejected"}
    with create_session() as session:
        events = (
            session.query(AssetEvent)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .filter(AssetModel.uri == "ophin://videos/acquired")
            .all()
        )
    assert [e.extra["urls"] for e in events] == [[f"{base}/fundus_short.mp4"]]
