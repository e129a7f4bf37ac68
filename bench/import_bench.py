"""Contract import benchmark: 100,000 milestones (plus hourly contracts) into SQLite and PostgreSQL.

Generates a deterministic dataset (random.Random(seed)), writes it as JSON and as CSV to a
temporary folder, and times what `forumbot contracts import` does: read the file, parse and
check it, store it in one transaction. Each format goes into a fresh database (a new SQLite
file; a new PostgreSQL schema, dropped afterwards), then the same file is imported again
(which must change nothing). A last row per database times the whole `forumbot contracts
import` process, start-up included. Target: under 60 s for the first import.

Run from the repo root:  .venv/bin/python bench/import_bench.py [--milestones N] [--seed N]
PostgreSQL: FORUMBOT_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from adapters.cli.contracts import FORMATS
from bot.contracts.csv_import import ALL_COLUMNS
from bot.settings import sqlite_url
from bot.storage.contract_store import SqlContractStore
from bot.storage.database import make_engine, upgrade

POSTGRES_URL = os.environ.get(
    "FORUMBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TARGET_S = 60.0
MILESTONES_PER_CONTRACT = 5
HOURLY_SHARE, INVOICES_PER_CONTRACT = 10, 8  # one hourly contract per 10 fixed ones
STATES = ["not_funded", "funded", "submitted", "changes_requested", "approved", "paid",
          "refunded", "cancelled"]
STAMPS = {"not_funded": 0, "cancelled": 0, "funded": 1, "submitted": 2, "changes_requested": 2,
          "refunded": 2, "approved": 3, "paid": 4}


def _day(start: date, days: int) -> str:
    return (start + timedelta(days=days)).isoformat()


def _milestone(seq: int, start: date, rng: random.Random) -> dict[str, Any]:
    status = rng.choice(STATES)
    record: dict[str, Any] = {"seq": seq, "title": f"Milestone {seq}",
                              "amount": f"{rng.randint(10, 5000)}.{rng.randint(0, 99):02d}",
                              "due": _day(start, 7 * seq), "status": status}
    for i, key in enumerate(("funded_at", "submitted_at", "approved_at", "available_at")):
        if i < STAMPS[status]:
            record[key] = _day(start, 7 * seq + 2 * i)
    return record


def dataset(milestones: int, seed: int) -> dict[str, Any]:
    """An import document with `milestones` milestones and some hourly contracts."""
    rng = random.Random(seed)
    fixed = milestones // MILESTONES_PER_CONTRACT
    accounts = [{"id": f"acc-{i}", "name": f"Account {i}",
                 "role": "client" if i % 2 else "freelancer"} for i in range(max(4, fixed // 4))]
    contracts = []
    for n in range(fixed + fixed // HOURLY_SHARE):
        start = date(2025, 1, 1) + timedelta(days=rng.randint(0, 600))
        contract: dict[str, Any] = {
            "id": f"C-{n}", "title": f"Project {n}", "status": "active",
            "client": f"acc-{rng.randrange(1, len(accounts), 2)}",
            "freelancer": f"acc-{rng.randrange(0, len(accounts), 2)}",
            "started_at": start.isoformat(), "currency": "USD",
        }
        if n < fixed:
            contract |= {"type": "fixed", "milestones": [
                _milestone(s, start, rng) for s in range(1, MILESTONES_PER_CONTRACT + 1)]}
        else:
            contract |= {"type": "hourly", "hourly": {
                "rate": "30.00", "weekly_limit_hours": 20, "invoices": [
                    {"week_start": _day(start, 7 * w), "hours": "7.5", "amount": "225.00",
                     "status": "available"} for w in range(INVOICES_PER_CONTRACT)]}}
        contracts.append(contract)
    return {"accounts": accounts, "contracts": contracts}


def csv_text(doc: dict[str, Any]) -> str:
    """The same document in the CSV form."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=ALL_COLUMNS)
    writer.writeheader()
    for account in doc["accounts"]:
        writer.writerow({"record": "account", **account})
    for c in doc["contracts"]:
        terms = c.get("hourly", {})
        flat = {k: v for k, v in c.items() if k not in ("milestones", "hourly")}
        writer.writerow({"record": "contract", **flat, "rate": terms.get("rate"),
                         "weekly_limit_hours": terms.get("weekly_limit_hours")})
        for m in c.get("milestones", []):
            writer.writerow({"record": "milestone", "contract": c["id"], **m})
        for v in terms.get("invoices", []):
            writer.writerow({"record": "invoice", "contract": c["id"], **v})
    return out.getvalue()


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections use a fresh schema, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        separator = "&" if "?" in POSTGRES_URL else "?"
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh, empty database of the kind."""
    if kind == "sqlite":
        yield sqlite_url(folder / f"bench-{uuid.uuid4().hex[:8]}.db")
    else:
        with postgres_schema() as url:
            yield url


def timed_import(url: str, path: Path, fmt: str) -> tuple[float, float, float, str]:
    """(read + parse s, store s, total s, what changed) of one import."""
    engine = make_engine(url)
    upgrade(engine)
    try:
        t0 = time.perf_counter()
        dataset = FORMATS[fmt](path.read_text(encoding="utf-8-sig"))
        t1 = time.perf_counter()
        report = SqlContractStore(engine).import_dataset(dataset)
        t2 = time.perf_counter()
    finally:
        engine.dispose()
    total = report.total()
    return t1 - t0, t2 - t1, t2 - t0, (f"{total.created} new, {total.updated} upd, "
                                       f"{total.unchanged} same")


def cli_import(url: str, path: Path, folder: Path) -> float:
    """Wall time of the whole `forumbot contracts import` process."""
    env = dict(os.environ, FORUMBOT_DATABASE_URL=url, FORUMBOT_DATA_DIR=str(folder))
    forumbot = Path(sys.executable).with_name("forumbot")
    t0 = time.perf_counter()
    subprocess.run([str(forumbot), "contracts", "import", str(path)], env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--milestones", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args()
    doc = dataset(args.milestones, args.seed)
    records = len(doc["accounts"]) + sum(
        1 + len(c.get("milestones", [])) + len(c.get("hourly", {}).get("invoices", []))
        for c in doc["contracts"])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = {"json": folder / "contracts.json", "csv": folder / "contracts.csv"}
        files["json"].write_text(json.dumps(doc, indent=1), encoding="utf-8")
        files["csv"].write_text(csv_text(doc), encoding="utf-8")
        print(f"{args.milestones:,} milestones, {records:,} records; "
              + ", ".join(f"{k} {p.stat().st_size / 1e6:.1f} MB" for k, p in files.items()))
        print(f"{'database':11}{'format':7}{'run':10}{'parse s':>9}{'store s':>9}{'total s':>9}"
              f"  {'records':30}target")
        print("-" * 100)
        for kind in ("sqlite", *(() if args.no_postgres else ("postgresql",))):
            for fmt, path in files.items():
                with database(kind, folder) as url:
                    for run in ("first", "re-import"):
                        parse, store, total, what = timed_import(url, path, fmt)
                        verdict = ("pass" if total < TARGET_S else "OVER") if run == "first" else ""
                        print(f"{kind:11}{fmt:7}{run:10}{parse:9.2f}{store:9.2f}{total:9.2f}"
                              f"  {what:30}{verdict and f'< {TARGET_S:.0f} s: {verdict}'}")
            with database(kind, folder) as url:
                seconds = cli_import(url, files["json"], folder)
                print(f"{kind:11}{'json':7}{'CLI':10}{'':9}{'':9}{seconds:9.2f}"
                      "  whole process, start-up included")


if __name__ == "__main__":
    main()
