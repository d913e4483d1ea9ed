from __future__ import annotations

from pathlib import Path

from ophin.settings import Settings


def test_settings_read_nested_env_vars(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("OPHIN_HOME", "/data/x")
    monkeypatch.setenv("OPHIN_DB__URL", "postgresql://u@h/db")
    monkeypatch.setenv("OPHIN_STORE__KIND", "s3")
    monkeypatch.setenv("OPHIN_KEYFRAMES__SCENE_THRESHOLD", "0.4")
    s = Settings()
    assert s.home == Path("/data/x") and s.db.url == "postgresql://u@h/db"
    assert s.store.kind == "s3" and s.keyframes.scene_threshold == 0.4


def test_settings_defaults_need_no_configuration(monkeypatch) -> None:  # noqa: ANN001
    for name in ("OPHIN_HOME", "OPHIN_DB__URL", "OPHIN_STORE__KIND"):
        monkeypatch.delenv(name, raising=False)
    s = Settings()
    assert s.db.url == "" and s.store.kind == "local" and s.asr.backend == "faster-whisper"
    assert s.llm.backend == "offline"


def test_settings_read_acquire_allow_hosts_from_env(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("OPHIN_ACQUIRE__ALLOW_HOSTS", "127.0.0.1, localhost:8080,[::1]:8001")
    monkeypatch.setenv("OPHIN_ACQUIRE__ALLOW_FILE_URLS", "true")
    s = Settings()
    assert s.acquire.allowed_hosts == ("127.0.0.1", "localhost:8080", "[::1]:8001")
    assert s.acquire.allow_file_urls is True


def test_settings_acquire_fences_by_default(monkeypatch) -> None:  # noqa: ANN001
    for name in ("OPHIN_ACQUIRE__ALLOW_HOSTS", "OPHIN_ACQUIRE__ALLOW_FILE_URLS"):
        monkeypatch.delenv(name, raising=False)
    s = Settings()
    assert s.acquire.allowed_hosts == () and s.acquire.allow_file_urls is False


def test_settings_release_splits_from_env_and_refused_when_not_shares(monkeypatch) -> None:  # noqa: ANN001
    import pytest
    from pydantic import ValidationError

    monkeypatch.setenv("OPHIN_RELEASE__SPLITS", '{"train": 0.8, "test": 0.2}')
    assert Settings().release.splits == {"train": 0.8, "test": 0.2}
    for bad in ('{"train": 0.8}', '{"train": 1.2, "test": -0.2}', '{"train": 0.5, "dev": 0.5}'):
        monkeypatch.setenv("OPHIN_RELEASE__SPLITS", bad)
        with pytest.raises(ValidationError, match="summing to 1"):
            Settings()
