"""Members use forumbot in Slack: the real Bolt app in `forumbot serve`, a fake Slack on
127.0.0.1, signed requests over HTTP, and what reached Slack asserted."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app import App
from bot.contracts.demo import demo_dataset
from tests.adapters.slack_fake import (
    BOT_USER,
    FakeSlack,
    Serve,
    buttons,
    link_member,
    mention_event,
    message_event,
    texts,
)

MENTION = f"<@{BOT_USER}>"


def posted(fake: FakeSlack, count: int = 1, channel: str | None = None) -> list[dict[str, Any]]:
    """The messages posted (to `channel`), once `count` of them arrived."""
    calls = fake.wait_for("chat.postMessage", count)
    return [c for c in calls if channel is None or c["channel"] == channel]


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    """The button of a posted message whose label starts with `label`."""
    found = [b for b in buttons(message["blocks"]) if b["text"]["text"].startswith(label)]
    assert found, f"no {label!r} button in {buttons(message['blocks'])}"
    return found[0]


def test_a_mention_is_answered_in_a_thread_under_the_question(serve: Serve,
                                                             fake: FakeSlack) -> None:
    response = serve.event(mention_event(f"{MENTION} who sets the milestones?",
                                         ts="1700000100.000100"))
    assert response.status_code == 200
    answer, = posted(fake)
    assert answer["channel"] == "CGENERAL" and answer["thread_ts"] == "1700000100.000100"
    assert "milestone" in texts(answer["blocks"]).lower()
    assert [b["text"]["text"] for b in buttons(answer["blocks"])] == ["Helpful", "Not helpful"]


def test_a_direct_message_is_answered_in_the_direct_message(serve: Serve,
                                                            fake: FakeSlack) -> None:
    serve.event(message_event("who sets the milestones?", channel="DMEMBER"))
    answer, = posted(fake)
    assert answer["channel"] == "DMEMBER" and "thread_ts" not in answer
    assert "milestone" in texts(answer["blocks"]).lower()


def test_a_mention_saying_hello_is_greeted_in_its_thread_without_buttons(
        app: App, serve: Serve, fake: FakeSlack) -> None:
    serve.event(mention_event(f"{MENTION} hello!", ts="1700000110.000100"))
    greeting, = posted(fake)
    assert greeting["thread_ts"] == "1700000110.000100"
    assert "who sets the milestones?" in texts(greeting["blocks"])
    assert not buttons(greeting["blocks"])
    assert not app.questions.open_questions(10)


def test_a_help_channel_gets_an_answer_only_when_the_match_is_confident(
        serve: Serve, fake: FakeSlack) -> None:
    serve.event(message_event("what is the weather on mars", channel="CHELP",
                              ts="1700000500.000100"))
    serve.event(message_event("how do milestones work", channel="CHELP",
                              ts="1700000501.000100"))
    serve.event(message_event("who sets the milestones?", channel="CHELP",
                              ts="1700000502.000100"))
    serve.event(message_event("who sets the milestones?", channel="CHELP",
                              ts="1700000503.000100", thread_ts="1700000502.000100"))
    serve.event(message_event("who sets the milestones?", channel="CHELP",
                              ts="1700000504.000100", bot_id="BOTHER"))
    serve.event(message_event("who sets the milestones?", channel="CHELP",
                              ts="1700000505.000100", subtype="message_changed"))
    serve.event(message_event("who sets the milestones?", channel="CRANDOM",
                              ts="1700000506.000100"))
    serve.event(message_event("who sets the milestones?", channel="DMEMBER"))  # the last
    posted(fake, 2)
    in_help = [m for m in fake.of("chat.postMessage") if m["channel"] == "CHELP"]
    assert [m["thread_ts"] for m in in_help] == ["1700000502.000100"]
    assert all(m["channel"] in ("CHELP", "DMEMBER") for m in fake.of("chat.postMessage"))


def test_a_link_code_typed_in_a_help_channel_is_not_redeemed(app: App, serve: Serve,
                                                             fake: FakeSlack) -> None:
    app.contracts.import_dataset(demo_dataset(datetime.now(UTC).date()))
    code = app.links.issue_code("acc-demo", datetime.now(UTC))
    serve.event(message_event(f"link {code}", channel="CHELP", ts="1700000510.000100"))
    serve.event(message_event("contracts", channel="CHELP", ts="1700000511.000100"))
    serve.event(message_event("escrow", channel="DMEMBER"))  # answered after the others
    posted(fake)
    assert [m["channel"] for m in fake.of("chat.postMessage")] == ["DMEMBER"]
    assert app.links.link_of("slack:T1/UMEMBER") is None
    serve.command("/link", code)
    assert "Linked" in texts(fake.wait_for("response_url")[0]["blocks"])


def test_faq_answers_only_the_asker_and_share_posts_it_attributed(serve: Serve,
                                                                  fake: FakeSlack) -> None:
    assert serve.command("/faq", "who sets the milestones?").status_code == 200
    reply, = fake.wait_for("response_url")
    assert reply["response_type"] == "ephemeral"
    assert not fake.of("chat.postMessage")
    share = button(reply, "Share in channel")
    serve.click(share, ephemeral=True)
    shared, = posted(fake)
    assert shared["channel"] == "CGENERAL"
    assert "Shared by <@UMEMBER>" in texts(shared["blocks"])
    assert "milestone" in texts(shared["blocks"]).lower()
    assert fake.wait_for("response_url", 2)[1].get("delete_original") is True


def test_faq_alone_lists_the_topics(serve: Serve, fake: FakeSlack) -> None:
    serve.command("/faq")
    reply, = fake.wait_for("response_url")
    assert reply["response_type"] == "ephemeral"
    assert "`milestones-who-sets`" in texts(reply["blocks"])


def test_an_unlinked_member_is_told_how_to_link_only_privately(serve: Serve,
                                                               fake: FakeSlack) -> None:
    serve.command("/contract")
    reply, = fake.wait_for("response_url")
    assert reply["response_type"] == "ephemeral"
    assert "`/link CODE`" in texts(reply["blocks"])
    assert not fake.of("chat.postMessage")


def test_a_linked_member_sees_their_contract_only_privately(app: App, serve: Serve,
                                                            fake: FakeSlack) -> None:
    link_member(app)
    serve.command("/contract", "logo")
    reply, = fake.wait_for("response_url")
    assert reply["response_type"] == "ephemeral"
    assert "Logo and brand kit" in texts(reply["blocks"])
    assert not fake.of("chat.postMessage")


def test_link_with_a_code_links_the_member_privately(app: App, serve: Serve,
                                                     fake: FakeSlack) -> None:
    app.contracts.import_dataset(demo_dataset(datetime.now(UTC).date()))
    code = app.links.issue_code("acc-demo", datetime.now(UTC))
    serve.command("/link", code)
    reply, = fake.wait_for("response_url")
    assert reply["response_type"] == "ephemeral"
    assert "Linked" in texts(reply["blocks"])
    assert app.links.link_of("slack:T1/UMEMBER") is not None


def test_a_personal_question_in_a_channel_is_answered_by_direct_message(
        app: App, serve: Serve, fake: FakeSlack) -> None:
    link_member(app)
    serve.event(mention_event(f"{MENTION} was my logo milestone funded?"))
    posts = posted(fake, 2)
    private, = [m for m in posts if m["channel"] == "DUMEMBER"]
    public, = [m for m in posts if m["channel"] == "CGENERAL"]
    assert "Logo and brand kit" in texts(private["blocks"])
    assert "Logo" not in texts(public["blocks"]) and "privately" in texts(public["blocks"])
    assert fake.of("conversations.open")[0]["users"] == "UMEMBER"


def test_a_rating_is_recorded_and_the_buttons_become_thanks(app: App, serve: Serve,
                                                            fake: FakeSlack) -> None:
    serve.event(mention_event(f"{MENTION} who sets the milestones?"))
    answer, = posted(fake)
    serve.click(button(answer, "Helpful"), message=answer | {"ts": "1700000600.000100"})
    update, = fake.wait_for("response_url")
    assert update["replace_original"] is True
    assert "Thanks" in texts(update["blocks"]) and not buttons(update["blocks"])
    assert "milestone" in texts(update["blocks"]).lower()
    counts, _ = app.questions.activity(datetime.now(UTC) - timedelta(hours=1))
    rated = {c.entry_id: (c.helpful, c.ratings) for c in counts if c.ratings}
    assert rated == {"milestones-who-sets": (1, 1)}


def test_a_choice_click_replaces_the_choices_with_the_answer(serve: Serve,
                                                             fake: FakeSlack) -> None:
    serve.event(mention_event(f"{MENTION} how do milestones work"))
    choices, = posted(fake)
    first = buttons(choices["blocks"])[0]
    assert json.loads(first["value"])["q"] == "how do milestones work"
    serve.click(first, message=choices | {"ts": "1700000700.000100"})
    update, = fake.wait_for("response_url")
    assert update["replace_original"] is True
    assert [b["text"]["text"] for b in buttons(update["blocks"])] == ["Helpful", "Not helpful"]


def test_ask_a_moderator_posts_the_question_and_relays_the_moderators_reply(
        serve: Serve, fake: FakeSlack) -> None:
    serve.event(mention_event(f"{MENTION} what is the weather on mars ABCDE-FGHJK",
                              ts="1700000800.000100"))
    decline, = posted(fake)
    serve.click(button(decline, "Ask a moderator"),
                message=decline | {"ts": "1700000801.000100", "thread_ts": "1700000800.000100"})
    question, = posted(fake, 2, channel="CMODS")
    assert "<@UMEMBER>" in question["text"] and "weather on mars" in question["text"]
    assert "ABCDE-FGHJK" not in question["text"]
    assert "archives/CGENERAL/p1700000800000100" in question["text"]
    assert "passed your question" in texts(fake.wait_for("response_url")[0]["blocks"])
    serve.event(message_event("It is cold there, take a coat.", user="UMOD", channel="CMODS",
                              ts="1700000900.000100", thread_ts=question["_ts"]))
    relayed = posted(fake, 3)[2]
    assert relayed["channel"] == "CGENERAL"
    assert relayed["thread_ts"] == "1700000800.000100"
    assert "A moderator answered" in texts(relayed["blocks"])
    assert "take a coat" in texts(relayed["blocks"])


def test_a_moderator_mentioning_the_bot_in_a_relay_thread_is_relayed_and_not_answered_there(
        serve: Serve, fake: FakeSlack) -> None:
    """Slack sends such a reply twice, as a mention and as a message: it is the relay only,
    as on Discord, and the member does not see the bot's mention."""
    serve.event(mention_event(f"{MENTION} what is the weather on mars", ts="1700000800.000100"))
    decline, = posted(fake)
    serve.click(button(decline, "Ask a moderator"),
                message=decline | {"ts": "1700000801.000100", "thread_ts": "1700000800.000100"})
    question, = posted(fake, 2, channel="CMODS")
    reply = {"user": "UMOD", "channel": "CMODS", "ts": "1700000900.000100",
             "thread_ts": question["_ts"]}
    serve.event(mention_event(f"{MENTION} It is cold there, take a coat.", **reply))
    serve.event(message_event(f"{MENTION} It is cold there, take a coat.", **reply))
    relayed, = posted(fake, 3, channel="CGENERAL")[1:]
    assert "take a coat" in texts(relayed["blocks"]) and BOT_USER not in texts(relayed["blocks"])
    time.sleep(0.5)  # an answer in the moderators' thread would have come by now
    assert [m["channel"] for m in fake.of("chat.postMessage")].count("CMODS") == 1


