"""End to end at the console: the demo, link codes, and personal answers from imported data."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.cli.main import run
from tests.adapters.test_console import forumbot

CONTRACTS = Path(__file__).parents[1] / "data" / "contracts.json"


def test_the_demo_answers_was_my_milestone_funded_from_data_on_the_first_run(
    tmp_path: Path,
) -> None:
    result = forumbot(tmp_path, "ask", "--demo", "was my logo milestone funded?")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Logo and brand kit (D-101)" in out
    assert "Milestone 3, Final files, $150: funded" in out
    assert "Milestone 4, Brand guide, $200: not funded yet. Don't start until it is." in out
    assert "Pending until" in out
    assert not (tmp_path / "data" / "forumbot.db").exists(), "the demo keeps its own database"


def test_the_demo_chat_lists_contracts_and_shows_an_hourly_invoice(tmp_path: Path) -> None:
    lines = ["whoami", "contracts", "contract status bookkeeping", "/quit"]
    result = forumbot(tmp_path, "chat", "--demo", "--user", "dana",
                      stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "linked to the marketplace account acc-demo" in out
    assert "D-102: Landing page copy" in out and "D-090: App icon set" in out
    assert "Week of" in out and "6 h, $180: in review" in out


def test_a_member_links_with_a_code_from_link_code_and_asks_about_their_contract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    env = {"FORUMBOT_DATA_DIR": str(tmp_path / "data")}
    assert run(["contracts", "import", str(CONTRACTS)], env) == 0
    capsys.readouterr()
    assert run(["link-code", "acc-alice"], env) == 0
    out, err = capsys.readouterr()
    code = out.strip()
    assert len(code.replace("-", "")) == 10 and "\n" not in code, "the code alone on stdout"
    assert "15 minutes" in err

    assert run(["ask", "--user", "bob", "was my milestone funded?"], env) == 0
    assert "send me `link CODE`" in capsys.readouterr().out
    assert run(["ask", "--user", "alice", f"link {code}"], env) == 0
    assert "Linked: you are acc-alice" in capsys.readouterr().out
    assert run(["ask", "--user", "bob", f"link {code}"], env) == 0
    assert "isn't valid" in capsys.readouterr().out, "a code links once"
    assert run(["ask", "--user", "alice", "contract status C-1001"], env) == 0
    assert "Milestone 2, Final files, $150: not funded yet" in capsys.readouterr().out


def test_link_code_for_an_unknown_account_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["link-code", "acc-nobody"], {"FORUMBOT_DATA_DIR": str(tmp_path)}) == 2
    out, err = capsys.readouterr()
    assert out == "" and "acc-nobody" in err
