"""Whatever a member types, the assistant replies without failing, no reply carries another
member's contract data, and no public reply carries their own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hostile_input import messages
from hypothesis import given
from hypothesis import strategies as st

from bot.app import App, build_app
from bot.contracts.importing import dataset_from_json
from bot.messages import Incoming, deliveries
from bot.rendering import FLAVORS
from bot.settings import Settings, sqlite_url

NOW = datetime.now(UTC)
BOB_PRIVATE = ("C-9901", "Xerxes lighthouse mural", "Xerxes", "lighthouse", "Obsidian draft",
               "Obsidian", "6,543", "6543", "acc-bob", "Bartholomew Quince", "Bartholomew")
ANN_PRIVATE = ("Final files", "$150", "Logo and brand kit", "acc-ann")
DATA = {
    "accounts": [{"id": "acc-ann", "name": "Ann Example", "role": "freelancer"},
                 {"id": "acc-bob", "name": "Bartholomew Quince", "role": "freelancer"},
                 {"id": "acc-cy", "name": "Cy Client", "role": "client"}],
    "contracts": [
        {"id": "C-1001", "title": "Logo and brand kit", "type": "fixed", "client": "acc-cy",
         "freelancer": "acc-ann", "status": "active", "started_at": "2026-10-01",
         "currency": "USD", "milestones": [{"seq": 1, "title": "Final files", "amount": "150.00",
                                            "status": "funded", "funded_at": "2026-11-20"}]},
        {"id": "C-9901", "title": "Xerxes lighthouse mural", "type": "fixed", "client": "acc-cy",
         "freelancer": "acc-bob", "status": "active", "started_at": "2026-10-01",
         "currency": "USD", "milestones": [{"seq": 1, "title": "Obsidian draft",
                                            "amount": "6543.21", "status": "funded",
                                            "funded_at": "2026-11-20"}]}],
}
# What members type about contracts, with the other member's names for them mixed in.
WORDS = ("contracts", "contract status", "/contract status", "was my milestone funded?",
         "show my contracts", "when will my payment be available", "whoami", "my", "the",
         "job", "milestone", "C-1001", "logo", "Logo and brand kit", "funded", "paid", "acc-ann",
         "link", "unlink", "forget me", "notifications on", "moderator", *BOB_PRIVATE)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    folder = tmp_path_factory.mktemp("privacy")
    built = build_app(Settings(database_url=sqlite_url(folder / "forumbot.db")))
    built.contracts.import_dataset(dataset_from_json(json.dumps(DATA)))
    for identity, account in (("slack:T1/UANN", "acc-ann"), ("slack:T1/UBOB", "acc-bob")):
        built.links.redeem(identity, "slack", built.links.issue_code(account, NOW), NOW)
    yield built
    built.engine.dispose()


def _leaked(private: tuple[str, ...], shown: str, typed: str) -> list[str]:
    """The private values shown that the member did not type themselves."""
    return [p for p in private if p.casefold() in shown.casefold()
            and p.casefold() not in typed.casefold()]


@given(text=messages(WORDS, max_pieces=12), who=st.sampled_from(["slack:T1/UANN",
                                                                 "slack:T1/UMALLORY"]),
       private=st.booleans())
def test_no_reply_to_any_message_carries_another_members_contract_data(
    app: App, text: str, who: str, private: bool,
) -> None:
    message = Incoming(text, who, platform="slack", private=private)
    reply = app.assistant.handle(message)
    assert reply.template != "oops"  # no message makes the assistant fail
    for flavor in FLAVORS:
        assert not _leaked(BOB_PRIVATE, app.renderer.render(reply, flavor), text)
        for delivery in deliveries(message, reply):
            if not delivery.private:  # what the channel sees
                shown = app.renderer.render(delivery.reply, flavor)
                assert not _leaked(BOB_PRIVATE + ANN_PRIVATE, shown, text), shown