def test_ask_a_moderator_that_slack_refuses_to_post_queues_nothing_and_a_second_click_once(
        app: App, serve: Serve, fake: FakeSlack) -> None:
    """Slack refuses the post to the moderators' channel (the bot is not in it:
    `not_in_channel`): the member is told to try again, and the moderators' queue holds the
    question once, after it reached their channel."""
    serve.event(mention_event(f"{MENTION} what is the weather on mars", ts="1700000800.000100"))
    decline, = posted(fake)
    shown = decline | {"ts": "1700000801.000100", "thread_ts": "1700000800.000100"}
    fake.refuse["chat.postMessage"] = "not_in_channel"
    serve.click(button(decline, "Ask a moderator"), message=shown)
    told, = fake.wait_for("response_url")
    assert told["response_type"] == "ephemeral" and "try again" in told["text"]
    assert app.handoffs.queued() == []
    serve.click(button(decline, "Ask a moderator"), message=shown)
    passed = fake.wait_for("response_url", 2)[1]
    assert "passed your question" in texts(passed["blocks"])
    assert len(posted(fake, 3, channel="CMODS")) == 2  # the refused post, then this one
    assert [h.question for h in app.handoffs.queued()] == ["what is the weather on mars"]


def test_ask_a_moderator_whose_post_cannot_be_linked_to_the_member_queues_nothing(
        app: App, serve: Serve, fake: FakeSlack) -> None:
    """Slack posts the question to the moderators' channel but its answer does not say where
    (no `ts`): a moderator's reply could never be relayed, so the question leaves the queue,
    the member is told, and the next click passes it on once, linked."""
    serve.event(mention_event(f"{MENTION} what is the weather on mars", ts="1700000800.000100"))
    decline, = posted(fake)
    shown = decline | {"ts": "1700000801.000100", "thread_ts": "1700000800.000100"}
    fake.answer["chat.postMessage"] = {"ok": True, "channel": "CMODS"}
    serve.click(button(decline, "Ask a moderator"), message=shown)
    told, = fake.wait_for("response_url")
    assert told["response_type"] == "ephemeral" and "went wrong" in told["text"], told
    assert app.handoffs.queued() == []
    serve.click(button(decline, "Ask a moderator"), message=shown)
    assert "passed your question" in texts(fake.wait_for("response_url", 2)[1]["blocks"])
    assert [h.question for h in app.handoffs.queued()] == ["what is the weather on mars"]


