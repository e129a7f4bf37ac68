"""The console's small manners: the operator is a moderator, numbers need choices, one choice
is asked as one, and the demo's moderator views."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.cli.main import run
from adapters.console import NO_CHOICES, ConsoleSession
from bot.app import App
from bot.messages import Reply


def test_the_operator_at_the_console_is_a_moderator_and_a_named_user_is_not(app: App) -> None:
    operator = ConsoleSession(app, "console:root", operator=True)
    assert "No questions are waiting" in operator.reply_to("handoffs")
    member = ConsoleSession(app, "console:bo")
    assert "moderator" in member.reply_to("handoffs") and "No questions" not in \
        member.reply_to("handoffs")


def test_a_number_with_no_choices_open_says_so(app: App) -> None:
    assert ConsoleSession(app, "console:bo").reply_to("2") == NO_CHOICES


def test_a_single_choice_is_offered_as_one_not_as_which_of_these(app: App) -> None:
    one = Reply("suggest", {"choices": [{"number": 1, "id": "escrow-basics",
                                         "title": "What escrow is"}]})
    text = app.renderer.render(one)
    assert 'Did you mean "What escrow is"? Reply 1' in text and "which of these" not in text


def test_what_a_newcomer_asked_in_the_demo_is_seen_with_demo_as_a_moderator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    env = {"FORUMBOT_DATA_DIR": str(tmp_path / "data")}
    assert run(["ask", "--demo", "moderator can I get paid in bitcoin"], env) == 0
    assert run(["ask", "--demo", "is there a dark mode in the app"], env) == 0
    capsys.readouterr()
    assert run(["handoffs", "--demo"], env) == 0
    assert "can I get paid in bitcoin" in capsys.readouterr().out
    assert run(["inbox", "--demo"], env) == 0
    assert "dark mode" in capsys.readouterr().out
    assert run(["stats", "--demo"], env) == 0
    assert "1 declined" in capsys.readouterr().out
    assert run(["handoffs"], env) == 0
    assert "No questions are waiting" in capsys.readouterr().out, "not the demo's"
