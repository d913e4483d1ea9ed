"""Caption parsing (WebVTT, SRT, YouTube's rolling auto-captions), track choice and merging with ASR."""

from __future__ import annotations

import pytest

from ophin.domain.subtitles import (
    SubtitleError,
    captions_transcript,
    choose_track,
    merge_segments,
    parse_captions,
)
from ophin.domain.transcript import Segment

CREATOR_VTT = """WEBVTT
Kind: captions
Language: en

NOTE written by the lecturer

intro
00:00:00.300 --> 00:00:03.817 align:start position:0%
<v Dr Lee>Welcome to this lecture on <i>glaucoma</i> &amp; the optic disc.</v>

00:00:04.067 --> 00:00:05.485
My name is Doctor Lee.
"""

# What YouTube serves for automatic captions: each cue repeats the previous line, a 10 ms cue repeats
# it once more, and the new line carries a time tag before every word.
AUTO_VTT = """WEBVTT
Kind: captions
Language: en

00:00:00.320 --> 00:00:02.990 align:start position:0%
\u0020
welcome<00:00:00.800><c> to</c><00:00:01.200><c> this</c><00:00:01.600><c> lecture</c>

00:00:02.990 --> 00:00:03.000 align:start position:0%
welcome to this lecture
\u0020

00:00:03.000 --> 00:00:05.500 align:start position:0%
welcome to this lecture
on<00:00:03.400><c> glaucoma</c>

00:00:05.500 --> 00:00:05.510 align:start position:0%
on glaucoma
\u0020
"""

SRT = """1
00:00:00,300 --> 00:00:03,817
<font color="#ffffff">Welcome to this lecture</font>
on glaucoma.

2
00:00:04,067 --> 00:00:05,485
{\\an8}My name is Doctor Lee.
"""


def test_parse_captions_reads_webvtt_and_strips_markup() -> None:
    cues = parse_captions(CREATOR_VTT)
    assert [(c.start_s, c.end_s) for c in cues] == [(0.3, 3.817), (4.067, 5.485)]
    assert cues[0].text == "Welcome to this lecture on glaucoma & the optic disc."
    assert cues[1].text == "My name is Doctor Lee."


def test_parse_captions_drops_rolling_repeats_of_auto_captions() -> None:
    cues = parse_captions(AUTO_VTT)
    assert [c.text for c in cues] == ["welcome to this lecture", "on glaucoma"]
    assert cues[1].start_s == 3.0  # the time of the cue where the line first appeared
    words = cues[0].words
    assert [w.text for w in words] == ["welcome", "to", "this", "lecture"]
    assert [w.start_s for w in words] == [0.32, 0.8, 1.2, 1.6] and words[-1].end_s == 2.99


def test_parse_captions_reads_srt_with_comma_times_and_ssa_tags() -> None:
    cues = parse_captions(SRT)
    assert [c.text for c in cues] == ["Welcome to this lecture", "on glaucoma.", "My name is Doctor Lee."]
    assert cues[2].start_s == 4.067 and cues[0].end_s == 3.817


def test_parse_captions_refuses_what_is_not_a_caption_file() -> None:
    with pytest.raises(SubtitleError):
        parse_captions("<html><body>not found</body></html>")
    assert parse_captions("") == []


def test_captions_transcript_marks_segments_as_subtitles() -> None:
    t = captions_transcript(CREATOR_VTT, "en", "subtitles/creator")
    assert {s.source for s in t.segments} == {"subtitles"} and t.backend == "subtitles"


def _choose(tracks, spoken="en", creator="prefer", automatic="ignore", allowed=("en",)):  # noqa: ANN001, ANN202
    return choose_track(
        tracks,
        creator_policy=creator,
        automatic_policy=automatic,
        allowed_languages=list(allowed),
        spoken_language=spoken,
    )


def test_choose_track_prefers_creator_over_automatic() -> None:
    choice = _choose([("en", "automatic"), ("en-US", "creator")], automatic="prefer")
    assert (choice.language, choice.kind, choice.policy) == ("en-US", "creator", "prefer")


def test_choose_track_ignores_automatic_captions_by_their_own_setting() -> None:
    assert _choose([("en", "automatic")]) is None
    assert _choose([("en", "automatic")], automatic="merge").policy == "merge"
    assert _choose([("en", "creator")], creator="ignore") is None


def test_choose_track_refuses_disallowed_or_translated_tracks() -> None:
    assert _choose([("fr", "creator")]) is None  # not an allowed language
    # An English translation uploaded for a French lecture is not what was said.
    assert _choose([("en", "creator")], spoken="fr") is None
    assert _choose([("en", "creator")], spoken=None).kind == "creator"  # nothing detected: trust the tag


def test_merge_segments_fills_caption_gaps_with_asr_only() -> None:
    subs = (Segment(0.0, 4.0, "caption one", source="subtitles"), Segment(10.0, 14.0, "caption two"))
    asr = (
        Segment(0.2, 3.8, "asr one"),  # under a caption: dropped
        Segment(5.0, 9.0, "asr in the gap"),  # kept
        Segment(13.0, 16.0, "asr straddling"),  # a third covered, 2 s uncovered: kept
        Segment(14.0, 14.5, "asr blip"),  # uncovered but shorter than min_gap_s: dropped
    )
    merged = merge_segments(subs, asr, min_gap_s=1.0)
    assert [s.text for s in merged] == ["caption one", "asr in the gap", "caption two", "asr straddling"]
