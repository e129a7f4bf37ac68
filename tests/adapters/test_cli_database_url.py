"""What the command line says about a database it cannot use, and what it writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.cli.main import run, start_line

Forumbot = Callable[..., tuple[int, str, str]]


@pytest.mark.parametrize(("url", "says"), [
    ("mysql://u@localhost/db", "its driver is not installed (no module 'MySQLdb')"),
    ("nosuchdb://x/y", "SQLAlchemy knows no database 'nosuchdb'"),
])
def test_a_database_url_without_its_driver_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, says: str,
) -> None:
    env = {"FORUMBOT_DATA_DIR": str(tmp_path / "data"), "FORUMBOT_DATABASE_URL": url}
    assert run(["faq", "list"], env) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and says in err


def test_a_sqlite_url_whose_folder_is_missing_is_refused_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    missing = tmp_path / "typo" / "forumbot.db"
    env = {"FORUMBOT_DATA_DIR": str(tmp_path / "data"),
           "FORUMBOT_DATABASE_URL": f"sqlite+pysqlite:///{missing}"}
    assert run(["faq", "list"], env) == 2
    assert f"the folder {missing.parent} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()


def test_the_default_data_folder_is_still_created(tmp_path: Path, forumbot: Forumbot) -> None:
    status, out, _ = forumbot("faq", "list")
    assert status == 0 and "refund-request" in out


def test_faq_export_json_to_a_file_reports_what_it_wrote(
    tmp_path: Path, forumbot: Forumbot,
) -> None:
    target = tmp_path / "faq.json"
    status, out, err = forumbot("faq", "export", "--format", "json", "--out", str(target))
    written = json.loads(target.read_text(encoding="utf-8"))
    assert status == 0 and out == ""
    assert err == f"wrote {len(written)} entries to {target} (JSON)\n"


def test_serve_names_where_it_listens_and_whether_the_webhook_is_on_without_the_secret() -> None:
    line = start_line("127.0.0.1", 8000, {})
    assert line == ("forumbot serve: listening on http://127.0.0.1:8000; webhook POST "
                    "/hooks/marketplace off: FORUMBOT_WEBHOOK_SECRET is not set, it answers "
                    "503; platforms: none")
    on = start_line("::1", 9000, {"FORUMBOT_WEBHOOK_SECRET": "whsec_x",
                                  "SLACK_BOT_TOKEN": "xoxb-secret"})
    assert "http://[::1]:9000" in on and "marketplace on" in on and "platforms: slack" in on
    assert "whsec_x" not in on and "xoxb" not in on
