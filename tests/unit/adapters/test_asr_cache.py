"""The ASR answer cache: a stored answer replays without decoding, the key follows everything the answer
depends on, replay-only never writes, and a broken entry is decoded again."""

from __future__ import annotations

from pathlib import Path

from ophin.adapters.asr import build_transcriber
from ophin.adapters.asr_cache import CachedDistributionTranscriber, CachedTranscriber, cached
from ophin.adapters.asr_language import LanguageProbabilities
from ophin.domain.transcript import LanguageGuess, Segment, Transcript, Word
from ophin.settings import AsrSettings


class CountingTranscriber:
    """A backend that answers from the audio's bytes and counts its calls."""

    name = "counting/base"

    def __init__(self, params: AsrSettings | None = None) -> None:
        self.params = params or AsrSettings()
        self.calls: list[tuple[str, str | None]] = []

    def transcribe(self, audio: Path, prompt: str | None = None) -> Transcript:
        self.calls.append(("transcribe", prompt))
        text = audio.read_text()
        word = Word(0.0, 1.0, text, 0.42)
        return Transcript((Segment(0.0, 1.0, text, (word,), -0.2, 0.01),), "en", self.name, 1.0,
                          backend="counting", params={"beam_size": 5}, language_probability=0.9)  # fmt: skip

    def detect_language(self, audio: Path) -> LanguageGuess | None:
        self.calls.append(("detect_language", None))
        return LanguageGuess("en", 0.97)


class DistributionTranscriber(CountingTranscriber):
    def language_probabilities(self, audio: Path) -> dict[str, float] | None:
        self.calls.append(("language_probabilities", None))
        return {"en": 0.8, "la": 0.2}


def _audio(tmp_path: Path, text: str = "optic disc") -> Path:
    path = tmp_path / f"{text.replace(' ', '_')}.wav"
    path.write_text(text)
    return path


def test_cached_transcriber_replays_a_stored_answer_without_decoding(tmp_path: Path) -> None:
    inner = CountingTranscriber()
    first = cached(inner, tmp_path / "answers")
    audio = _audio(tmp_path)
    made = first.transcribe(audio, "Glaucoma.")
    again = cached(CountingTranscriber(), tmp_path / "answers").transcribe(audio, "Glaucoma.")
    assert again == made and isinstance(again.segments[0].words, tuple)
    assert inner.calls == [("transcribe", "Glaucoma.")]
    assert first.detect_language(audio) == first.detect_language(audio) == LanguageGuess("en", 0.97)
    assert inner.calls.count(("detect_language", None)) == 1
    assert first.name == "counting/base"  # everything else is the backend's


def test_cached_transcriber_key_follows_audio_prompt_and_decoding_settings(tmp_path: Path) -> None:
    inner = CountingTranscriber()
    store = cached(inner, tmp_path / "a")
    audio, other = _audio(tmp_path), _audio(tmp_path, "cup")
    store.transcribe(audio, "p")
    store.transcribe(audio, "q")  # another prompt
    store.transcribe(other, "p")  # another audio
    cached(CountingTranscriber(AsrSettings(beam_size=1)), tmp_path / "a").transcribe(audio, "p")  # settings
    assert len(inner.calls) == 3 and len(list((tmp_path / "a").rglob("*.json"))) == 4
    # Settings that do not change an answer (the stage's windows, the cache's own) share its entry.
    quiet = CountingTranscriber(AsrSettings(window_s=120.0, cache_write=False))
    cached(quiet, tmp_path / "a").transcribe(audio, "p")
    assert quiet.calls == []


def test_cached_transcriber_replay_only_never_writes(tmp_path: Path) -> None:
    inner = CountingTranscriber()
    store = cached(inner, tmp_path / "ro", write=False)
    store.transcribe(_audio(tmp_path), None)
    store.transcribe(_audio(tmp_path), None)
    assert len(inner.calls) == 2 and not (tmp_path / "ro").exists()


def test_cached_transcriber_decodes_again_over_a_torn_entry(tmp_path: Path) -> None:
    inner = CountingTranscriber()
    store = cached(inner, tmp_path / "a")
    audio = _audio(tmp_path)
    store.transcribe(audio)
    (entry,) = (tmp_path / "a").rglob("*.json")
    entry.write_text('{"segments": [')
    assert store.transcribe(audio).segments[0].text == "optic disc"
    assert len(inner.calls) == 2 and store.misses == 2 and store.hits == 0


def test_cached_keeps_what_the_backend_can_do(tmp_path: Path) -> None:
    plain = cached(CountingTranscriber(), tmp_path)
    assert type(plain) is CachedTranscriber and not isinstance(plain, LanguageProbabilities)
    inner = DistributionTranscriber()
    full = cached(inner, tmp_path)
    assert type(full) is CachedDistributionTranscriber and isinstance(full, LanguageProbabilities)
    audio = _audio(tmp_path)
    assert full.language_probabilities(audio) == full.language_probabilities(audio) == {"en": 0.8, "la": 0.2}
    assert inner.calls == [("language_probabilities", None)]


def test_build_transcriber_wraps_only_when_asr_cache_dir_is_set(tmp_path: Path) -> None:
    assert not isinstance(build_transcriber(AsrSettings(), tmp_path), CachedTranscriber)
    made = build_transcriber(AsrSettings(cache_dir=tmp_path / "answers", cache_write=False), tmp_path)
    assert isinstance(made, CachedTranscriber) and made.folder == tmp_path / "answers" and not made.write
