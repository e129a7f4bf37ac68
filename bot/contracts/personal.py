"""Personal answers: a linked member's own contracts, always as private replies.

Authorization lives here: a member only ever sees contracts where their linked account is
the client or the freelancer, and someone else's contract, however it is named, gets the same
reply as one that does not exist (`bot.contracts.recognition` only searches the member's own).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.contracts.asking import asks_state
from bot.contracts.demo import DEMO_ACCOUNT
from bot.contracts.linking import Link, LinkOutcome, LinkStore
from bot.contracts.model import Contract, ContractLookup, Milestone
from bot.contracts.recognition import Named, active_contracts, recognize
from bot.contracts.views import contract_view, milestone_view, summary_view
from bot.faq.entries import PERSONAL_TOPICS, FaqEntry
from bot.faq.vocabulary import Vocabulary
from bot.messages import Incoming, Reply
from bot.observer import NoObserver, Observer
from bot.text import MATCH_CHAR_LIMIT

MILESTONE_TOPIC, CONTRACTS_TOPIC = "my-milestone-status", "my-contracts"
# The FAQ entry that answers a personal topic for a member who is not linked.
GENERAL_ANSWER = {MILESTONE_TOPIC: "milestone-funded-check",
                  CONTRACTS_TOPIC: "where-are-contracts"}


def _private(template: str, **context: object) -> Reply:
    return Reply(template, context, private=True)


def _other(contract: Contract, account_id: str) -> str:
    """The other party's account id."""
    return contract.client if contract.freelancer == account_id else contract.freelancer


