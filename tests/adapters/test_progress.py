"""The import's progress bar: drawn in place on a terminal, for large files only."""

from __future__ import annotations

import io
import json
from pathlib import Path

from adapters.cli.contracts import PROGRESS_FROM_BYTES, import_contracts
from adapters.cli.progress import ProgressBar
from bot.storage.contract_store import SqlContractStore
from bot.storage.database import make_engine, upgrade

DATA = Path(__file__).parents[1] / "data"


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_the_bar_redraws_one_line_in_place_and_ends_it() -> None:
    out = io.StringIO()
    bar = ProgressBar(out, "importing x.json", width=10)
    for done in (0, 500, 500, 1000):
        bar(done, 1000)
    bar.close()
    assert out.getvalue() == (
        "\rimporting x.json [..........]   0% 0/1,000"
        "\rimporting x.json [#####.....]  50% 500/1,000"
        "\rimporting x.json [##########] 100% 1,000/1,000\n")


def test_a_bar_that_never_drew_writes_nothing() -> None:
    out = io.StringIO()
    ProgressBar(out, "importing").close()
    assert out.getvalue() == ""


def big_file(folder: Path) -> Path:
    """An import file just over the size that gets a progress bar."""
    doc = json.loads((DATA / "contracts.json").read_text())
    logo = doc["contracts"][0]
    copies = PROGRESS_FROM_BYTES // len(json.dumps(logo)) + 1
    doc["contracts"] += [dict(logo, id=f"C-big-{n}") for n in range(copies)]
    path = folder / "big.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert path.stat().st_size >= PROGRESS_FROM_BYTES
    return path


def test_a_large_file_gets_a_bar_on_a_terminal_but_not_in_a_log(
    sqlite_database: str, tmp_path: Path,
) -> None:
    engine = make_engine(sqlite_database)
    upgrade(engine)
    store = SqlContractStore(engine)
    path = big_file(tmp_path)
    terminal, log = Terminal(), io.StringIO()

    import_contracts(store, path, None, terminal)
    import_contracts(store, path, None, log)
    engine.dispose()

    shown = terminal.getvalue()
    assert shown.startswith("checking big.json (1.0 MB)...\n\rimporting big.json [")
    last = shown.rsplit("\r", 1)[1]
    assert last.startswith(f"importing big.json [{'#' * 30}] 100% ") and last.endswith("\n")
    assert log.getvalue() == ""


def test_a_small_file_gets_no_bar_even_on_a_terminal(sqlite_database: str) -> None:
    engine = make_engine(sqlite_database)
    upgrade(engine)
    terminal = Terminal()
    import_contracts(SqlContractStore(engine), DATA / "contracts.json", None, terminal)
    engine.dispose()
    assert terminal.getvalue() == ""
