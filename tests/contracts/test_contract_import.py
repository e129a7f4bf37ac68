"""Checking a contract import file: what an operator sees when a record is wrong.

Pure: text in, a Dataset or one error naming the record and the reason out. No database.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.contracts.csv_import import dataset_from_csv
from bot.contracts.importing import dataset_from_json, dataset_from_mapping
from bot.contracts.model import ContractType, InvoiceStatus, MilestoneStatus, Role
from bot.errors import ImportProblem, UserError

DATA = Path(__file__).parents[1] / "data"
EXAMPLE = json.loads((DATA / "contracts.json").read_text(encoding="utf-8"))
EXAMPLE_CSV = (DATA / "contracts.csv").read_text(encoding="utf-8")
ALL_MILESTONE_STATES = ("not_funded, funded, submitted, changes_requested, approved, paid, "
                        "refunded, cancelled")


def example() -> dict[str, Any]:
    """A fresh copy of the format document's example, to break one thing in."""
    return copy.deepcopy(EXAMPLE)


def problem_with(doc: object) -> str:
    """The message an import of `doc` fails with."""
    with pytest.raises(ImportProblem) as caught:
        dataset_from_json(json.dumps(doc))
    assert isinstance(caught.value, UserError)
    return caught.value.message


def problem_in_json(text: str) -> str:
    with pytest.raises(ImportProblem) as caught:
        dataset_from_json(text)
    return caught.value.message


def problem_in_csv(text: str) -> str:
    with pytest.raises(ImportProblem) as caught:
        dataset_from_csv(text)
    return caught.value.message


# --- a good file ----------------------------------------------------------------------------


def test_the_format_documents_example_imports_with_exact_amounts_and_utc_dates() -> None:
    dataset = dataset_from_json(json.dumps(EXAMPLE))
    alice, bram = dataset.accounts
    assert (alice.id, alice.role, bram.role) == ("acc-alice", Role.FREELANCER, Role.CLIENT)
    logo, bookkeeping = dataset.contracts
    assert logo.type is ContractType.FIXED and bookkeeping.type is ContractType.HOURLY
    assert logo.started_at == datetime(2026, 10, 1, tzinfo=UTC)
    sketches, final = logo.milestones
    assert str(sketches.amount) == "50.00" and sketches.status is MilestoneStatus.PAID
    assert sketches.available_at == datetime(2026, 10, 13, tzinfo=UTC)
    assert final.due is None and final.funded_at is None
    assert bookkeeping.hourly_rate == Decimal("30.00") and bookkeeping.weekly_limit_hours == 10
    (week,) = bookkeeping.invoices
    assert str(week.hours) == "7.5" and week.status is InvoiceStatus.IN_REVIEW
    assert dataset.milestone_count == 2


def test_times_with_an_offset_become_utc_and_times_without_one_are_utc() -> None:
    doc = example()
    doc["contracts"][0]["started_at"] = "2026-10-01T14:05:00+02:00"
    doc["contracts"][1]["started_at"] = "2026-11-02T09:30"
    logo, bookkeeping = dataset_from_json(json.dumps(doc)).contracts
    assert logo.started_at == datetime(2026, 10, 1, 12, 5, tzinfo=UTC)
    assert logo.started_at.utcoffset() is not None and logo.started_at.tzinfo is UTC
    assert bookkeeping.started_at == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def test_amounts_keep_every_digit_the_file_wrote() -> None:
    doc = example()
    doc["contracts"][0]["milestones"][1]["amount"] = "1234567890123.10"
    doc["contracts"][1]["hourly"]["invoices"][0]["amount"] = "0.1"
    logo, bookkeeping = dataset_from_json(json.dumps(doc)).contracts
    assert str(logo.milestones[1].amount) == "1234567890123.10"
    assert str(bookkeeping.invoices[0].amount) == "0.1"


def test_milestones_come_out_in_seq_order_whatever_the_file_order() -> None:
    doc = example()
    doc["contracts"][0]["milestones"].reverse()
    (logo, _) = dataset_from_json(json.dumps(doc)).contracts
    assert [m.seq for m in logo.milestones] == [1, 2]


