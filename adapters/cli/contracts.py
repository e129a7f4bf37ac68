"""`forumbot contracts import`: read a JSON or CSV file, check it whole, then store it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from adapters.cli.progress import ProgressBar
from bot.contracts.csv_import import dataset_from_csv, locate_in_csv, record_lines
from bot.contracts.importing import dataset_from_json
from bot.contracts.model import Dataset
from bot.errors import ImportProblem, UserError
from bot.storage.contract_store import ImportReport, SqlContractStore

FORMATS: dict[str, Callable[[str], Dataset]] = {"json": dataset_from_json, "csv": dataset_from_csv}
# Files at least this big get a progress bar, when standard error is a terminal.
PROGRESS_FROM_BYTES = 1_000_000


def format_of(path: Path) -> str:
    """`json` or `csv`, from the file name's extension."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise UserError(f"cannot tell the format of {path.name} from its extension; "
                        "add --format json or --format csv")
    return fmt


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UserError(f"{path}: line {line}: not UTF-8 text; save it as UTF-8") from None


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def summary(path: Path, dataset: Dataset, report: ImportReport) -> str:
    """One line: what the file held and what the import changed."""
    total = report.total()
    invoices = sum(len(c.invoices) for c in dataset.contracts)
    return (f"imported {path.name}: {_count(len(dataset.accounts), 'account')}, "
            f"{_count(len(dataset.contracts), 'contract')}, "
            f"{_count(dataset.milestone_count, 'milestone')}, {_count(invoices, 'invoice')}; "
            f"{total.created:,} created, {total.updated:,} updated, "
            f"{total.unchanged:,} unchanged, {total.removed:,} removed")


def import_contracts(store: SqlContractStore, path: Path, fmt: str | None, err: TextIO) -> str:
    """Import the file all or nothing and return the summary line; raises `UserError`."""
    fmt = fmt or format_of(path)
    text = _read(path)
    bar = None
    if err.isatty() and len(text) >= PROGRESS_FROM_BYTES:
        print(f"checking {path.name} ({len(text) / 1e6:.1f} MB)...", file=err, flush=True)
        bar = ProgressBar(err, f"importing {path.name}")
    try:
        dataset = FORMATS[fmt](text)
        report = store.import_dataset(dataset, bar)
    except ImportProblem as problem:
        if fmt == "csv" and problem.line is None:
            raise locate_in_csv(problem, record_lines(text)) from None
        raise
    finally:
        if bar is not None:
            bar.close()
    return summary(path, dataset, report)
