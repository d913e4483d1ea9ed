"""The OpenAI-compatible transcription backend over real HTTP: real ASR behind a faithful local server,
and the failures a real server gives (429, 5xx, timeouts, garbage) scripted."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from eval.corpus import demo_videos
from ophin.adapters.asr import OpenAICompatibleTranscriber, TranscriptionAPIError, build_transcriber
from ophin.adapters.asr_http import language_code, parse_verbose_json
from ophin.settings import AsrSettings
from tests.fakes.transcription_server import FakeTranscriptionServer, Scripted


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:  # noqa: ANN001
    """14 s of the glaucoma lecture (the first fundus slide), 16 kHz mono PCM as the stage makes it."""
    out = tmp_path_factory.mktemp("clip") / "fundus.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-ss", "16", "-t", "14",
         "-i", str(demo_videos()[0]), "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", str(out)],
        check=True,
    )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def model(transcriber):  # noqa: ANN001, ANN201 - the real faster-whisper base the server runs
    return transcriber._load()


def _client(base_url: str, **overrides: object) -> OpenAICompatibleTranscriber:
    params = AsrSettings(backend="openai-api", model="whisper-1", api_base_url=base_url, **overrides)
    return OpenAICompatibleTranscriber(params, backoff_s=0.0)


def test_transcribe_over_http_is_real_asr_with_words_and_detected_language(model, clip) -> None:  # noqa: ANN001
    # Beam 5, the engine's own decoding: greedy decoding on an AMD EPYC's int8 kernels heard "no" after the
    # first sentence and stopped, where an Intel core heard all three (the words depend on the CPU).
    with FakeTranscriptionServer(model, beam_size=5) as server:
        transcript = _client(server.base_url).transcribe(clip)
    text = " ".join(s.text for s in transcript.segments).lower()
    assert "fundus" in text and "disc" in text and "patient" in text
    assert all(s.words for s in transcript.segments) and transcript.segments[0].words[0].start_s >= 0.0
    assert transcript.language == "en" and transcript.backend == "openai-api"  # "english" -> "en"
    assert transcript.params["language_mode"] == "forced" and transcript.params["prompt_hash"]
    detect, main = server.uploads
    assert "language" not in detect.fields and main.fields["language"] == ["en"]  # detection first
    assert main.fields["timestamp_granularities[]"] == ["word", "segment"]
    assert main.fields["response_format"] == ["verbose_json"] and "Optic disc." in main.fields["prompt"][0]
    assert main.fields["model"] == ["whisper-1"] and main.filename == "fundus.wav"


def test_transcribe_retries_429_then_succeeds(model, clip) -> None:  # noqa: ANN001
    script = [Scripted(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"})]
    with FakeTranscriptionServer(model, script) as server:
        transcript = _client(server.base_url, language=None).transcribe(clip)
    assert len(server.uploads) == 2 and transcript.segments


def test_transcribe_retries_a_timeout(clip) -> None:  # noqa: ANN001
    answer = {"language": "english", "segments": [{"start": 0.0, "end": 1.0, "text": "late"}]}
    with FakeTranscriptionServer(None, [Scripted(delay_s=1.5), Scripted(200, answer)]) as server:
        transcript = _client(server.base_url, language=None, api_timeout_s=0.5).transcribe(clip)
    assert len(server.uploads) == 2 and transcript.segments[0].text == "late"


def test_transcribe_gives_up_after_the_retries_on_5xx(clip) -> None:  # noqa: ANN001
    script = [Scripted(500, {"error": "boom"}), Scripted(503, {}), Scripted(502, {})]
    with FakeTranscriptionServer(None, script) as server:
        with pytest.raises(TranscriptionAPIError, match="HTTP 502 after 3 attempt"):
            _client(server.base_url, language=None, api_max_retries=2).transcribe(clip)
    assert len(server.uploads) == 3


def test_transcribe_does_not_retry_a_client_error(clip) -> None:  # noqa: ANN001
    with FakeTranscriptionServer(None, [Scripted(401, {"error": {"message": "bad key"}})]) as server:
        with pytest.raises(TranscriptionAPIError, match="HTTP 401"):
            _client(server.base_url, language=None).transcribe(clip)
    assert len(server.uploads) == 1


def test_transcribe_refuses_garbage_and_malformed_answers(clip) -> None:  # noqa: ANN001
    with FakeTranscriptionServer(None, [Scripted(200, b"<html>upstream error</html>")]) as server:
        with pytest.raises(TranscriptionAPIError, match="not JSON"):
            _client(server.base_url, language=None).transcribe(clip)
    missing_end = {"language": "en", "segments": [{"start": 0.0, "text": "hello"}]}
    with FakeTranscriptionServer(None, [Scripted(200, missing_end)]) as server:
        with pytest.raises(TranscriptionAPIError, match="'end'"):
            _client(server.base_url, language=None).transcribe(clip)
    with FakeTranscriptionServer(None, [Scripted(200, ["not", "an", "object"])]) as server:
        with pytest.raises(TranscriptionAPIError, match="not an object"):
            _client(server.base_url, language=None).transcribe(clip)


def test_parse_verbose_json_attaches_words_to_their_segment() -> None:
    body = {
        "segments": [
            {"start": 0.0, "end": 2.0, "text": " one two"},
            {"start": 2.0, "end": 3.0, "text": "three"},
        ],
        "words": [
            {"word": " one", "start": 0.1, "end": 0.5},
            {"word": "two", "start": 1.5, "end": 2.2},  # midpoint 1.85: the first segment
            {"word": "three", "start": 2.3, "end": 2.9},
        ],
    }
    first, second = parse_verbose_json(body)
    assert [w.text for w in first.words] == ["one", "two"] and [w.text for w in second.words] == ["three"]
    with pytest.raises(TranscriptionAPIError, match="ends"):
        parse_verbose_json({"segments": [{"start": 2.0, "end": 1.0, "text": "x"}]})


def test_language_code_maps_openai_names() -> None:
    assert (language_code("English"), language_code("fr"), language_code(None)) == ("en", "fr", None)


def test_build_transcriber_needs_a_base_url_for_the_api_backend(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="api_base_url"):
        build_transcriber(AsrSettings(backend="openai-api"), tmp_path)
    built = build_transcriber(
        AsrSettings(backend="openai-api", api_base_url="http://127.0.0.1:9/v1"), tmp_path
    )
    assert built.name == "openai-api/base"
