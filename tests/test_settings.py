"""Settings come from one environment mapping; bad values name the key and the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.settings import settings_from_environ


def test_with_no_environment_the_database_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = settings_from_environ({"FORUMBOT_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+pysqlite:///{tmp_path}/forumbot.db"


def test_a_postgresql_url_is_taken_as_given() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    assert settings_from_environ({"FORUMBOT_DATABASE_URL": url}).database_url == url


def test_thresholds_are_read_from_named_settings() -> None:
    settings = settings_from_environ({
        "FORUMBOT_ANSWER_THRESHOLD": "0.7", "FORUMBOT_ANSWER_MARGIN": "0.2",
        "FORUMBOT_SUGGEST_THRESHOLD": "0.3", "FORUMBOT_LONG_POST_MARGIN": "0.25",
    })
    t = settings.thresholds
    assert (t.answer, t.answer_margin, t.suggest, t.long_post_margin) == (0.7, 0.2, 0.3, 0.25)


@pytest.mark.parametrize(("key", "value"), [
    ("FORUMBOT_ANSWER_THRESHOLD", "lots"),
    ("FORUMBOT_SUGGEST_THRESHOLD", "1.5"),
    ("FORUMBOT_DATABASE_URL", "forumbot.db"),
    ("FORUMBOT_SEED_ON_START", "maybe"),
    ("FORUMBOT_LOG_LEVEL", "LOUD"),
    ("FORUMBOT_INBOX_RETENTION_DAYS", "0"),
    ("FORUMBOT_INBOX_RETENTION_DAYS", "ninety"),
    ("FORUMBOT_LOG_FORMAT", "XML"),
])
def test_a_bad_value_is_refused_naming_key_and_value(key: str, value: str) -> None:
    with pytest.raises(SettingsError) as error:
        settings_from_environ({key: value})
    assert key in error.value.message and value in error.value.message


def test_a_suggest_threshold_above_the_answer_threshold_is_refused() -> None:
    with pytest.raises(SettingsError, match="must not exceed"):
        settings_from_environ({"FORUMBOT_SUGGEST_THRESHOLD": "0.9"})


def test_inbox_words_are_kept_ninety_days_unless_configured() -> None:
    assert settings_from_environ({}).inbox_retention_days == 90
    assert settings_from_environ({"FORUMBOT_INBOX_RETENTION_DAYS": "30"}).inbox_retention_days \
        == 30


def test_the_matcher_and_model_are_read_from_named_settings(tmp_path: Path) -> None:
    settings = settings_from_environ({
        "FORUMBOT_MATCHER": "Semantic", "FORUMBOT_MODEL_PATH": str(tmp_path),
        "FORUMBOT_MODEL_SHA256": "AB" * 32, "FORUMBOT_FUSED_ANSWER_THRESHOLD": "0.5",
        "FORUMBOT_LEXICAL_WEIGHT": "0.25",
    })
    assert (settings.matcher, settings.model_path, settings.model_sha256) == (
        "semantic", tmp_path, "ab" * 32)
    assert settings.fused_thresholds.answer == 0.5 and settings.lexical_weight == 0.25
    assert settings_from_environ({}).matcher == "fused"


@pytest.mark.parametrize(("key", "value"), [
    ("FORUMBOT_MATCHER", "neural"), ("FORUMBOT_MODEL_SHA256", "1234"),
    ("FORUMBOT_FUSED_SUGGEST_THRESHOLD", "0.9"),
])
def test_a_bad_matcher_setting_is_refused_naming_the_key(key: str, value: str) -> None:
    with pytest.raises(SettingsError, match=key):
        settings_from_environ({key: value})