def test_a_file_with_only_accounts_is_fine() -> None:
    dataset = dataset_from_mapping({"accounts": EXAMPLE["accounts"]})
    assert len(dataset.accounts) == 2 and dataset.contracts == ()


# --- one broken record: the error names where and why ----------------------------------------

Breakage = Callable[[dict[str, Any]], None]


def _parent(doc: dict[str, Any], path: str) -> tuple[Any, Any]:
    """The container holding `path` (in the error messages' form) and the key within it."""
    parts: list[Any] = [int(p) if p.isdigit() else p
                        for p in path.replace("[", ".").replace("]", "").split(".")]
    target: Any = doc
    for part in parts[:-1]:
        target = target[part]
    return target, parts[-1]


def _set(path: str, value: object) -> Breakage:
    def apply(doc: dict[str, Any]) -> None:
        target, key = _parent(doc, path)
        target[key] = value
    return apply


def _drop(path: str) -> Breakage:
    def apply(doc: dict[str, Any]) -> None:
        target, key = _parent(doc, path)
        del target[key]
    return apply


def _append_milestone(**fields: object) -> Breakage:
    def apply(doc: dict[str, Any]) -> None:
        doc["contracts"][0]["milestones"].append(
            {"seq": 3, "title": "Extra", "amount": "10.00", "status": "funded", **fields})
    return apply