@dataclass
class PersonalDesk:
    """Links members and answers their personal questions from their own contracts."""

    links: LinkStore
    contracts: ContractLookup
    clock: Callable[[], datetime]
    vocabulary: Vocabulary | None = None
    observer: Observer = field(default_factory=NoObserver)

    def about_own_work(self, message: Incoming, text: str, topic: FaqEntry | None,
                       general: Callable[[str], FaqEntry | None]) -> Reply | None:
        """The reply from the member's own data when `text` is about their own work, else None.

        `topic` is the FAQ entry the matcher would answer with (None when it is unsure);
        `general(id)` looks up an FAQ entry. A linked member's question is about their own
        work when it names their contracts, milestones, other parties or amounts, when the
        matcher chose a personal topic, or when it asks where "my milestone" stands. An
        unlinked member asking that gets the general answer and one line on linking.
        """
        text = text[:MATCH_CHAR_LIMIT]  # as the matcher: the rest of a long paste is story
        personal_topic = topic is not None and topic.id in PERSONAL_TOPICS
        general_topic = topic is not None and not personal_topic
        link = self.links.link_of(message.user)
        if link is None:
            return self._unlinked(text, topic, general)
        owned = self.contracts.contracts_of(link.account_id)
        named = recognize(text, owned, self._parties(owned, link.account_id), self.vocabulary)
        if (named.contracts or named.milestones) and (
                named.clear or (named.distinct and not general_topic)):
            return self._named(named, link.account_id)
        if personal_topic or (named.about_own_work and asks_state(text, short=True)):
            if topic is not None and topic.id == CONTRACTS_TOPIC:
                return self._list(owned, link.account_id, ambiguous=False)
            return self._where_things_stand(owned, link.account_id)
        if named.unknown and topic is None:
            return _private("contract_unknown", named=named.unknown[:64])
        return None

    def _unlinked(self, text: str, topic: FaqEntry | None,
                  general: Callable[[str], FaqEntry | None]) -> Reply | None:
        if topic is not None and topic.id in PERSONAL_TOPICS:
            entry = general(GENERAL_ANSWER.get(topic.id, "")) or topic
            return _private("not_linked", answer=entry.answer)
        named = recognize(text, (), {}, None)  # no data: only how the question is worded
        if topic is None and named.unknown:
            return _private("not_linked", answer="")
        if (topic is not None and (named.about_own_work or named.unknown)
                and asks_state(text)):
            return _private("not_linked", answer=topic.answer)
        return None

    def answer(self, message: Incoming, entry: FaqEntry, question: str,
               general: Callable[[str], FaqEntry | None]) -> Reply:
        """A personal FAQ topic (a "did you mean" pick, say), answered about `question`."""
        reply = self.about_own_work(message, question, entry, general)
        assert reply is not None, "a personal topic always has a personal reply"
        return reply

    def contract_status(self, message: Incoming, named: str) -> Reply:
        """`contract status [CONTRACT]`: one contract by id or by name, else the choice."""
        link = self.links.link_of(message.user)
        if link is None:
            return _private("not_linked", answer="")
        owned = self.contracts.contracts_of(link.account_id)
        if not named:
            return self._where_things_stand(owned, link.account_id)
        exact = [c for c in owned if c.id.lower() == named.lower()]
        found = (Named(contracts=(exact[0],)) if exact else
                 recognize(named, owned, self._parties(owned, link.account_id),
                           self.vocabulary))
        if not (found.contracts or found.milestones):
            return _private("contract_unknown", named=named[:64])
        return self._named(found, link.account_id)

    def contract_list(self, message: Incoming) -> Reply:
        """`contracts`: every contract of the linked account."""
        link = self.links.link_of(message.user)
        if link is None:
            return _private("not_linked", answer="")
        return self._list(self.contracts.contracts_of(link.account_id), link.account_id,
                          ambiguous=False)

    def link(self, message: Incoming, code: str) -> Reply:
        """`link CODE`."""
        result = self.links.redeem(message.user, message.platform, code, self.clock())
        if result.outcome is LinkOutcome.LINKED:
            return _private("linked", account=result.account_id)
        self.observer.link_refused(message.platform, result.outcome.value)
        locked = result.locked_until.isoformat() if result.locked_until else None
        return _private("link_refused", locked_until=locked, attempts_left=result.attempts_left)

    def unlink(self, message: Incoming) -> Reply:
        """`unlink`."""
        return _private("unlinked", was_linked=self.links.unlink(message.user))

    def whoami(self, message: Incoming) -> Reply:
        """`whoami`: the identity, and the account it is linked to."""
        link = self.links.link_of(message.user)
        return _private("whoami", identity=message.user,
                        account=link.account_id if link else None,
                        notify=link.notify if link else False)

    def notifications(self, message: Incoming, on: bool) -> Reply:
        """`notifications on|off`."""
        return _private("notifications_setting", linked=self.links.set_notify(message.user, on),
                        on=on)

    def forget(self, message: Incoming, confirmed: bool) -> Reply:
        """`forget me`: asks first; `forget me confirm` deletes the link, wrong-code records,
        hand-offs and notifications."""
        link: Link | None = self.links.link_of(message.user)
        demo = link is not None and link.account_id == DEMO_ACCOUNT
        if not confirmed:
            return _private("forget_confirm", demo=demo)
        self.links.forget(message.user)
        return _private("forgotten", demo=demo)

    def _parties(self, owned: Sequence[Contract], account_id: str) -> dict[str, str]:
        """The names of the other parties on the member's own contracts."""
        return dict(self.contracts.names_of(sorted({_other(c, account_id) for c in owned})))

    def _named(self, named: Named, account_id: str) -> Reply:
        if named.milestones:
            return self._milestones(named.milestones, account_id)
        if len(named.contracts) == 1:
            return self._status(named.contracts[0], account_id)
        return self._list(named.contracts, account_id, ambiguous=True)

    def _where_things_stand(self, owned: Sequence[Contract], account_id: str) -> Reply:
        active = active_contracts(owned)
        if len(active) == 1:
            return self._status(active[0], account_id)
        return self._list(active or owned, account_id, ambiguous=len(active) > 1)

    def _status(self, contract: Contract, account_id: str) -> Reply:
        role = contract.role_of(account_id)
        assert role is not None, "contracts_of returned a contract the account is not party to"
        names = self._parties([contract], account_id)
        return _private("contract_status", contract=contract_view(contract, role, self.clock())
                        | {"other": names.get(_other(contract, account_id))})

    def _milestones(self, pairs: Sequence[tuple[Contract, Milestone]], account_id: str) -> Reply:
        now = self.clock()
        items = []
        for contract, milestone in pairs:
            role = contract.role_of(account_id)
            assert role is not None
            items.append({"contract": {"id": contract.id, "title": contract.title,
                                       "role": role.value},
                          "milestone": milestone_view(milestone, contract.currency, now)})
        return _private("milestone_status", items=items)

    def _list(self, contracts: Sequence[Contract], account_id: str, ambiguous: bool) -> Reply:
        now = self.clock()
        views = []
        names = self._parties(contracts, account_id)
        for c in contracts:
            role = c.role_of(account_id)
            assert role is not None
            views.append(summary_view(c, role, now) | {"other": names.get(_other(c, account_id))})
        return _private("contract_list", account=account_id, contracts=views,
                        ambiguous=ambiguous)
