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


def test_settings_refuse_a_database_url_that_is_not_postgres(monkeypatch) -> None:  # noqa: ANN001
    import pydantic
    import pytest

    for bad in ("notaurl", "mysql://root:hunter2@db/ophin", "postgresql+asyncpg://u@h/db", "sqlite:///x.db"):
        monkeypatch.setenv("OPHIN_DB__URL", bad)
        with pytest.raises(pydantic.ValidationError) as raised:
            Settings()
        (error,) = raised.value.errors()
        assert error["loc"] == ("db", "url") and "expected postgresql://" in error["msg"]
        assert "hunter2" not in error["msg"]
    for good in ("", "postgresql://u@h/db", "postgres://u@h:5433/db", "postgresql+psycopg2://u:p@h/db"):
        monkeypatch.setenv("OPHIN_DB__URL", good)
        assert Settings().db.url == good


def test_settings_refuse_a_malformed_allow_hosts_entry(monkeypatch) -> None:  # noqa: ANN001
    import pydantic
    import pytest

    for bad in ("[::1", "host:port", "a:b:c", "127.0.0.1:80x"):
        monkeypatch.setenv("OPHIN_ACQUIRE__ALLOW_HOSTS", bad)
        with pytest.raises(pydantic.ValidationError) as raised:
            Settings()
        (error,) = raised.value.errors()
        assert error["loc"] == ("acquire", "allow_hosts") and "allow_hosts entry" in error["msg"]


def test_database_url_names_no_password_when_sqlalchemy_cannot_open_it() -> None:
    import pytest

    from ophin.db.session import DatabaseUrlError, database_url, get_engine
    from ophin.settings import DbSettings

    settings = Settings()
    # model_construct skips validation: as a settings object built in code would reach the engine.
    for bad in ("notaurl", "mysql://root:hunter2@db/ophin"):
        settings.db = DbSettings.model_construct(url=bad, echo=False)
        with pytest.raises(DatabaseUrlError) as raised:
            get_engine(settings)
        assert "hunter2" not in str(raised.value) and "postgresql://" in str(raised.value)
    settings.db = DbSettings(url="postgres://u@h/db")  # libpq's spelling opens with psycopg2
    assert database_url(settings) == "postgresql+psycopg2://u@h/db"