M1 = "contracts[0].milestones[1]"
BROKEN = {
    "a misspelt milestone status": (
        _set(f"{M1}.status", "payed"),
        f"{M1}.status: 'payed' is not one of {ALL_MILESTONE_STATES}"),
    "an unknown key on a contract": (
        _set("contracts[0].colour", "red"),
        "contracts[0].colour: unknown key; a contract has id, title, type, client, freelancer, "
        "status, started_at, ended_at, currency, milestones, hourly"),
    "an unknown key at the top": (
        _set("version", 2), "version: unknown key; an import document has accounts, contracts"),
    "a date that is not a date": (
        _set("contracts[0].started_at", "2026-13-01"),
        "contracts[0].started_at: '2026-13-01' is not a date such as 2026-11-03 or "
        "2026-11-03T14:05:00Z"),
    "a date in a local format": (
        _set(f"{M1}.due", "03/11/2026"), f"{M1}.due: '03/11/2026' is not a date such as"),
    "an amount written as a JSON number": (
        _set(f"{M1}.amount", 150.5), f'{M1}.amount: 150.5 is a number; write amounts as decimal '
        'strings ("150.5") so they stay exact'),
    "a negative amount": (_set(f"{M1}.amount", "-150.00"), f"{M1}.amount: '-150.00' is negative"),
    "an amount in exponent form": (
        _set(f"{M1}.amount", "1e3"), f"{M1}.amount: '1e3' is not a decimal amount"),
    "NaN as an amount": (_set(f"{M1}.amount", "NaN"), f"{M1}.amount: 'NaN' is not a decimal"),
    "a missing required field": (_drop("contracts[1].title"), "contracts[1].title: missing"),
    "a required field set to null": (_set("accounts[0].name", None), "accounts[0].name: is null"),
    "a seq written as a string": (
        _set(f"{M1}.seq", "2"), f"{M1}.seq: expected a whole number, got '2'"),
    "a blank title": (_set("contracts[0].title", "  "), "contracts[0].title: is blank"),
    "an unknown account role": (
        _set("accounts[1].role", "agency"), "accounts[1].role: 'agency' is not one of "
        "freelancer, client"),
    "an unknown invoice status": (
        _set("contracts[1].hourly.invoices[0].status", "paid"),
        "contracts[1].hourly.invoices[0].status: 'paid' is not one of in_review, pending, "
        "available, disputed"),
    "more hours than a week has": (
        _set("contracts[1].hourly.invoices[0].hours", "170"),
        "contracts[1].hourly.invoices[0].hours: 170 is more than a week's 168"),
    "a lower-case currency": (
        _set("contracts[0].currency", "usd"),
        "contracts[0].currency: 'usd' is not a currency code such as USD"),
    "a fixed contract with hourly terms": (
        _set("contracts[0].hourly", {"rate": "1.00", "invoices": []}),
        "contracts[0].hourly: a fixed contract has milestones, not hourly"),
    "an hourly contract with milestones": (
        _set("contracts[1].milestones", []),
        "contracts[1].milestones: an hourly contract has no milestones; its weeks go in "
        "hourly.invoices"),
    "a fixed contract without its milestones list": (
        _drop("contracts[0].milestones"), "contracts[0].milestones: missing"),
    "an hourly contract without its rate": (
        _drop("contracts[1].hourly.rate"), "contracts[1].hourly.rate: missing"),
    "an ended contract without ended_at": (
        _set("contracts[0].status", "ended"),
        "contracts[0].ended_at: required when status is 'ended'"),
    "an active contract with an end date": (
        _set("contracts[0].ended_at", "2026-12-01"),
        "contracts[0].ended_at: given, but status is 'active'"),
    "a contract that ends before it starts": (
        lambda doc: doc["contracts"][0].update(status="ended", ended_at="2026-09-01"),
        "contracts[0].ended_at: 2026-09-01T00:00:00+00:00 is before started_at "
        "(2026-10-01T00:00:00+00:00)"),
    "a contract between an account and itself": (
        _set("contracts[0].freelancer", "acc-bram"),
        "contracts[0].freelancer: 'acc-bram' is also the client"),
    "a not_funded milestone with a funding date": (
        _set(f"{M1}.funded_at", "2026-10-02"),
        f"{M1}.funded_at: 'not_funded' milestones have no funded_at"),
    "a cancelled milestone with a funding date": (
        _append_milestone(status="cancelled", funded_at="2026-10-02"),
        "contracts[0].milestones[2].funded_at: 'cancelled' milestones have no funded_at"),
    "an approved milestone that is already available": (
        _append_milestone(status="approved", approved_at="2026-10-02",
                          available_at="2026-10-09"),
        "contracts[0].milestones[2].available_at: 'approved' milestones have no available_at"),
    "money available before the milestone was approved": (
        _set("contracts[0].milestones[0].available_at", "2026-10-07"),
        "contracts[0].milestones[0].available_at: 2026-10-07T00:00:00+00:00 is before "
        "approved_at (2026-10-08T00:00:00+00:00)"),
    "a submission before the funding": (
        _set("contracts[0].milestones[0].submitted_at", "2026-09-30"),
        "contracts[0].milestones[0].submitted_at: 2026-09-30T00:00:00+00:00 is before "
        "funded_at"),
    "two milestones with one seq": (
        _set(f"{M1}.seq", 1),
        f"{M1}.seq: seq 1 is already used by contracts[0].milestones[0]"),
    "two invoices for one week": (
        lambda doc: doc["contracts"][1]["hourly"]["invoices"].append(
            dict(doc["contracts"][1]["hourly"]["invoices"][0])),
        "contracts[1].hourly.invoices[1].week_start: week_start 2026-11-02T00:00:00+00:00 is "
        "already used by contracts[1].hourly.invoices[0]"),
    "two accounts with one id": (
        _set("accounts[1].id", "acc-alice"),
        "accounts[1].id: id 'acc-alice' is already used by accounts[0]"),
    "two contracts with one id": (
        _set("contracts[1].id", "C-1001"),
        "contracts[1].id: id 'C-1001' is already used by contracts[0]"),
    "an id longer than the column": (
        _set("accounts[0].id", "a" * 65), "accounts[0].id: is 65 characters long; at most 64"),
    "a title longer than the column": (
        _set("contracts[0].title", "t" * 301),
        "contracts[0].title: is 301 characters long; at most 300"),
    "a name longer than the column": (
        _set("accounts[0].name", "n" * 201),
        "accounts[0].name: is 201 characters long; at most 200"),
    "a title with a line break": (
        _set("contracts[0].title", "Logo\nkit"),
        "contracts[0].title: contains a control character (U+000A); write it on one line"),
    "a milestone that is not an object": (
        _set(M1, "Final files"), f"{M1}: expected a milestone (an object), got 'Final files'"),
    "contracts that are not a list": (
        _set("contracts", {}), "contracts: expected a list, got an object"),
}


