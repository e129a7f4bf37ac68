"""Every wording the assistant suggests ("ask me ...", "name the job (...)") is answered as it
says: collected from the pack's answers and the templates, and asked."""

from __future__ import annotations

import re

import pytest

from bot.contracts.demo import demo_dataset
from bot.faq.knowledge_pack import KnowledgePack
from bot.messages import Incoming
from bot.rendering import Renderer
from bot.resources import templates_dir
from tests.fakes import NOW, FakeLinks, fake_assistant, fake_desk

SUGGESTED = re.compile(r'\b[Aa]sk(?: me)?(?: something like)? "([^"{}]+)"')
# "for example "how does escrow work" or "client asked for a refund""
EXAMPLES = re.compile(r'\bfor example ((?:"[^"{}]+"(?:,| or)?\s*)+)')
# What each suggested wording must get: an FAQ entry's answer, or a personal reply.
EXPECTED = {
    "was my milestone funded?": "contract_list",
    "show my contracts": "contract_list",
    "who sets the milestones?": "milestones-who-sets",
    "can a contract expire": "contract-expiry",
    "contract ended while a milestone is funded": "contract-ended-funded",
    "how do I link my account": "link-account",
    "how do disputes work": "dispute-process",
    "how does a refund request work": "refund-request",
    "how does escrow work": "escrow-basics",
    "client asked for a refund": "refund-request",
}


def suggested_wordings(pack: KnowledgePack) -> set[str]:
    """The quoted wordings the pack's answers and the text templates tell members to ask."""
    texts = [e.answer for e in pack.entries]
    texts += [p.read_text(encoding="utf-8") for p in (templates_dir() / "text").glob("*.j2")]
    found = {w for text in texts for w in SUGGESTED.findall(text)}
    for text in texts:
        for listed in EXAMPLES.findall(text):
            found.update(re.findall(r'"([^"]+)"', listed))
    return found


def test_the_collected_wordings_are_all_listed_here(pack: KnowledgePack) -> None:
    assert suggested_wordings(pack) == set(EXPECTED)


@pytest.mark.parametrize(("wording", "expected"), sorted(EXPECTED.items()))
def test_every_suggested_wording_is_answered_as_it_says(
    pack: KnowledgePack, wording: str, expected: str,
) -> None:
    data = demo_dataset(NOW.date())
    desk = fake_desk(list(data.contracts), {a.id: a.name for a in data.accounts},
                     pack.vocabulary)
    assert isinstance(desk.links, FakeLinks)
    assistant = fake_assistant(pack, desk=desk)
    assistant.handle(Incoming(f"link {desk.links.issue_code('acc-demo', NOW)}", "console:d"))
    reply = assistant.handle(Incoming(wording, "console:d"))
    got = reply.context["entry"]["id"] if reply.template == "answer" else reply.template
    assert got == expected


def test_naming_the_job_as_a_contract_list_suggests_answers_with_that_contract(
    pack: KnowledgePack,
) -> None:
    data = demo_dataset(NOW.date())
    desk = fake_desk(list(data.contracts), {a.id: a.name for a in data.accounts},
                     pack.vocabulary)
    assert isinstance(desk.links, FakeLinks)
    assistant = fake_assistant(pack, desk=desk)
    assistant.handle(Incoming(f"link {desk.links.issue_code('acc-demo', NOW)}", "console:d"))
    renderer = Renderer(templates_dir())
    listing = renderer.render(assistant.handle(Incoming("show my contracts", "console:d")))
    (suggested,) = re.findall(r'name the job \("([^"]+)"\)', listing)
    (shown,) = [c.title for c in data.contracts if c.title in suggested]
    for contract in data.contracts:  # each job named as the listing shows it
        wording = suggested.replace(shown, contract.title)
        reply = assistant.handle(Incoming(wording, "console:d"))
        assert reply.template == "contract_status"
        assert reply.context["contract"]["id"] == contract.id
