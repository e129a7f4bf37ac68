"""Valid import documents and webhook events with one part replaced by anything."""

from __future__ import annotations

import copy
from typing import Any

from hostile_input import json_values
from hypothesis import strategies as st

Path = tuple[str | int, ...]


def paths(doc: Any, here: Path = ()) -> list[Path]:
    """Every place in a JSON document: each object member and list item, the root first."""
    found = [here]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += paths(value, (*here, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += paths(value, (*here, index))
    return found


def replaced(doc: Any, path: Path, value: Any) -> Any:
    """A copy of `doc` with the value at `path` replaced (or removed, for `...`)."""
    if not path:
        return value
    result = copy.deepcopy(doc)
    parent = result
    for step in path[:-1]:
        parent = parent[step]
    if value is ...:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return result


def mutations(doc: Any) -> st.SearchStrategy[Any]:
    """`doc` with one to three of its parts replaced by any JSON value, or removed."""
    places = paths(doc)

    def mutate(choices: list[tuple[int, Any]]) -> Any:
        result = doc
        for index, value in choices:
            here = paths(result)
            path = here[index % len(here)]
            if value is ... and not path:
                value = None  # the root cannot be removed
            result = replaced(result, path, value)
        return result

    return st.lists(st.tuples(st.integers(0, len(places) - 1),
                              st.one_of(json_values(max_leaves=8), st.just(...))),
                    min_size=1, max_size=3).map(mutate)