@pytest.mark.parametrize("breakage", BROKEN.values(), ids=BROKEN.keys())
def test_a_file_with_one_broken_record_is_rejected_naming_the_record_and_the_reason(
    breakage: tuple[Breakage, str],
) -> None:
    breaks, expected = breakage
    doc = example()
    breaks(doc)
    assert problem_with(doc).startswith(expected)


def test_the_whole_document_must_be_an_object() -> None:
    assert problem_with([EXAMPLE]) == (
        "document: expected an import document (an object), got a list")


def test_invalid_json_is_reported_with_its_line_and_column() -> None:
    text = '{\n  "accounts": [\n    {"id": "a" "name": "A"}\n  ]\n}\n'
    assert problem_in_json(text) == (
        "line 3, column 16: not valid JSON: Expecting ',' delimiter")


def test_a_key_written_twice_in_one_object_is_an_error_not_a_silent_overwrite() -> None:
    text = json.dumps(EXAMPLE).replace('"status": "paid"', '"status": "paid", "status": "funded"')
    assert problem_in_json(text) == "contracts[0].milestones[0]: the key 'status' appears twice"


def test_nan_written_as_a_bare_json_constant_is_not_an_amount() -> None:
    text = json.dumps(EXAMPLE).replace('"amount": "150.00"', '"amount": NaN')
    assert problem_in_json(text).startswith("contracts[0].milestones[1].amount: NaN")


# --- the CSV form ---------------------------------------------------------------------------


def test_the_csv_form_of_the_example_reads_the_same_as_the_json() -> None:
    assert dataset_from_csv(EXAMPLE_CSV) == dataset_from_json(json.dumps(EXAMPLE))


def test_a_csv_with_only_the_columns_it_needs_in_any_order_reads_fine() -> None:
    text = ("name,record,id,role\n"
            "Alice Moreau,account,acc-alice,freelancer\n"
            "\n"
            "Bram Industries,account,acc-bram,client\n")
    assert [a.id for a in dataset_from_csv(text).accounts] == ["acc-alice", "acc-bram"]


def test_a_csv_error_names_the_line_and_the_record() -> None:
    text = EXAMPLE_CSV.replace(",not_funded,", ",payed,")
    assert problem_in_csv(text) == (
        f"line 6: contracts[0].milestones[1].status: 'payed' is not one of {ALL_MILESTONE_STATES}")


def test_a_csv_line_number_counts_blank_lines_and_windows_line_endings() -> None:
    lines = EXAMPLE_CSV.replace("acc-bram,Bram Industries,client", "acc-bram,,client").splitlines()
    lines.insert(2, "")
    assert problem_in_csv("\r\n".join(lines)) == "line 4: accounts[1].name: missing"


def test_a_csv_record_spanning_lines_is_reported_at_the_line_where_it_starts() -> None:
    text = EXAMPLE_CSV.replace("Alice Moreau", '"Alice\nMoreau"')
    assert problem_in_csv(text) == (
        "line 2: accounts[0].name: contains a control character (U+000A); write it on one line")


def test_a_csv_seq_that_is_not_a_whole_number_is_reported_like_in_json() -> None:
    text = EXAMPLE_CSV.replace("C-1001,2,150.00", "C-1001,2.5,150.00")
    assert problem_in_csv(text) == (
        "line 6: contracts[0].milestones[1].seq: expected a whole number, got '2.5'")


