"""Windows of long audio: cut at the quietest point, reading only what is needed (numpy + wave, no model)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from ophin.adapters.asr_windows import WINDOW_SEARCH_S, plan_windows, quietest_point

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
