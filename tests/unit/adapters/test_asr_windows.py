"""Windows of long audio: cut at the quietest point, reading only what is needed (numpy + wave, no model)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from ophin.adapters.asr_windows import WINDOW_SEARCH_S, plan_windows, quietest_point, transcribe_windows
from ophin.domain.transcript import Segment, Transcript, Word

RATE = 16000


def tone(seconds: float, amplitude: int = 8000) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.int16)


def write(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return path


def test_quietest_point_finds_the_pause_and_falls_back_to_the_end() -> None:
    speech = np.concatenate([tone(2.0), np.zeros(int(0.5 * RATE), np.int16), tone(2.0)])
    cut = quietest_point(speech, RATE) / RATE
    assert 2.0 <= cut <= 2.5
    assert quietest_point(tone(0.1), RATE) == int(0.1 * RATE)  # shorter than the measured stretch


def test_windows_cover_the_audio_end_at_pauses_and_stay_bounded(tmp_path: Path) -> None:
    # 100 s of tone with a 0.5 s pause every 7 s.
    parts = []
    for _ in range(15):
        parts += [tone(6.5), np.zeros(int(0.5 * RATE), np.int16)]
    wav = write(tmp_path / "a.wav", np.concatenate(parts)[: 100 * RATE])
    windows = plan_windows(wav, 40.0)
    assert windows[0][0] == 0 and windows[-1][1] == 100 * RATE
    assert all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False))  # no gap, no overlap
    assert all(end - start <= 40 * RATE for start, end in windows)
    for _, end in windows[:-1]:  # each cut falls in a pause, within the search region
        assert (end / RATE) % 7.0 >= 6.5 - 0.05
    assert all(end - start >= (40 - min(WINDOW_SEARCH_S, 20)) * RATE for start, end in windows[:-1])
    # Steady sound without a pause: windows still end, at most window_s long.
    steady = write(tmp_path / "b.wav", tone(95.0))
    assert all(e - s <= 40 * RATE for s, e in plan_windows(steady, 40.0))
    assert plan_windows(steady, 200.0) == [(0, 95 * RATE)]


class _Skipper:
    """Under a prompt, decodes `biased` segments; without one, `plain`. Counts its calls."""

    name = "stand-in"

    def __init__(self, biased: list[tuple[float, float, str]], plain: list[tuple[float, float, str]]) -> None:
        self.biased, self.plain, self.calls = biased, plain, []

    def transcribe(self, audio: Path, prompt: str | None = None) -> Transcript:
        self.calls.append(prompt)
        rows = self.biased if prompt else self.plain
        return Transcript(
            tuple(Segment(a, b, t) for a, b, t in rows), "en", "m", params={"bias": prompt is not None}
        )

    def detect_language(self, audio: Path) -> None:
        return None


def test_transcribe_windows_fills_a_gap_the_prompt_skipped(tmp_path: Path) -> None:
    wav = write(tmp_path / "a.wav", tone(40.0))
    plain = [(0.0, 9.0, "won two"), (9.5, 20.0, "five six seven eight"), (20.5, 29.0, "nine ten")]
    skipper = _Skipper([(0.0, 9.0, "one two three four"), (30.0, 38.0, "eleven")], plain)
    out = transcribe_windows(skipper, wav, None, tmp_path, lambda a, b: "Ophthalmology lecture.")
    assert skipper.calls == ["Ophthalmology lecture.", ""]  # the second with no prompt at all
    # The biased words stay where they were heard; the unprompted ones fill 9-30 s.
    assert [s.text for s in out.segments] == [
        "one two three four",
        "five six seven eight",
        "nine ten",
        "eleven",
    ]
    assert out.params["bias"] is True and out.params["bias_gaps_filled"] == [[9.0, 30.0]]


def test_transcribe_windows_keeps_the_biased_decoding_without_a_gap(tmp_path: Path) -> None:
    wav = write(tmp_path / "a.wav", tone(40.0))
    skipper = _Skipper([(0.0, 9.0, "one two three four"), (9.5, 20.0, "five six")], [(0.0, 9.0, "x")])
    out = transcribe_windows(skipper, wav, None, tmp_path, lambda a, b: "P")
    assert skipper.calls == ["P"] and "bias_gaps_filled" not in out.params  # decoded once
    # A real pause between slides: the unprompted decoding hears nothing there either; nothing changes.
    skipper = _Skipper([(0.0, 5.0, "one"), (25.0, 30.0, "two")], [(0.0, 5.0, "won"), (25.0, 30.0, "too")])
    out = transcribe_windows(skipper, wav, None, tmp_path, lambda a, b: "P")
    assert skipper.calls == ["P", ""] and [s.text for s in out.segments] == ["one", "two"]


def test_transcribe_windows_fills_the_seconds_a_segment_claimed_after_its_last_word(tmp_path: Path) -> None:
    """Whisper under a prompt ended a 0-14 s segment on its first words: the speech after them is decoded
    again unprompted, and the biased segment ends where its last word was heard."""
    wav = write(tmp_path / "a.wav", tone(16.0))
    heard = (Word(0.0, 2.0, "In"), Word(2.0, 5.0, "margin."), Word(5.0, 5.2, "No"))

    class _Claims(_Skipper):
        def transcribe(self, audio: Path, prompt: str | None = None) -> Transcript:
            if not prompt:
                return super().transcribe(audio, prompt)
            self.calls.append(prompt)
            return Transcript((Segment(0.0, 14.0, "In margin. No", heard),), "en", "m", params={"bias": True})

    plain = [(0.0, 5.0, "in margin"), (6.5, 11.5, "retinal vessels arching"), (11.5, 13.8, "x")]
    skipper = _Claims([], plain)
    out = transcribe_windows(skipper, wav, None, tmp_path, lambda a, b: "P")
    assert [(s.start_s, s.end_s, s.text) for s in out.segments] == [
        (0.0, 5.2, "In margin. No"),
        (6.5, 11.5, "retinal vessels arching"),
        (11.5, 13.8, "x"),
    ]
    assert out.params["bias_gaps_filled"] == [[5.2, 14.0]]
    # Words heard all through their segment: no gap, decoded once.
    skipper = _Claims([], [])
    heard = (Word(0.0, 7.0, "In"), Word(7.0, 13.9, "margin."))
    out = transcribe_windows(skipper, wav, None, tmp_path, lambda a, b: "P")
    assert skipper.calls == ["P"]
