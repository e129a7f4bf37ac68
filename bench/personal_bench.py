"""Personal questions measured: how many are answered with the member's own facts, and how
many replies leak anything of another member.

    python bench/personal_bench.py [--questions bench/eval/personal.jsonl] [--failures]

Runs on a fresh SQLite file with the demo contracts and `bench/eval/personal-team.json`, both
dated around today as `forumbot chat --demo` is; each question is asked by its member's
linked identity (or an unlinked one) through the assistant, and the reply is rendered as the
console shows it. A reply leaks when it holds a contract id, a milestone title or an account
name that belongs only to other members' contracts, or one of the line's own `must_not` facts.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_app
from bot.contracts.demo import demo_dataset, moved
from bot.contracts.importing import dataset_from_json
from bot.contracts.model import Dataset
from bot.messages import Incoming
from bot.settings import settings_from_environ

HERE = Path(__file__).resolve().parent
TEAM = HERE / "eval" / "personal-team.json"


def _others_facts(dataset: Dataset, member: str | None) -> list[str]:
    """What only other members' contracts hold: their ids, milestone titles, party names."""
    mine = [c for c in dataset.contracts if member and c.role_of(member)]
    theirs = [c for c in dataset.contracts if c not in mine]
    own_titles = {m.title for c in mine for m in c.milestones}
    own_parties = {p for c in mine for p in (c.client, c.freelancer)}
    names = {a.id: a.name for a in dataset.accounts}
    facts = {c.id for c in theirs}
    facts |= {m.title for c in theirs for m in c.milestones} - own_titles
    facts |= {names[p] for c in theirs for p in (c.client, c.freelancer)
              if p not in own_parties and p in names}
    return sorted(facts)


def _leaks(text: str, facts: list[str], question: str) -> list[str]:
    """The facts the reply holds; the member's own words echoed back are not a leak."""
    return [f for f in facts if f.lower() not in question.lower()
            and re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", text)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=HERE / "eval" / "personal.jsonl")
    parser.add_argument("--failures", action="store_true", help="print every miss and leak")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = [json.loads(line) for line in
                                  args.questions.read_text(encoding="utf-8").splitlines()
                                  if line.strip()]
    today = datetime.now(UTC).date()
    demo = demo_dataset(today)
    team = moved(dataset_from_json(TEAM.read_text(encoding="utf-8")), today)
    both = Dataset(demo.accounts + team.accounts, demo.contracts + team.contracts)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(settings_from_environ({"FORUMBOT_DATA_DIR": tmp}))
        app.contracts.import_dataset(both)
        now = datetime.now(UTC)
        identities: dict[str | None, str] = {None: "console:bench-unlinked"}
        for account in {r["member"] for r in rows if r["member"]}:
            identity = f"console:bench-{account}"
            app.links.redeem(identity, "console", app.links.issue_code(account, now), now)
            identities[account] = identity
        answered: Counter[str] = Counter()
        asked: Counter[str] = Counter()
        leaked = 0
        for row in rows:
            reply = app.assistant.handle(Incoming(row["q"], identities[row["member"]]))
            text = app.renderer.render(reply, "text")
            missing = [f for f in row["must"] if f not in text]
            leaks = _leaks(text, sorted(set(row["must_not"])
                                        | set(_others_facts(both, row["member"]))), row["q"])
            asked[row["kind"]] += 1
            if not missing and not leaks:
                answered[row["kind"]] += 1
            leaked += bool(leaks)
            if args.failures and (missing or leaks):
                print(f"--- {row['member']}: {row['q']!r}\n    missing {missing} leaked {leaks}"
                      f"\n    " + text.replace("\n", "\n    "))
        app.engine.dispose()
    total = sum(asked.values())
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(asked.items()))
    print(f"questions                                  {total} ({kinds})")
    for kind in sorted(asked):
        print(f"  {kind:12} answered with the right facts  {answered[kind] / asked[kind]:6.1%}")
    print(f"answered with the right facts (all)        {sum(answered.values()) / total:6.1%}")
    print(f"replies leaking another member's data      {leaked / total:6.1%} ({leaked})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
