"""Whisper backends' decisions (device, compute type, batching) and the CTranslate2 -> openai-whisper
conversion, on the real offline base weights."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from ophin.adapters.asr import (
    FasterWhisperTranscriber,
    OpenAIWhisperTranscriber,
    resolve_compute_type,
    resolve_device,
)
from ophin.adapters.asr_openai_whisper import alignment_mask, resolve_openai_whisper_model
from ophin.adapters.whisper_convert import (
    ConversionError,
    convert_state,
    convert_to_openai_whisper,
    read_ctranslate2,
)
from ophin.settings import AsrSettings


@pytest.fixture(scope="module")
def ct2_dir(transcriber) -> Path:  # noqa: ANN001 - the assembled offline base the session already has
    return Path(transcriber.model_path)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:  # noqa: ANN001
    """Two sentences of the glaucoma lecture's first fundus slide (16.5-25.8 s), 16 kHz mono."""
    import subprocess

    from eval.corpus import demo_videos

    wav = tmp_path_factory.mktemp("clip") / "clip.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-ss", "16.5", "-t", "9.3",
         "-i", str(demo_videos()[0]), "-ac", "1", "-ar", "16000", str(wav)], check=True,
    )  # fmt: skip
    return wav


def test_resolve_device_and_compute_type_follow_the_hardware() -> None:
    assert resolve_device("auto", 0) == "cpu" and resolve_device("auto", 1) == "cuda"
    assert resolve_device("cpu", 4) == "cpu"  # asked for: kept
    assert resolve_compute_type("auto", "cpu") == "int8"
    assert (
        resolve_compute_type("auto", "cuda") == "float16"
        and resolve_compute_type("auto", "cuda:1") == "float16"
    )
    assert resolve_compute_type("int8_float16", "cuda") == "int8_float16"


def test_faster_whisper_batches_only_long_audio(tmp_path) -> None:  # noqa: ANN001
    t = FasterWhisperTranscriber(AsrSettings(batch_min_duration_s=300.0, batch_size=4), tmp_path)
    assert not t.uses_batching(299.0) and t.uses_batching(301.0)
    described = t.describe(True, None)
    assert (described["batch_size"], described["vad"], described["compute_type"]) == (4, True, "int8")
    assert t.describe(False, None)["batch_size"] is None
    auto = FasterWhisperTranscriber(AsrSettings(device="cpu"), tmp_path)  # batch_min_duration_s=None
    assert not auto.uses_batching(36000.0)  # on a CPU: never (no gain measured)
    on_gpu = FasterWhisperTranscriber(AsrSettings(device="cuda"), tmp_path)  # not loaded: no GPU needed
    assert not on_gpu.uses_batching(299.0) and on_gpu.uses_batching(301.0)


def test_faster_whisper_batched_transcribes_real_audio(transcriber, clip, tmp_path) -> None:  # noqa: ANN001
    """batch_min_duration_s=0 sends even a short clip through BatchedInferencePipeline."""
    batched = FasterWhisperTranscriber(
        AsrSettings(batch_min_duration_s=0.0, batch_size=4, beam_size=1), tmp_path
    )
    batched._model = transcriber._load()  # the session's loaded model: same weights, no second load
    t = batched.transcribe(clip)
    text = " ".join(s.text for s in t.segments).lower()
    assert t.params["batch_size"] == 4 and "fundus" in text and t.language == "en"
    assert t.language_probability > 0.5 and all(s.words for s in t.segments)


def test_read_ctranslate2_refuses_another_format(tmp_path) -> None:  # noqa: ANN001
    bad = tmp_path / "model.bin"
    bad.write_bytes(
        (6).to_bytes(4, "little") + (10).to_bytes(2, "little") + b"BertSpec\x00\x00" + b"\x00" * 8
    )
    with pytest.raises(ConversionError, match="WhisperSpec"):
        read_ctranslate2(bad)