def _shown(message: dict[str, Any]) -> str:
    """Everything of a message that Slack displays (button values are not shown)."""
    labels = [b["text"]["text"] for b in buttons(message.get("blocks") or [])]
    return "\n".join([message.get("text") or "", texts(message.get("blocks") or []), *labels])


def test_no_reply_can_ping_a_channel_even_when_the_question_holds_the_mention(
        serve: Serve, fake: FakeSlack) -> None:
    serve.event(mention_event(f"{MENTION} the weather on mars <!channel> &lt;!here&gt; "
                              "<!subteam^S1>"))
    decline, = posted(fake)
    serve.click(button(decline, "Ask a moderator"), message=decline)
    serve.event(mention_event(f"{MENTION} faq show &lt;!channel&gt;"))
    posts = posted(fake, 3)
    shown = "\n".join(_shown(m) for m in posts + fake.wait_for("response_url"))
    for ping in ("<!channel", "<!here", "<!subteam", "<!everyone"):
        assert ping not in shown
    assert "&lt;!here&gt;" in shown and "&lt;!channel&gt;" in shown


def test_an_empty_mention_is_asked_for_a_question(serve: Serve, fake: FakeSlack) -> None:
    serve.event(mention_event(MENTION))
    reply, = posted(fake)
    assert "didn't catch a question" in texts(reply["blocks"])