@pytest.mark.parametrize(("change", "expected"), [
    (lambda t: t.replace("record,id,", "record,colour,id,"),
     "line 1: header: unknown column 'colour'"),
    (lambda t: t.replace("record,id,", "kind,id,"), "line 1: header: unknown column 'kind'"),
    (lambda t: t.replace("record,id,name,", "id,name,"), "line 1: header: no 'record' column"),
    (lambda t: t.replace("milestone,,,,Sketches", "milestones,,,,Sketches"),
     "line 5: record: 'milestones' is not one of account, contract, milestone, invoice"),
    (lambda t: t.replace("account,acc-alice,Alice Moreau,freelancer,,",
                         "account,acc-alice,Alice Moreau,freelancer,Boss,"),
     "line 2: title: account rows leave this column empty"),
    (lambda t: t.replace(",,C-1001,2,150.00", ",,C-9999,2,150.00"),
     "line 6: contract: 'C-9999' is not the id of a contract row in this file"),
    (lambda t: t.replace(",,C-1001,2,150.00", ",,,2,150.00"),
     "line 6: contract: missing; a milestone row names its contract"),
    (lambda t: t.replace(",,C-1001,2,150.00", ",,C-1002,2,150.00"),
     "line 6: contract: 'C-1002' has type 'hourly'; milestone rows belong to fixed contracts"),
    (lambda t: t.replace("account,acc-bram,Bram Industries,client,", "account,acc-bram,Bram"),
     "line 3: row: has 22 fields; the header has 24"),
    (lambda t: "", "line 1: header: the file is empty; expected a header row"),
    (lambda t: t + "account," + "x" * 200_000 + "\n",
     "line 9: row: not valid CSV: field larger than field limit"),
], ids=["unknown column", "no record column, renamed", "no record column", "unknown record kind",
        "a column the record kind does not have", "a milestone of an unknown contract",
        "a milestone without its contract", "a milestone of an hourly contract",
        "a row with too few fields", "an empty file", "a cell beyond the CSV reader's limit"])
def test_a_broken_csv_is_rejected_naming_the_line(
    change: Callable[[str], str], expected: str,
) -> None:
    assert problem_in_csv(change(EXAMPLE_CSV)).startswith(expected)


def test_a_csv_saved_by_a_spreadsheet_with_a_byte_order_mark_reads_fine() -> None:
    assert dataset_from_csv("\ufeff" + EXAMPLE_CSV) == dataset_from_csv(EXAMPLE_CSV)


@pytest.mark.parametrize(("text", "expected"), [
    ('{"accounts": [], "contracts": [{"id": "C", "seq": 1' + "0" * 5000 + "}]}",
     "a number of more than 30 digits"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_absurd_json_is_refused_as_not_json(text: str, expected: str) -> None:
    assert expected in problem_in_json(text)


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_a_date_that_leaves_the_calendar_in_utc_is_refused_by_name(when: str) -> None:
    doc = example()
    doc["contracts"][0]["started_at"] = when
    assert problem_with(doc).startswith("contracts[0].started_at:")


def test_an_escape_that_is_no_character_is_refused_by_name() -> None:
    text = json.dumps(example()).replace('"acc-alice"', '"acc-\\ud800"', 1)
    assert "accounts[0].id: holds an escape" in problem_in_json(text)


def test_a_csv_number_of_absurd_length_is_refused_by_name() -> None:
    huge = "9" * 5000
    lines = EXAMPLE_CSV.splitlines()
    milestone = next(i for i, line in enumerate(lines) if line.startswith("milestone,"))
    cells = lines[milestone].split(",")
    header = lines[0].split(",")
    cells[header.index("seq")] = huge
    lines[milestone] = ",".join(cells)
    assert "seq" in problem_in_csv("\n".join(lines) + "\n")


@pytest.mark.parametrize("amount", ["\u0665\u0660", "\uff150", "50.\u0665"])
def test_an_amount_in_other_digits_is_refused(amount: str) -> None:
    doc = example()
    doc["contracts"][0]["milestones"][0]["amount"] = amount
    assert "is not a decimal amount" in problem_with(doc)


@pytest.mark.parametrize(("title", "reason"), [
    ("\u200b\u200b", "is blank"), ("Logo\u2028FAKE LINE", "contains a control character"),
])
def test_a_title_of_invisible_characters_or_with_a_line_separator_is_refused(
    title: str, reason: str,
) -> None:
    doc = example()
    doc["contracts"][0]["title"] = title
    assert problem_with(doc) == f"contracts[0].title: {reason}" + (
        "" if reason == "is blank" else " (U+2028); write it on one line")
