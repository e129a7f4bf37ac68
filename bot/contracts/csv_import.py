"""The CSV form of a contract import: one row per record, read into the JSON document's shape.

A header row, then rows whose `record` column says what they are (account, contract,
milestone, invoice); a milestone or invoice row names its contract in `contract`. An empty
cell is an absent field. Errors name the line as well as the record path.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from typing import Any

from bot.contracts.importing import dataset_from_mapping
from bot.contracts.model import Dataset
from bot.errors import ImportProblem

# The columns each kind of row may fill, besides `record`.
COLUMNS: dict[str, tuple[str, ...]] = {
    "account": ("id", "name", "role"),
    "contract": ("id", "title", "type", "client", "freelancer", "status", "started_at",
                 "ended_at", "currency", "rate", "weekly_limit_hours"),
    "milestone": ("contract", "seq", "title", "amount", "due", "status", "funded_at",
                  "submitted_at", "approved_at", "available_at"),
    "invoice": ("contract", "week_start", "hours", "amount", "status", "available_at"),
}
ALL_COLUMNS = ("record", *dict.fromkeys(c for columns in COLUMNS.values() for c in columns))
_WHOLE_NUMBER_COLUMNS = ("seq", "weekly_limit_hours")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,30}")  # longer: left as text, refused where it is read


class _Reading:
    """The document being built from the rows, and the line where each record starts."""

    def __init__(self) -> None:
        self.accounts: list[dict[str, Any]] = []
        self.contracts: list[dict[str, Any]] = []
        self.children: list[tuple[int, str, dict[str, Any]]] = []  # (line, kind, cells)
        self.lines: dict[str, int] = {}

    def add(self, line: int, kind: str, cells: dict[str, Any]) -> None:
        """Take one row; milestones and invoices wait until every contract is known."""
        if kind == "account":
            self.lines[f"accounts[{len(self.accounts)}]"] = line
            self.accounts.append(cells)
        elif kind == "contract":
            self.lines[f"contracts[{len(self.contracts)}]"] = line
            self.contracts.append(_contract(cells))
        else:
            self.children.append((line, kind, cells))

    def finish(self) -> dict[str, Any]:
        """The JSON-shaped document, each milestone and invoice put inside its contract."""
        index = {c.get("id"): i for i, c in reversed(list(enumerate(self.contracts)))}
        for line, kind, cells in self.children:
            contract_id = cells.pop("contract", None)
            if contract_id is None:
                raise ImportProblem("contract", f"missing; a {kind} row names its contract",
                                    line)
            if contract_id not in index:
                raise ImportProblem("contract", f"{contract_id!r} is not the id of a contract "
                                    "row in this file", line)
            i = index[contract_id]
            contract = self.contracts[i]
            if kind == "milestone" and "milestones" in contract:
                path, records = f"contracts[{i}].milestones", contract["milestones"]
            elif kind == "invoice" and "hourly" in contract:
                path, records = f"contracts[{i}].hourly.invoices", contract["hourly"]["invoices"]
            else:
                fits = "fixed" if kind == "milestone" else "hourly"
                raise ImportProblem("contract", f"{contract_id!r} has type "
                                    f"{contract.get('type')!r}; {kind} rows belong to {fits} "
                                    "contracts", line)
            self.lines[f"{path}[{len(records)}]"] = line
            records.append(cells)
        return {"accounts": self.accounts, "contracts": self.contracts}


def _contract(cells: dict[str, Any]) -> dict[str, Any]:
    terms = {k: cells.pop(k) for k in ("rate", "weekly_limit_hours") if k in cells}
    if cells.get("type") == "hourly" or terms:
        cells["hourly"] = {**terms, "invoices": []}
    if cells.get("type") != "hourly":
        cells["milestones"] = []
    return cells


def _cells(header: list[str], row: list[str], line: int) -> tuple[str, dict[str, Any]]:
    if len(row) != len(header):
        raise ImportProblem("row", f"has {len(row)} fields; the header has {len(header)}", line)
    cells: dict[str, Any] = {name: cell for name, cell in zip(header, row, strict=True) if cell}
    kind = cells.pop("record", "")
    if kind not in COLUMNS:
        raise ImportProblem("record", f"{kind!r} is not one of {', '.join(COLUMNS)}", line)
    stray = [name for name in cells if name not in COLUMNS[kind]]
    if stray:
        raise ImportProblem(stray[0], f"{kind} rows leave this column empty", line)
    for name in _WHOLE_NUMBER_COLUMNS:
        if name in cells and _WHOLE_NUMBER.fullmatch(cells[name]):
            cells[name] = int(cells[name])
    return kind, cells


def _header(row: list[str] | None) -> list[str]:
    if row is None:
        raise ImportProblem("header", "the file is empty; expected a header row", 1)
    for i, name in enumerate(row):
        if name not in ALL_COLUMNS:
            raise ImportProblem("header", f"unknown column {name!r}; the columns are "
                                f"{', '.join(ALL_COLUMNS)}", 1)
        if name in row[:i]:
            raise ImportProblem("header", f"the column {name!r} appears twice", 1)
    if "record" not in row:
        raise ImportProblem("header", "no 'record' column", 1)
    return row


def _read(text: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The JSON-shaped document, and the line where each record path starts."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = _header(next(reader, None))
        reading, line = _Reading(), reader.line_num + 1
        for row in reader:
            if any(row):
                reading.add(line, *_cells(header, row, line))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportProblem("row", f"not valid CSV: {exc}", reader.line_num) from None
    return reading.finish(), reading.lines


def locate_in_csv(problem: ImportProblem, lines: Mapping[str, int]) -> ImportProblem:
    """The same problem, also naming the line where its record starts (when one is known)."""
    path = problem.path
    while path and problem.line is None:
        if path in lines:
            return ImportProblem(problem.path, problem.reason, lines[path])
        path = path.rpartition(".")[0]
    return problem


def record_lines(text: str) -> Mapping[str, int]:
    """Where each record of a (readable) CSV import starts: record path to line number."""
    return _read(text)[1]


def dataset_from_csv(text: str) -> Dataset:
    """Parse and check a CSV import; errors name the line and the record path."""
    doc, lines = _read(text)
    try:
        return dataset_from_mapping(doc)
    except ImportProblem as problem:
        raise locate_in_csv(problem, lines) from None