def test_a_direct_message_with_only_a_file_is_asked_for_a_question(serve: Serve,
                                                                   fake: FakeSlack) -> None:
    serve.event(message_event("", subtype="file_share", files=[{"id": "F1"}]))
    reply, = posted(fake)
    assert reply["channel"] == "DMEMBER" and "didn't catch" in texts(reply["blocks"])


def test_edited_and_deleted_messages_and_bots_get_no_reply(serve: Serve,
                                                           fake: FakeSlack) -> None:
    serve.event(message_event("", subtype="message_changed",
                              message={"text": "who sets the milestones?"}))
    serve.event(message_event("", subtype="message_deleted"))
    serve.event(message_event("who sets the milestones?", bot_id="BOTHER"))
    serve.event(message_event("who sets the milestones?", user=BOT_USER))
    serve.event(message_event("escrow", channel="DLAST"))  # answered after the others
    reply, = posted(fake)
    assert reply["channel"] == "DLAST"


def test_a_question_longer_than_slack_allows_a_section_is_still_answered(
        serve: Serve, fake: FakeSlack) -> None:
    story = "my client and I agreed on a logo, then the brief kept changing. " * 600
    serve.event(message_event(story + " who sets the milestones?"))
    reply, = posted(fake)
    assert all(len(b["text"]["text"]) <= 3000 for b in reply["blocks"] if "text" in b)
    for button_ in buttons(reply["blocks"]):
        assert len(button_["value"]) <= 2000


def test_logs_hold_no_member_words_and_no_link_codes(app: App, serve: Serve, fake: FakeSlack,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    app.contracts.import_dataset(demo_dataset(datetime.now(UTC).date()))
    code = app.links.issue_code("acc-demo", datetime.now(UTC))
    serve.command("/link", code)
    serve.event(mention_event(f"{MENTION} was my zebra-logo milestone funded?"))
    serve.command("/not-ours", "zebra-secret")
    fake.wait_for("response_url")
    posted(fake, 2)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert code not in logged and code.lower() not in logged
    assert "zebra" not in logged


def test_a_reply_by_someone_who_is_not_a_moderator_is_not_relayed(serve: Serve,
                                                                  fake: FakeSlack) -> None:
    serve.event(mention_event(f"{MENTION} what is the weather on mars"))
    decline, = posted(fake)
    serve.click(button(decline, "Ask a moderator"), message=decline)
    question, = posted(fake, 2, channel="CMODS")
    serve.event(message_event("I'm not a mod but hi", user="UOTHER", channel="CMODS",
                              ts="1700000950.000100", thread_ts=question["_ts"]))
    refused, = fake.wait_for("chat.postEphemeral")
    assert refused["user"] == "UOTHER" and "Only moderators" in refused["text"]
    assert len(fake.of("chat.postMessage")) == 2


def test_help_in_a_direct_message_names_the_slash_commands(serve: Serve,
                                                           fake: FakeSlack) -> None:
    serve.event(message_event("help"))
    reply, = posted(fake)
    assert "`/faq QUESTION`" in texts(reply["blocks"]) and "`/link CODE`" in texts(
        reply["blocks"])
