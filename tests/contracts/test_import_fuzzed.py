"""The contract import parser on anything: a dataset, or a problem naming where; nothing else."""

from __future__ import annotations

import json
from pathlib import Path

from hostile_documents import mutations
from hostile_input import json_values, messages
from hypothesis import given
from hypothesis import strategies as st

from bot.contracts.csv_import import dataset_from_csv
from bot.contracts.importing import dataset_from_json
from bot.errors import ImportProblem

DATA = Path(__file__).resolve().parent.parent / "data"
VALID = json.loads((DATA / "contracts.json").read_text(encoding="utf-8"))
VALID_CSV = (DATA / "contracts.csv").read_text(encoding="utf-8")
MAX_PROBLEM = 1000  # characters: a problem names the record and the rule, not a whole value


def _read(read: object, text: str) -> None:
    try:
        read(text)  # type: ignore[operator]
    except ImportProblem as problem:
        assert 0 < len(problem.message) <= MAX_PROBLEM, problem.message[:300]


@given(doc=st.one_of(json_values(), mutations(VALID)))
def test_any_json_document_imports_or_is_refused_naming_the_record(doc: object) -> None:
    _read(dataset_from_json, json.dumps(doc))


@given(text=st.one_of(messages(), st.binary(max_size=300).map(
    lambda raw: raw.decode("utf-8", "replace"))))
def test_any_text_is_refused_as_json_or_csv_with_a_clear_problem(text: str) -> None:
    _read(dataset_from_json, text)
    _read(dataset_from_csv, text)


@given(cuts=st.lists(st.tuples(st.integers(0, len(VALID_CSV)), messages(max_pieces=3)),
                     min_size=1, max_size=3))
def test_a_csv_import_with_cells_spliced_in_imports_or_is_refused_naming_the_line(
    cuts: list[tuple[int, str]],
) -> None:
    text = VALID_CSV
    for at, piece in cuts:
        text = text[:at] + piece + text[at:]
    _read(dataset_from_csv, text)
