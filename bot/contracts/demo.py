"""The demo: a member with a few contracts in different states, dated around today."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.contracts.importing import dataset_from_json
from bot.contracts.linking import LinkStore
from bot.contracts.model import Contract, Dataset

DEMO_ACCOUNT = "acc-demo"
DEMO_FILE = Path(__file__).with_name("demo_contracts.json")
# The day the demo file's dates were written around; they move with the calendar.
ANCHOR = date(2026, 11, 21)


def _shifted(record: Any, delta: timedelta) -> Any:
    changes = {f.name: getattr(record, f.name) + delta for f in dataclasses.fields(record)
               if isinstance(getattr(record, f.name), datetime)}
    return dataclasses.replace(record, **changes)


def _contract(contract: Contract, delta: timedelta) -> Contract:
    moved: Contract = _shifted(contract, delta)
    return dataclasses.replace(
        moved,
        milestones=tuple(_shifted(m, delta) for m in contract.milestones),
        invoices=tuple(_shifted(i, delta) for i in contract.invoices),
    )


def moved(dataset: Dataset, today: date) -> Dataset:
    """A dataset written around `ANCHOR` with its dates moved so that `today` plays that day."""
    delta = today - ANCHOR
    return Dataset(dataset.accounts, tuple(_contract(c, delta) for c in dataset.contracts))


def demo_dataset(today: date) -> Dataset:
    """The demo contracts with their dates moved so that `today` plays the anchor day."""
    return moved(dataset_from_json(DEMO_FILE.read_text(encoding="utf-8")), today)


def link_demo_member(links: LinkStore, identity: str, now: datetime) -> None:
    """Link the identity to the demo account through the ordinary code path."""
    link = links.link_of(identity)
    if link is None or link.account_id != DEMO_ACCOUNT:
        links.redeem(identity, "console", links.issue_code(DEMO_ACCOUNT, now), now)
