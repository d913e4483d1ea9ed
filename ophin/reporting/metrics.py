"""Every scored keep/drop decision the report plots: the column that holds the score and the settings that
hold its threshold (a decision refuses below a `min` line or above a `max` line)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, cast
from sqlalchemy.sql.elements import ColumnElement

from ophin.db.models import Frame, Verification, VisualCue
from ophin.settings import Settings


@dataclass(frozen=True)
class Threshold:
    value: float
    setting: str  # where it is set, e.g. image.min_sharpness (OPHIN_IMAGE__MIN_SHARPNESS)
    side: str  # "min": refused below it; "max": refused above it
    inclusive: bool = False  # refused at the line too (a face covering exactly the share is the subject)


@dataclass(frozen=True)
class Metric:
    name: str
    title: str
    unit: str
    source: Any  # the ORM class whose rows hold the decisions
    value: ColumnElement[Any]  # the score, one row per decision
    where: tuple[ColumnElement[bool], ...]  # which rows the decision was taken on
    thresholds: tuple[Threshold, ...]
    bounded: bool  # True: the score lies in [0, 1]; False: the axis ends near the 99th percentile


def _t(settings: Settings, path: str, side: str, inclusive: bool = False) -> Threshold:
    group, field = path.split(".")
    return Threshold(float(getattr(getattr(settings, group), field)), path, side, inclusive)


def metrics(settings: Settings) -> tuple[Metric, ...]:
    """The plotted decisions in pipeline order; a row without a score (NULL) is no decision, not counted."""

    def t(path: str, side: str, inclusive: bool = False) -> Threshold:
        return _t(settings, path, side, inclusive)

    face_share = cast(Frame.scores["face_fraction"].astext, Float)
    redacted_share = cast(Frame.scores["redacted_fraction"].astext, Float)
    return (
        Metric(
            "sharpness", "Sharpness (frames)", "Laplacian variance at 512 px", Frame, Frame.sharpness, (),
            (t("image.min_sharpness", "min"),), False,
        ),
        Metric(
            "exposure", "Exposure (frames)", "mean luma of the content, 0..1", Frame, Frame.exposure, (),
            (t("image.min_exposure", "min"), t("image.max_exposure", "max")), True,
        ),
        Metric(
            "clipped", "Clipped share (frames)", "crushed or blown share of the content", Frame,
            Frame.clipped_fraction, (), (t("image.max_clipped_fraction", "max"),), True,
        ),
        Metric(
            "text", "Text share (frames)", "OCR word boxes' share of the frame", Frame, Frame.text_fraction,
            (), (t("image.max_text_fraction", "max"),), True,
        ),
        Metric(
            "clinical", "Clinical score (frames)", "score, 0..1", Frame, Frame.clinical_score, (),
            (t("keyframes.clinical_threshold", "min"),), True,
        ),
        # Over frames with a face. A face centred in a corner (a webcam inset) must also cover 8 %: a rule of
        # ophin.imaging.deid without a setting, not drawn.
        Metric(
            "face_share", "Face share (frames with a face)", "largest face's share of the frame", Frame,
            face_share, (Frame.face_count > 0,), (t("keyframes.face_subject_fraction", "max", True),), False,
        ),
        Metric(
            "redacted", "Redacted share (frames)", "share of the picture redaction filled", Frame,
            redacted_share, (), (t("image.max_redacted_fraction", "max"),), True,
        ),
        Metric(
            "cue_score", "Visual-cue score (sentences)", "score, 0..1", VisualCue, VisualCue.score, (),
            (t("cues.threshold", "min"),), True,
        ),
        Metric(
            "grounding", "Grounding (instructions)", "share of answer content words found in the cues",
            Verification, Verification.score, (Verification.check == "grounded",),
            (t("verify.min_grounding", "min"),), True,
        ),
    )  # fmt: skip
