"""Personal answers: a linked member's own contracts, always as private replies.

Authorization lives here: a member only ever sees contracts where their linked account is
the client or the freelancer, and someone else's contract id gets the same reply as an id
that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.contracts.linking import LinkOutcome, LinkStore
from bot.contracts.model import Contract, ContractLookup, ContractStatus
from bot.contracts.views import contract_view, summary_view
from bot.faq.entries import FaqEntry
from bot.messages import Incoming, Reply
from bot.observer import NoObserver, Observer
from bot.text import stem, stems

# Words every contract question has; they say nothing about which contract is meant.
_GENERIC = frozenset(stem(w) for w in """
    contract contracts job jobs project projects gig order milestone milestones payment
    payments paid pay fund funded funding status check money escrow client freelancer last
    current latest first second third next work one show list see look
""".split())
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def _title_stems(text: str) -> set[str]:
    return set(stems(text)) - _GENERIC


def named_contract(contracts: Sequence[Contract], text: str) -> Contract | None:
    """The contract the text names by id or by title words; None when it names none or several."""
    tokens = {t.lower() for t in _TOKEN.findall(text)}
    by_id = [c for c in contracts if c.id.lower() in tokens]
    if len(by_id) == 1:
        return by_id[0]
    asked = _title_stems(text)
    if not asked:
        return None
    scored = sorted(((len(asked & _title_stems(c.title)), c) for c in contracts),
                    key=lambda pair: pair[0], reverse=True)
    if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


def _private(template: str, **context: object) -> Reply:
    return Reply(template, context, private=True)


@dataclass
class PersonalDesk:
    """Links members and answers their personal questions from their own contracts."""

    links: LinkStore
    contracts: ContractLookup
    clock: Callable[[], datetime]
    observer: Observer = field(default_factory=NoObserver)

    def answer(self, message: Incoming, entry: FaqEntry, question: str) -> Reply:
        """A personal FAQ topic: from data when linked, else the FAQ answer on checking by hand."""
        link = self.links.link_of(message.user)
        if link is None:
            return _private("not_linked", answer=entry.answer)
        owned = self.contracts.contracts_of(link.account_id)
        named = named_contract(owned, question)
        if named is not None:
            return self._status(named, link.account_id)
        if entry.id == "my-contracts":
            return self._list(owned, link.account_id, ambiguous=False)
        active = [c for c in owned if c.status is not ContractStatus.ENDED]
        if len(active) == 1:
            return self._status(active[0], link.account_id)
        return self._list(active or owned, link.account_id, ambiguous=len(active) > 1)

    def contract_status(self, message: Incoming, named: str) -> Reply:
        """`contract status [CONTRACT]`: one contract by id or title words, else the choice."""
        link = self.links.link_of(message.user)
        if link is None:
            return _private("not_linked", answer="")
        owned = self.contracts.contracts_of(link.account_id)
        if not named:
            active = [c for c in owned if c.status is not ContractStatus.ENDED]
            if len(active) == 1:
                return self._status(active[0], link.account_id)
            return self._list(active or owned, link.account_id, ambiguous=len(active) > 1)
        exact = [c for c in owned if c.id.lower() == named.lower()]
        contract = exact[0] if exact else named_contract(owned, named)
        if contract is None:
            return _private("contract_unknown", named=named[:64])
        return self._status(contract, link.account_id)

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

    def forget(self, message: Incoming) -> Reply:
        """`forget me`: the link, wrong-code records, hand-offs and notifications go."""
        self.links.forget(message.user)
        return _private("forgotten")

    def _status(self, contract: Contract, account_id: str) -> Reply:
        role = contract.role_of(account_id)
        assert role is not None, "contracts_of returned a contract the account is not party to"
        return _private("contract_status", contract=contract_view(contract, role, self.clock()))

    def _list(self, contracts: Sequence[Contract], account_id: str, ambiguous: bool) -> Reply:
        now = self.clock()
        views = []
        for c in contracts:
            role = c.role_of(account_id)
            assert role is not None
            views.append(summary_view(c, role, now))
        return _private("contract_list", account=account_id, contracts=views,
                        ambiguous=ambiguous)