def test_convert_state_splits_fused_attention_exactly(ct2_dir) -> None:  # noqa: ANN001
    ct2 = read_ctranslate2(ct2_dir / "model.bin")
    dims, sd = convert_state(ct2)
    assert dims == {
        "n_mels": 80, "n_audio_ctx": 1500, "n_audio_state": 512, "n_audio_head": 8, "n_audio_layer": 6,
        "n_vocab": 51865, "n_text_ctx": 448, "n_text_state": 512, "n_text_head": 8, "n_text_layer": 6,
    }  # fmt: skip
    fused = ct2["decoder/layer_2/self_attention/linear_0/weight"]
    q, k, v = (sd[f"decoder.blocks.2.attn.{n}.weight"] for n in ("query", "key", "value"))
    assert np.array_equal(np.concatenate([q, k, v]), fused)
    kv = ct2["decoder/layer_2/attention/linear_1/weight"]
    assert np.array_equal(np.concatenate([sd["decoder.blocks.2.cross_attn.key.weight"],
                                          sd["decoder.blocks.2.cross_attn.value.weight"]]), kv)  # fmt: skip
    assert "decoder.blocks.2.cross_attn.key.bias" not in sd  # Whisper's key projection has no bias


def test_converted_checkpoint_loads_strictly_once_even_when_raced(ct2_dir, tmp_path) -> None:  # noqa: ANN001
    import whisper

    dest = tmp_path / "ow" / "openai-whisper-base.pt"
    errors: list[BaseException] = []

    def convert() -> None:
        try:
            convert_to_openai_whisper(ct2_dir, dest)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=convert) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and dest.is_file() and not list(dest.parent.glob(".*.tmp"))
    mtime = dest.stat().st_mtime_ns
    assert convert_to_openai_whisper(ct2_dir, dest) == dest and dest.stat().st_mtime_ns == mtime
    model = whisper.load_model(str(dest), device="cpu")  # load_state_dict(strict=True) inside
    assert model.dims.n_text_layer == 6
    mask = alignment_mask(ct2_dir / "config.json", 6, 8).to_dense()
    reference = whisper.load_model(str(dest), device="cpu")
    reference.set_alignment_heads(whisper._ALIGNMENT_HEADS["base"])
    assert bool((mask == reference.alignment_heads.to_dense()).all())  # config.json agrees with openai's


def test_resolve_openai_whisper_model(ct2_dir, tmp_path) -> None:  # noqa: ANN001
    pt = tmp_path / "mine.pt"
    pt.write_bytes(b"x")
    assert resolve_openai_whisper_model(str(pt), tmp_path) == (str(pt), None)
    assert resolve_openai_whisper_model("large-v3", tmp_path) == ("large-v3", None)  # the hub's, online
    path, source = resolve_openai_whisper_model(str(ct2_dir), tmp_path)
    assert Path(path).is_file() and source == ct2_dir


@pytest.mark.slow  # torch on 2 cores: ~20 s alone, minutes on a busy machine
def test_openai_whisper_on_converted_weights_hears_the_lecture(ct2_dir, clip) -> None:  # noqa: ANN001
    """Real openai-whisper decoding on the converted base: language detected, words timed."""
    cache = ct2_dir.parent  # where resolve_faster_whisper_model assembled base: converts next to it
    t = OpenAIWhisperTranscriber(AsrSettings(backend="openai-whisper", beam_size=1), cache_dir=cache)
    transcript = t.transcribe(clip)
    text = " ".join(s.text for s in transcript.segments).lower()
    assert "fundus" in text and "disc" in text
    assert transcript.language == "en" and transcript.language_probability > 0.5
    words = [w for s in transcript.segments for w in s.words]
    assert words and all(0.0 <= w.start_s <= w.end_s <= 9.5 for w in words)
    assert transcript.params["compute_type"] == "float32" and transcript.params["language_mode"] == "forced"
