"""Every release holds report.html, hashed into its manifest like every file but left out of its id: the
same records make the same release whatever else the database's report says."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import update

from ophin.db.models import Frame
from ophin.db.session import session_scope
from ophin.release.build import REPORT, content_digest
from ophin.reporting.metrics import metrics
from ophin.settings import Settings
from ophin.stages.export import export_release
from tests.conftest import make_services
from tests.unit.reporting.rows import build

PLOTS = 1 + len(metrics(Settings()))  # the funnel and one histogram per scored decision


def test_a_release_holds_the_report_in_its_manifest_and_not_in_its_id(db_url, tmp_path) -> None:  # noqa: ANN001
    svc = make_services(tmp_path, db_url, None)  # type: ignore[arg-type] - nothing is transcribed
    with session_scope(svc.sessions) as session:
        build(session)  # no video passed its gates: an empty release, with the database's report
    first = export_release(tmp_path / "r1", svc=svc, allow_empty=True)
    page = (tmp_path / "r1" / REPORT).read_bytes()
    manifest = json.loads((tmp_path / "r1" / "manifest.json").read_text())
    assert manifest["files"][REPORT] == {"sha256": hashlib.sha256(page).hexdigest(), "bytes": len(page)}
    assert b"too blurred" in page and page.count(b"<svg") == PLOTS and b"generated " not in page
    assert content_digest(manifest["files"]) == content_digest(
        {k: v for k, v in manifest["files"].items() if k != REPORT}
    )
    assert svc.store.exists(f"releases/{first.release_id}/{REPORT}")  # published with the rest

    with session_scope(svc.sessions) as session:  # the database changes, the released records do not
        session.execute(update(Frame).where(Frame.kept.is_(False)).values(drop_reason="too dark: 0.1 < 0.2"))
    second = export_release(tmp_path / "r2", svc=svc, allow_empty=True)
    again = (tmp_path / "r2" / REPORT).read_bytes()
    assert second.release_id == first.release_id
    assert b"too dark" in again and b"too blurred" not in again
