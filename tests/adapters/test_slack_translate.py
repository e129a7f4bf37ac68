"""The Slack adapter's pure parts: its settings, and Slack's markup turned into a member's words."""

from __future__ import annotations

import pytest

from adapters.slack.blocks import QUESTION_KEPT, VALUE_LIMIT, carried, read_carried
from adapters.slack.config import slack_config
from adapters.slack.translate import identity, plain_text, user_of
from bot.errors import SettingsError

HTTP = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def test_without_a_bot_token_slack_is_off() -> None:
    assert slack_config({}) is None
    assert slack_config({"SLACK_SIGNING_SECRET": "s"}) is None


def test_http_mode_needs_the_signing_secret_and_socket_mode_does_not() -> None:
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        slack_config({"SLACK_BOT_TOKEN": "xoxb-secret-token"})
    config = slack_config({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert config is not None and config.socket_mode


@pytest.mark.parametrize(("key", "value", "named"), [
    ("SLACK_APP_TOKEN", "xoxb-wrong-kind", "xapp-"),
    ("SLACK_API_URL", "ftp://proxy", "SLACK_API_URL='ftp://proxy'"),
    ("FORUMBOT_SLACK_HELP_CHANNELS", "C0HELP,#random", "'#random'"),
    ("FORUMBOT_SLACK_MODERATOR_CHANNEL", "mods", "'mods'"),
    ("FORUMBOT_SLACK_MODERATOR_GROUP", "Mods Team!", "'Mods Team!'"),
    ("FORUMBOT_SLACK_API_TIMEOUT", "soon", "FORUMBOT_SLACK_API_TIMEOUT='soon'"),
    ("FORUMBOT_SLACK_API_TIMEOUT", "0", "FORUMBOT_SLACK_API_TIMEOUT='0'"),
])
def test_a_bad_slack_setting_is_named_with_its_value(key: str, value: str, named: str) -> None:
    with pytest.raises(SettingsError, match=named.replace("$", r"\$")) as raised:
        slack_config(HTTP | {key: value})
    assert "xoxb" not in raised.value.message  # tokens are never repeated


def test_settings_are_read_as_typed() -> None:
    config = slack_config(HTTP | {"SLACK_API_URL": "http://127.0.0.1:9/api",
                                  "FORUMBOT_SLACK_HELP_CHANNELS": " C0HELP , G0PRIV ,",
                                  "FORUMBOT_SLACK_MODERATOR_GROUP": "@moderators"})
    assert config is not None
    assert config.api_url == "http://127.0.0.1:9/api/"
    assert config.help_channels == {"C0HELP", "G0PRIV"}
    assert config.moderator_group == "moderators" and not config.socket_mode


def test_slack_markup_becomes_the_words_a_member_typed() -> None:
    assert plain_text("<@UBOT> who sets the <https://x.example|milestones>?", "UBOT") == (
        "who sets the milestones?")
    assert plain_text("<!channel> <!here> <!subteam^S1> <@U2> <#C1|general>") == (
        "@channel @here @subteam @U2 general")
    assert plain_text("a &lt;b&gt; &amp;amp; c") == "a <b> &amp; c"


def test_identities_are_team_and_user() -> None:
    assert identity("T1", "U2") == "slack:T1/U2"
    assert user_of("slack:T1/U2") == "U2"
    assert user_of("discord:1234") is None and user_of("slack:T1/<!here>") is None


def test_a_long_question_rides_on_a_button_within_slacks_limit() -> None:
    value = carried(e="escrow-basics", q='"' * 5000)
    assert len(value) <= VALUE_LIMIT
    assert read_carried(value)["q"] == '"' * QUESTION_KEPT
    assert read_carried("not json") == {} and read_carried('["a"]') == {}
