"""Settings: one immutable object, built from an environment mapping by one function."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import SettingsError
from bot.faq.policy import FUSED_THRESHOLDS, Thresholds

DEFAULT_DB_FILENAME = "forumbot.db"
MATCHERS = ("lexical", "semantic", "fused")  # FORUMBOT_MATCHER; fused is the default


def default_data_dir() -> Path:
    """The per-user data directory where the default SQLite file lives."""
    import platformdirs

    return Path(platformdirs.user_data_dir("forumbot", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Everything the composition root needs; no adapter secrets (each adapter reads its own)."""

    database_url: str
    data_dir: Path = Path(".")
    thresholds: Thresholds = field(default_factory=Thresholds)  # the lexical matcher's
    knowledge_dir: Path | None = None
    log_level: str = "WARNING"
    log_format: str = "text"  # or "json": one object per line
    seed_on_start: bool = True
    inbox_retention_days: int = 90
    matcher: str = "fused"
    model_path: Path | None = None  # an operator's own export of the model
    model_sha256: str | None = None  # ...and the checksum it must have
    fused_thresholds: Thresholds = FUSED_THRESHOLDS
    lexical_weight: float = 0.3  # the lexical score's share of the fused score


def _float(environ: Mapping[str, str], key: str, default: float) -> float:
    raw = environ.get(key)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{key}={raw!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise SettingsError(f"{key}={raw!r} must be between 0 and 1")
    return value


def _bool(environ: Mapping[str, str], key: str, default: bool) -> bool:
    raw = environ.get(key)
    if raw is None or raw.strip() == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{key}={raw!r} is not a yes/no value (use true or false)")


def _days(environ: Mapping[str, str], key: str, default: int) -> int:
    raw = environ.get(key)
    if raw is None or raw.strip() == "":
        return default
    if not (raw.strip().isascii() and raw.strip().isdigit()) or not 1 <= int(raw) <= 36_500:
        raise SettingsError(f"{key}={raw!r} is not a number of days from 1 to 36500")
    return int(raw)


def _thresholds(environ: Mapping[str, str], prefix: str, defaults: Thresholds) -> Thresholds:
    """One matcher's thresholds: `{prefix}ANSWER_THRESHOLD` and the others, else `defaults`."""
    read = Thresholds(
        answer=_float(environ, f"{prefix}ANSWER_THRESHOLD", defaults.answer),
        answer_margin=_float(environ, f"{prefix}ANSWER_MARGIN", defaults.answer_margin),
        suggest=_float(environ, f"{prefix}SUGGEST_THRESHOLD", defaults.suggest),
        long_post_margin=_float(environ, f"{prefix}LONG_POST_MARGIN", defaults.long_post_margin),
    )
    if read.suggest > read.answer:
        raise SettingsError(
            f"{prefix}SUGGEST_THRESHOLD={read.suggest} must not exceed "
            f"{prefix}ANSWER_THRESHOLD={read.answer}"
        )
    return read


def sqlite_url(path: Path) -> str:
    """A SQLAlchemy URL for a SQLite file."""
    return f"sqlite+pysqlite:///{path}"


def _check_database_url(url: str) -> None:
    """A URL the operator set names a database SQLAlchemy knows, whose driver is installed,
    and for a SQLite file a folder that exists: a typo is refused instead of creating folders
    and a fresh database (only the default database's data folder is created)."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
        shown = parsed.render_as_string(hide_password=True)
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise SettingsError(f"FORUMBOT_DATABASE_URL={shown!r}: SQLAlchemy knows no database "
                            f"{parsed.drivername!r}") from None
    except ArgumentError:
        raise SettingsError("FORUMBOT_DATABASE_URL is not a database URL SQLAlchemy can read "
                            "(e.g. postgresql+psycopg://user@host/db)") from None
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        raise SettingsError(f"FORUMBOT_DATABASE_URL={shown!r}: its driver is not installed (no "
                            f"module {exc.name!r}); use sqlite+pysqlite:// or "
                            "postgresql+psycopg://, or install the driver") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(str(parsed.database)).expanduser().parent
        if not folder.is_dir():
            raise SettingsError(f"FORUMBOT_DATABASE_URL={shown!r}: the folder {folder} does not "
                                "exist; create it first")


def settings_from_environ(environ: Mapping[str, str]) -> Settings:
    """Build settings from `environ` (pass `os.environ`); errors name the key and value."""
    raw_dir = environ.get("FORUMBOT_DATA_DIR", "").strip()
    data_dir = Path(raw_dir).expanduser() if raw_dir else default_data_dir()
    url = environ.get("FORUMBOT_DATABASE_URL", "").strip()
    if not url:
        url = sqlite_url(data_dir / DEFAULT_DB_FILENAME)
    elif "://" not in url:
        raise SettingsError(
            f"FORUMBOT_DATABASE_URL={url!r} is not a database URL "
            "(e.g. sqlite+pysqlite:///path/forumbot.db or postgresql+psycopg://user@host/db)"
        )
    else:
        _check_database_url(url)
    thresholds = _thresholds(environ, "FORUMBOT_", Thresholds())
    fused = _thresholds(environ, "FORUMBOT_FUSED_", FUSED_THRESHOLDS)
    matcher = environ.get("FORUMBOT_MATCHER", "").strip().lower() or "fused"
    if matcher not in MATCHERS:
        raise SettingsError(f"FORUMBOT_MATCHER={matcher!r} is not one of {', '.join(MATCHERS)}")
    model = environ.get("FORUMBOT_MODEL_PATH", "").strip()
    checksum = environ.get("FORUMBOT_MODEL_SHA256", "").strip().lower()
    if checksum and (len(checksum) != 64 or not all(c in "0123456789abcdef" for c in checksum)):
        raise SettingsError(f"FORUMBOT_MODEL_SHA256={checksum[:80]!r} is not a sha256 "
                            "(64 hexadecimal digits)")
    knowledge = environ.get("FORUMBOT_KNOWLEDGE_DIR", "").strip()
    level = environ.get("FORUMBOT_LOG_LEVEL", "WARNING").strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(
            f"FORUMBOT_LOG_LEVEL={level!r} is not one of DEBUG, INFO, WARNING, ERROR"
        )
    raw_format = environ.get("FORUMBOT_LOG_FORMAT", "")
    log_format = raw_format.strip().lower() or "text"
    if log_format not in {"text", "json"}:
        raise SettingsError(f"FORUMBOT_LOG_FORMAT={raw_format!r} is not text or json")
    return Settings(
        database_url=url,
        data_dir=data_dir,
        thresholds=thresholds,
        knowledge_dir=Path(knowledge) if knowledge else None,
        log_level=level,
        log_format=log_format,
        seed_on_start=_bool(environ, "FORUMBOT_SEED_ON_START", True),
        inbox_retention_days=_days(environ, "FORUMBOT_INBOX_RETENTION_DAYS", 90),
        matcher=matcher,
        model_path=Path(model).expanduser() if model else None,
        model_sha256=checksum or None,
        fused_thresholds=fused,
        lexical_weight=_float(environ, "FORUMBOT_LEXICAL_WEIGHT", 0.3),
    )
