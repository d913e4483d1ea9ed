"""Backend result mapping: every Transcriber returns the same Transcript shape with plain floats."""

from __future__ import annotations

from pathlib import Path

from ophin.adapters.asr import OpenAIWhisperTranscriber, build_transcriber
from ophin.adapters.whisper_model import resolve_faster_whisper_model
from ophin.settings import AsrSettings


class _WhisperModelStandIn:
    """Answers like openai-whisper's model.transcribe() (its documented dict), without weights."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def transcribe(self, audio: str, **options: object) -> dict:
        self.calls.append({"audio": audio, **options})
        return {
            "language": "en",
            "segments": [
                {
                    "start": 0.5,
                    "end": 2.0,
                    "text": " The optic disc is pale. ",
                    "avg_logprob": -0.2,
                    "no_speech_prob": 0.01,
                    "words": [{"start": 0.5, "end": 0.8, "word": " The", "probability": 0.9}],
                }
            ],
        }


def test_openai_whisper_transcriber_maps_segments_and_passes_options(tmp_path) -> None:  # noqa: ANN001
    model = _WhisperModelStandIn()
    transcript = OpenAIWhisperTranscriber(AsrSettings(backend="openai-whisper"), model=model).transcribe(
        tmp_path / "a.wav"
    )
    (seg,) = transcript.segments
    assert (seg.start_s, seg.end_s, seg.text) == (0.5, 2.0, "The optic disc is pale.")
    assert seg.words[0].text == "The" and transcript.model == "openai-whisper/base"
    assert model.calls[0]["word_timestamps"] is True and model.calls[0]["language"] == "en"
    assert "Optic disc." in model.calls[0]["initial_prompt"]


def test_openai_whisper_transcribe_carries_a_bias_prompt_to_every_chunk(tmp_path) -> None:  # noqa: ANN001
    model = _WhisperModelStandIn()
    t = OpenAIWhisperTranscriber(AsrSettings(backend="openai-whisper"), model=model)
    biased = t.transcribe(tmp_path / "a.wav", "Ophthalmology lecture. drusen, fovea.")
    plain = t.transcribe(tmp_path / "a.wav")
    assert model.calls[0]["initial_prompt"] == "Ophthalmology lecture. drusen, fovea."
    assert model.calls[0]["carry_initial_prompt"] is True  # not only the first 30 s chunk
    assert model.calls[1]["carry_initial_prompt"] is False
    assert "Optic disc." in model.calls[1]["initial_prompt"]
    assert biased.params["bias"] is True and plain.params["bias"] is False
    assert biased.params["prompt_hash"] != plain.params["prompt_hash"]


def test_build_transcriber_picks_backend_from_settings(tmp_path) -> None:  # noqa: ANN001
    assert build_transcriber(AsrSettings(backend="openai-whisper"), tmp_path).name == "openai-whisper/base"
    assert build_transcriber(AsrSettings(), tmp_path).name == "faster-whisper/base"


def test_resolve_model_assembles_offline_base_once(tmp_path) -> None:  # noqa: ANN001
    path = Path(resolve_faster_whisper_model("base", tmp_path))
    size = (path / "model.bin").stat().st_size
    assert {"config.json", "tokenizer.json", "vocabulary.txt"} <= {p.name for p in path.iterdir()}
    mtime = (path / "model.bin").stat().st_mtime_ns
    assert resolve_faster_whisper_model("base", tmp_path) == str(path)
    assert (path / "model.bin").stat().st_mtime_ns == mtime and size > 100_000_000
    assert resolve_faster_whisper_model(str(path), tmp_path / "other") == str(path)
    assert resolve_faster_whisper_model("large-v3", tmp_path) == "large-v3"  # left to the hub
