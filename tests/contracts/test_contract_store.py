"""Imported contracts in the database: who sees what, idempotent re-imports, all or nothing.

Every test that takes `database_url` runs on a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from adapters.cli.main import run
from bot.contracts.importing import dataset_from_json
from bot.contracts.model import Account, Dataset, Role
from bot.errors import ImportProblem
from bot.storage.contract_store import RecordCounts, SqlContractStore
from bot.storage.database import make_engine

DATA = Path(__file__).parents[1] / "data"
EXAMPLE = json.loads((DATA / "contracts.json").read_text(encoding="utf-8"))
TABLES = {
    "accounts": "id",
    "contracts": "id",
    "milestones": "contract_id, seq",
    "invoices": "contract_id, week_start",
}


def example() -> dict[str, Any]:
    """A fresh copy of the format document's example."""
    return copy.deepcopy(EXAMPLE)


def dataset(doc: dict[str, Any]) -> Dataset:
    return dataset_from_json(json.dumps(doc))


def stored(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every contract-data row, every column, as the database holds it."""
    with engine.connect() as conn:
        return {table: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} "
                                                             f"ORDER BY {key}"))]
                for table, key in TABLES.items()}


@pytest.fixture
def store(engine: Engine) -> SqlContractStore:
    return SqlContractStore(engine)


@pytest.fixture
def writes(engine: Engine) -> list[str]:
    """Every INSERT, UPDATE or DELETE the engine sends from now on."""
    sent: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            sent.append(statement)

    return sent


# --- who sees what --------------------------------------------------------------------------


def test_the_client_and_the_freelancer_each_see_their_contracts_newest_first(
    store: SqlContractStore,
) -> None:
    imported = dataset(example())
    store.import_dataset(imported)
    logo, bookkeeping = imported.contracts
    assert store.contracts_of("acc-bram") == [bookkeeping, logo]
    assert store.contracts_of("acc-alice") == [bookkeeping, logo]


def test_an_account_that_is_party_to_nothing_sees_no_contracts(store: SqlContractStore) -> None:
    doc = example()
    doc["accounts"].append({"id": "acc-carol", "name": "Carol", "role": "freelancer"})
    store.import_dataset(dataset(doc))
    assert store.contracts_of("acc-carol") == []
    assert store.contracts_of("acc-nobody") == []


def test_each_side_sees_only_its_own_contracts(store: SqlContractStore) -> None:
    doc = example()
    doc["accounts"].append({"id": "acc-carol", "name": "Carol", "role": "freelancer"})
    doc["contracts"][1]["freelancer"] = "acc-carol"
    store.import_dataset(dataset(doc))
    assert [c.id for c in store.contracts_of("acc-alice")] == ["C-1001"]
    assert [c.id for c in store.contracts_of("acc-carol")] == ["C-1002"]
    assert [c.id for c in store.contracts_of("acc-bram")] == ["C-1002", "C-1001"]


def test_a_contract_and_an_account_read_back_exactly_as_imported(
    store: SqlContractStore, engine: Engine,
) -> None:
    imported = dataset(example())
    store.import_dataset(imported)
    assert store.contract("C-1001") == imported.contracts[0]
    assert store.contract("C-1002") == imported.contracts[1]
    assert store.contract("C-404") is None
    assert store.account("acc-alice") == Account("acc-alice", "Alice Moreau", Role.FREELANCER)
    assert store.account("acc-nobody") is None
    assert [r[3] for r in stored(engine)["milestones"]] == ["50.00", "150.00"], "exact text"


# --- re-imports -----------------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    store: SqlContractStore, engine: Engine, writes: list[str],
) -> None:
    first = store.import_dataset(dataset(example()))
    assert first.total() == RecordCounts(created=7)
    before = stored(engine)
    assert writes, "the first import wrote, and the listener saw it"
    writes.clear()

    second = store.import_dataset(dataset(example()))

    assert second.total() == RecordCounts(unchanged=7)
    assert stored(engine) == before
    assert writes == [], "nothing was written the second time"


def test_a_changed_file_updates_records_in_place_and_drops_milestones_it_no_longer_lists(
    store: SqlContractStore, engine: Engine,
) -> None:
    store.import_dataset(dataset(example()))
    doc = example()
    doc["accounts"][0]["name"] = "Alice Moreau-Diaz"
    logo = doc["contracts"][0]
    logo["title"] = "Logo, brand kit and guide"
    final = logo["milestones"][1]
    final.update(status="funded", funded_at="2026-10-20")
    logo["milestones"] = [final, {"seq": 3, "title": "Brand guide", "amount": "200.00",
                                  "status": "not_funded"}]
    doc["contracts"][1]["hourly"]["invoices"][0]["hours"] = "8"

    report = store.import_dataset(dataset(doc))

    assert report.accounts == RecordCounts(updated=1, unchanged=1)
    assert report.contracts == RecordCounts(updated=1, unchanged=1)
    assert report.milestones == RecordCounts(created=1, updated=1, removed=1)
    assert report.invoices == RecordCounts(updated=1)
    contract = store.contract("C-1001")
    assert contract is not None and contract.title == "Logo, brand kit and guide"
    assert [(m.seq, m.status.value) for m in contract.milestones] == [
        (2, "funded"), (3, "not_funded")]
    assert store.account("acc-alice") == Account("acc-alice", "Alice Moreau-Diaz", Role.FREELANCER)
    assert len(stored(engine)["contracts"]) == 2, "updated in place, not added"


def test_contracts_not_in_a_later_file_are_left_alone(store: SqlContractStore) -> None:
    store.import_dataset(dataset(example()))
    doc = example()
    del doc["contracts"][1]
    store.import_dataset(dataset(doc))
    assert [c.id for c in store.contracts_of("acc-bram")] == ["C-1002", "C-1001"]


def test_a_later_file_may_name_accounts_imported_earlier(store: SqlContractStore) -> None:
    store.import_dataset(dataset(example()))
    doc = {"contracts": [dict(example()["contracts"][0], id="C-2000")]}
    assert store.import_dataset(dataset(doc)).contracts == RecordCounts(created=1)
    assert [c.id for c in store.contracts_of("acc-alice")] == ["C-1002", "C-1001", "C-2000"]


# --- all or nothing -------------------------------------------------------------------------


def test_a_contract_naming_an_unknown_account_rejects_the_whole_file(
    store: SqlContractStore, engine: Engine,
) -> None:
    store.import_dataset(dataset(example()))
    before = stored(engine)
    doc = example()
    doc["accounts"][0]["name"] = "Renamed"
    doc["contracts"].append(dict(doc["contracts"][0], id="C-3000", freelancer="acc-zed"))

    with pytest.raises(ImportProblem) as caught:
        store.import_dataset(dataset(doc))

    assert caught.value.message == (
        "contracts[2].freelancer: 'acc-zed' is not an account in this file or in the database")
    assert stored(engine) == before


def test_an_import_interrupted_halfway_leaves_the_database_as_it_was(
    store: SqlContractStore, engine: Engine,
) -> None:
    store.import_dataset(dataset(example()))
    before = stored(engine)
    doc = example()
    doc["contracts"] += [dict(doc["contracts"][0], id=f"C-{n}") for n in range(2000, 3200)]
    doc["contracts"][0]["title"] = "Changed in the first batch"

    def interrupt(done: int, total: int) -> None:
        if done > 1000:  # the first batches of contracts are written by now
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.import_dataset(dataset(doc), interrupt)
    assert stored(engine) == before


def test_progress_is_reported_up_to_every_record_of_the_file(store: SqlContractStore) -> None:
    doc = example()
    doc["contracts"] += [dict(doc["contracts"][0], id=f"C-{n}") for n in range(2000, 3200)]
    calls: list[tuple[int, int]] = []
    store.import_dataset(dataset(doc), lambda done, total: calls.append((done, total)))
    total = 2 + 1202 + 2 * 1201 + 1
    assert calls[-1] == (total, total)
    assert len(calls) > 2 and [d for d, _ in calls] == sorted(d for d, _ in calls)


# --- the command, end to end ----------------------------------------------------------------


@pytest.fixture
def environ(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"FORUMBOT_DATABASE_URL": database_url, "FORUMBOT_DATA_DIR": str(tmp_path / "data")}


def test_the_import_command_reports_what_it_did_and_a_second_run_changes_nothing(
    environ: dict[str, str], capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["contracts", "import", str(DATA / "contracts.json")], environ) == 0
    assert capsys.readouterr().out == (
        "imported contracts.json: 2 accounts, 2 contracts, 2 milestones, 1 invoice; "
        "7 created, 0 updated, 0 unchanged, 0 removed\n")
    assert run(["contracts", "import", str(DATA / "contracts.csv")], environ) == 0
    assert capsys.readouterr().out.endswith("0 created, 0 updated, 7 unchanged, 0 removed\n")


def test_a_bad_file_exits_2_naming_the_record_and_leaves_the_database_unchanged(
    environ: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    assert run(["contracts", "import", str(DATA / "contracts.json")], environ) == 0
    engine = make_engine(environ["FORUMBOT_DATABASE_URL"])
    before = stored(engine)
    doc = example()
    doc["accounts"][0]["name"] = "Renamed"
    doc["contracts"][0]["milestones"][1]["status"] = "payed"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    capsys.readouterr()

    assert run(["contracts", "import", str(bad)], environ) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("forumbot: contracts[0].milestones[1].status: 'payed' is not one of "
                          "not_funded, funded,")
    assert stored(engine) == before
    engine.dispose()


def test_a_csv_naming_an_unknown_account_is_rejected_with_the_line_of_the_contract(
    environ: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    lines = (DATA / "contracts.csv").read_text(encoding="utf-8").splitlines()
    rows = [line for line in lines if not line.startswith("account,")]
    bad = tmp_path / "contracts-only.csv"
    bad.write_text("\n".join(rows) + "\n", encoding="utf-8")

    assert run(["contracts", "import", str(bad)], environ) == 2

    assert capsys.readouterr().err == (
        "forumbot: line 2: contracts[0].client: 'acc-bram' is not an account in this file "
        "or in the database\n")


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("missing.json", None, "forumbot: cannot read {path}: No such file or directory\n"),
    ("contracts.txt", "{}", "forumbot: cannot tell the format of contracts.txt from its "
     "extension; add --format json or --format csv\n"),
    ("broken.json", '{"accounts": [}', "forumbot: line 1, column 15: not valid JSON: "
     "Expecting value\n"),
    ("latin1.csv", b"record,id,name,role\naccount,a,Ren\xe9,client\n",
     "forumbot: {path}: line 2: not UTF-8 text; save it as UTF-8\n"),
], ids=["a missing file", "an unknown extension", "invalid JSON", "a file not in UTF-8"])
def test_a_file_that_cannot_be_read_exits_2_with_a_clear_message(
    sqlite_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    name: str, content: str | bytes | None, expected: str,
) -> None:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    environ = {"FORUMBOT_DATABASE_URL": sqlite_database, "FORUMBOT_DATA_DIR": str(tmp_path)}

    assert run(["contracts", "import", str(path)], environ) == 2

    assert capsys.readouterr().err == expected.format(path=path)


def test_the_format_option_reads_a_file_whatever_its_name(
    sqlite_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "export.txt"
    path.write_text((DATA / "contracts.csv").read_text(encoding="utf-8"), encoding="utf-8")
    environ = {"FORUMBOT_DATABASE_URL": sqlite_database, "FORUMBOT_DATA_DIR": str(tmp_path)}
    assert run(["contracts", "import", "--format", "csv", str(path)], environ) == 0
    assert "7 created" in capsys.readouterr().out
