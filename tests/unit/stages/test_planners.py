"""Pure planners of the media stages: no ffmpeg, no database."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from ophin.cues.clauses import split_clauses
from ophin.stages.acquire import public_url, video_row
from ophin.stages.keyframes import keyframe_time, plan_clips
from ophin.stages.pair import (
    TimedText,
    assign_pieces,
    lagged,
    language_refusal,
    screen_windows,
    split_window,
    timed_pieces,
    words_in,
)


def test_plan_clips_starts_at_zero_and_keeps_the_scene_after_close_cuts() -> None:
    # A flash at 10.0-10.4: the scene starts after the last of the close cuts.
    assert plan_clips(30.0, [10.0, 10.4, 20.0], 1.0) == [(0.0, 10.4), (10.4, 20.0), (20.0, 30.0)]
    assert plan_clips(5.0, [], 1.0) == [(0.0, 5.0)]
    assert plan_clips(10.0, [9.8], 1.0) == [(0.0, 10.0)]  # a cut in the last instant is no scene
    # A clip cut 0.8 s before a slide change: the old slide is a short first clip of its own.
    assert plan_clips(14.0, [0.8], 1.0) == [(0.0, 0.8), (0.8, 14.0)]


def test_keyframe_time_settles_after_the_cut_but_stays_inside() -> None:
    assert keyframe_time(10.0, 20.0) == 10.5
    assert keyframe_time(10.0, 10.4) == 10.2


def _clip(start: float, end: float) -> SimpleNamespace:
    return SimpleNamespace(id=uuid.uuid4(), start_s=start, end_s=end)


def test_screen_windows_extend_over_repeated_images() -> None:
    a, b, c, d = _clip(0, 5), _clip(5, 9), _clip(9, 12), _clip(12, 20)
    f_a = SimpleNamespace(id="fa", kept=True, duplicate_of=None)
    f_b = SimpleNamespace(id="fb", kept=False, duplicate_of="fa")  # the same slide again
    f_c = SimpleNamespace(id="fc", kept=False, duplicate_of=None)  # a face: no pair, ends the run
    f_d = SimpleNamespace(id="fd", kept=True, duplicate_of=None)
    windows = screen_windows([d, c, b, a], {a.id: f_a, b.id: f_b, c.id: f_c, d.id: f_d})
    assert windows == [("fa", (0, 9)), ("fd", (12, 20))]


def test_screen_windows_give_a_picture_shown_again_later_a_window_of_its_own() -> None:
    # Footage: disc (a), macula (b), back at the disc (c, a near-duplicate of a), then a frame too blurred.
    a, b, c, d, e = _clip(0, 10), _clip(10, 20), _clip(20, 30), _clip(30, 35), _clip(35, 40)
    f_a = SimpleNamespace(id="fa", kept=True, duplicate_of=None)
    f_b = SimpleNamespace(id="fb", kept=True, duplicate_of=None)
    f_c = SimpleNamespace(id="fc", kept=False, duplicate_of="fa")
    f_d = SimpleNamespace(id="fd", kept=False, duplicate_of="fa")  # still the disc: extends c's window
    f_e = SimpleNamespace(id="fe", kept=False, duplicate_of=None)
    windows = screen_windows([a, b, c, d, e], {a.id: f_a, b.id: f_b, c.id: f_c, d.id: f_d, e.id: f_e})
    assert windows == [("fa", (0, 10)), ("fb", (10, 20)), ("fa", (20, 35))]


def test_timed_pieces_rebuilds_sentences_and_words_in_assigns_each_once() -> None:
    seg = SimpleNamespace(
        id="s",
        start_s=0.0,
        end_s=6.0,
        text="",
        words=[
            {"start": 0.0, "end": 0.5, "word": "Welcome."},
            {"start": 4.8, "end": 5.2, "word": "In"},
            {"start": 5.3, "end": 5.9, "word": "this"},
            {"start": 6.0, "end": 6.8, "word": "photo."},
        ],
    )
    pieces = timed_pieces([seg])
    assert [p.text for p in pieces] == ["Welcome.", "In this photo."]
    # The sentence straddles the cut at 5.0 but its midpoint (5.8) puts it wholly after it.
    assert [p.text for p in words_in((5.0, 10.0), pieces)] == ["In this photo."]
    assert words_in((0.0, 5.0), [TimedText(4.0, 6.0, "x", "s")]) == []


def test_split_clauses_separates_asr_run_ons_but_keeps_lead_ins() -> None:
    text = (
        "In this fundus photograph, the optic disc is visible on the left, "
        "this patient was referred by her optometrist."
    )
    assert split_clauses(text) == [
        "In this fundus photograph, the optic disc is visible on the left.",
        "This patient was referred by her optometrist.",
    ]
    assert split_clauses("Drusen, exudates, and haemorrhages") == ["Drusen, exudates, and haemorrhages."]


def test_video_row_tolerates_missing_and_hostile_metadata() -> None:
    row = video_row({"id": "v", "title": "T\x00" + "x " * 900, "extractor_key": "Youtube"}, {})
    assert len(row["title"]) <= 500 and "\x00" not in row["title"]
    assert video_row({}, {})["title"] is None
    markup = video_row({"title": "<b>Drusen</b> &amp; <script>x()</script>[AMD](http://e.x)"}, {})
    assert markup["title"] == "Drusen & AMD"


def test_video_row_prefers_the_listing_then_tags_over_a_generic_file_name() -> None:
    generic = {"id": "lecture1", "title": "lecture1", "extractor_key": "Generic", "upload_date": "20240115"}
    assert (
        video_row(generic, {"title": "Glaucoma and the optic disc"})["title"] == "Glaucoma and the optic disc"
    )
    hinted = video_row(
        generic, {"title": "Tag title"}, {"title": "Feed item title", "channel": "Retina Society"}
    )
    assert (hinted["title"], hinted["channel"]) == ("Feed item title", "Retina Society")
    assert hinted["upload_date"] == "2024-01-15"
    assert video_row(generic, {})["title"] == "lecture1"  # nothing better is known


def test_public_url_never_shows_a_local_path() -> None:
    from eval.corpus import demo_videos

    bundled = demo_videos()[0].resolve().as_uri()
    assert public_url(bundled) == f"local-file:{demo_videos()[0].name}"
    assert public_url("file:///home/alice/private/talk.mp4") == "local-file:talk.mp4"
    assert (
        public_url("https://www.youtube.com/watch?v=abcdefghijk")
        == "https://www.youtube.com/watch?v=abcdefghijk"
    )


def test_keyframe_time_stays_on_a_decodable_frame() -> None:
    assert keyframe_time(0.0, 10.0) == 0.5
    assert keyframe_time(0.0, 0.3) == 0.15  # a clip shorter than the settle offset: its middle
    assert keyframe_time(0.0, 10.0, last_frame_s=0.04) == 0.04  # one picture muxed with 10 s of narration


def _said(start: float, end: float, text: str) -> TimedText:
    return TimedText(start, end, text, "s")


def test_assign_pieces_gives_a_straddling_sentence_to_where_most_of_it_is() -> None:
    windows = {"a": (0.0, 10.0), "b": (10.0, 20.0)}
    early, late = _said(8.0, 11.0, "mostly a."), _said(9.5, 14.0, "mostly b.")
    assigned = assign_pieces(windows, [early, late], min_overlap=0.5)
    assert assigned == {"a": [early], "b": [late]}
    # Spoken mostly over a dropped frame (no window 10-20 s): lost at 0.5, kept by its neighbour at 0.3.
    gap = {"a": (0.0, 10.0), "c": (20.0, 30.0)}
    over_gap = _said(7.0, 17.0, "over the gap.")
    assert assign_pieces(gap, [over_gap], 0.5) == {"a": [], "c": []}
    assert assign_pieces(gap, [over_gap], 0.3) == {"a": [over_gap], "c": []}


def test_lag_moves_trailing_narration_onto_the_picture_it_describes() -> None:
    # Slide A shows 0-10 s, slide B 10-20 s; the speaker talks about each 3 s after it appears and runs on.
    windows = {"a": (0.0, 10.0), "b": (10.0, 20.0)}
    about_a = [_said(3.0, 7.0, "The disc is cupped."), _said(7.5, 12.5, "The rim is thin inferiorly.")]
    about_b = [_said(13.0, 17.0, "Here drusen are scattered."), _said(17.5, 22.5, "They are soft.")]
    at_zero = assign_pieces(windows, lagged(about_a + about_b, 0.0), 0.5)
    assert [p.text for p in at_zero["b"]][0] == "The rim is thin inferiorly."  # mis-assigned to slide B
    at_lag = assign_pieces(windows, lagged(about_a + about_b, 3.0), 0.5)
    assert [p.text for p in at_lag["a"]] == [p.text for p in about_a]
    assert [p.text for p in at_lag["b"]] == [p.text for p in about_b]


def test_split_window_cuts_at_the_longest_pauses_and_never_below_the_minimum() -> None:
    findings = [
        _said(0.5, 4.0, "First finding."), _said(4.3, 9.0, "It is large."),
        _said(12.0, 16.0, "Second finding."), _said(16.2, 19.5, "It is small."),
        _said(21.0, 25.0, "Third finding."), _said(25.2, 29.0, "It bleeds."),
    ]  # fmt: skip
    pieces = split_window((0.0, 30.0), findings, max_s=12.0, min_s=6.0)
    assert [w for w, _ in pieces] == [(0.0, 10.5), (10.5, 20.25), (20.25, 30.0)]
    assert [[p.text for p in spoken] for _, spoken in pieces] == [
        ["First finding.", "It is large."],
        ["Second finding.", "It is small."],
        ["Third finding.", "It bleeds."],
    ]
    assert len(split_window((0.0, 30.0), findings, max_s=40.0, min_s=6.0)) == 1  # short enough
    # A minimum no cut can keep both sides above leaves the window whole.
    assert len(split_window((0.0, 30.0), findings, max_s=12.0, min_s=16.0)) == 1
    assert len(split_window((0.0, 30.0), findings, max_s=20.0, min_s=6.0)) == 2


def test_a_topic_pause_splits_a_window_of_any_length() -> None:
    findings = [
        _said(0.5, 4.0, "First finding."), _said(4.3, 9.0, "It is large."),
        _said(11.5, 16.0, "Second finding."), _said(16.3, 19.5, "It is small."),
    ]  # fmt: skip
    # 20 s is under max_s: only the 2.5 s pause between the findings, a topic pause, cuts it.
    pieces = split_window((0.0, 20.0), findings, max_s=30.0, min_s=6.0, topic_pause_s=1.5)
    assert [[p.text for p in spoken] for _, spoken in pieces] == [
        ["First finding.", "It is large."],
        ["Second finding.", "It is small."],
    ]
    assert len(split_window((0.0, 20.0), findings, max_s=30.0, min_s=6.0, topic_pause_s=3.0)) == 1
    assert len(split_window((0.0, 20.0), findings, max_s=30.0, min_s=11.0, topic_pause_s=1.5)) == 1


def test_language_refusal_drops_only_known_other_languages() -> None:
    assert language_refusal(None, ("en",)) is None
    assert language_refusal("en", ("en",)) is None and language_refusal("EN-us", ("en",)) is None
    assert "'de'" in (language_refusal("de", ("en",)) or "")
    assert language_refusal("de", ()) is None and language_refusal("de", ("en", "de")) is None
