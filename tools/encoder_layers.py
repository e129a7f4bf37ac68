"""The second pass of tools/derive_model.py: the six encoder layers written anew, fewer nodes.

The first pass leaves the exporter's graph around the integer products: per layer three
products over the same quantized input (query, key, value), each with its own Cast and two
Muls, some twenty nodes of shape plumbing to split the heads and form K transposed, an
IsNaN/Where after each Softmax, and a mask built from Range/GatherND. On a short question
onnxruntime spent as long on such small nodes as on the products, so this writes each layer
again from the same weights, biases, LayerNorms and constants, with the same arithmetic:

  * query, key and value: one product over the weights side by side (integer sums are
    exact; each column keeps its scale and bias), then one Split;
  * each product: com.microsoft MatMulIntegerToFloat with the column scales (A's scale 1),
    which gives the float of the integer sum times the column's scale, as Cast then Mul did;
  * each input's rows: Div, Round, Add 128, Cast become one QuantizeLinear (blocked along
    the row, one block per row, zero point 128; the same division and round half to even);
  * the attention: com.microsoft MultiHeadAttention (12 heads; the scale the exporter's two
    Muls make once onnxruntime folds them into the product), the attention mask as its
    key padding mask (a padded token gets -10000 rather than float32's lowest: the same
    zero weight; forumbot never pads). The IsNaN/Where after each Softmax goes: finite
    scores never give NaN.

onnxruntime 1.32's CPU provider gives the same bits as the first pass's graph for every
text tried, 1 to 128 tokens (README, "The model's arithmetic").
"""

from __future__ import annotations

from typing import Any

import numpy as np

HIDDEN = 384
HEADS = 12
EMBEDDED = "layer_norm"  # the embeddings' LayerNorm output, the first layer's input
OUTPUT = "last_hidden_state"
LAYERS = 6
OPSET = 21  # QuantizeLinear's blocks (21), ReduceMax's axes as an input (18)


class Builder:
    """Collects the new nodes and constants of the rewritten layers."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.constants: list[Any] = []

    def constant(self, name: str, value: Any) -> str:
        from onnx import numpy_helper as nh

        self.constants.append(nh.from_array(np.asarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], outputs: list[str], domain: str = "",
             **attributes: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, outputs, name=outputs[0],
                                           domain=domain, **attributes))
        return outputs[0]


def _products(graph: Any) -> dict[str, tuple[str, str]]:
    """The first pass's integer products by the bias they end in: (uint8 weight, scales)."""
    consumers: dict[str, list[Any]] = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def after(n: Any) -> Any:
        return consumers[n.output[0]][0]

    found = {}
    for n in graph.node:
        if n.op_type == "MatMulInteger":
            cast = after(n)
            columns = after(cast)
            bias = after(after(columns))
            found[bias.input[1]] = (n.input[1], columns.input[1])
    return found


def _constant_into(graph: Any, op: str, feeding: str) -> np.ndarray:
    """The constant operand of the first `op` node whose output feeds a `feeding` node."""
    from onnx import numpy_helper as nh

    tensors = {t.name: t for t in graph.initializer}
    fed = {i for n in graph.node if n.op_type == feeding for i in n.input}
    for n in graph.node:
        if n.op_type == op and n.output[0] in fed:
            value: np.ndarray = nh.to_array(tensors[next(i for i in n.input if i in tensors)])
            return value
    raise ValueError(f"no {op} into {feeding} in the graph")


def _embeddings(graph: Any) -> list[Any]:
    """The nodes the embeddings' LayerNorm depends on, in graph order."""
    needed, kept = {EMBEDDED}, []
    for n in reversed(graph.node):
        if any(o in needed for o in n.output):
            kept.append(n)
            needed.update(n.input)
    return kept[::-1]


def rebuild_layers(model: Any) -> None:
    """Rewrite the first pass's encoder layers in place (see the module's docstring)."""
    from onnx import TensorProto, helper
    from onnx import numpy_helper as nh

    graph = model.graph
    tensors = {t.name: t for t in graph.initializer}
    products = _products(graph)
    half_scale = _constant_into(graph, "Mul", "MatMul")  # the exporter's sqrt of 1/sqrt(32)
    root_two = _constant_into(graph, "Div", "Erf")
    build = Builder()
    # The first pass's constants: rowq_inverse_levels, rowq_smallest_scale, rowq_zero (128).
    build.constant("unit_scale", np.array(1.0, np.float32))
    build.constant("last_axis", np.array([-1], np.int64))
    build.constant("one_column", np.array([1], np.int64))
    build.constant("qkv_widths", np.array([HIDDEN] * 3, np.int64))
    build.constant("gelu_root_two", root_two)
    build.constant("gelu_one", np.array(1.0, np.float32))
    build.constant("gelu_half", np.array(0.5, np.float32))
    # QuantizeLinear's blocked zero point has the scale's shape: [batch, tokens, 1], built once.
    tokens = build.node("Shape", ["attention_mask"], ["tokens_shape"])
    rows = build.node("Concat", [tokens, "one_column"], ["rows_shape"], axis=0)
    build.node("Expand", ["rowq_zero", rows], ["rowq_zeros"])
    padding = build.node("Cast", ["attention_mask"], ["attention_padding"], to=TensorProto.INT32)
    attention_scale = float(np.float32(half_scale) * np.float32(half_scale))

    def quantize(x: str, width: int) -> tuple[str, str]:
        largest = build.node("ReduceMax", [build.node("Abs", [x], [f"{x}_rowq_abs"]), "last_axis"],
                         [f"{x}_rowq_max"], keepdims=1)
        step = build.node("Mul", [largest, "rowq_inverse_levels"], [f"{x}_rowq_step"])
        scale = build.node("Max", [step, "rowq_smallest_scale"], [f"{x}_rowq_scale"])
        rows = build.node("QuantizeLinear", [x, scale, "rowq_zeros"], [f"{x}_rowq_uint8"],
                      axis=-1, block_size=width)
        return rows, scale

    def product(x: str, width: int, weight: str, columns: str, out: str) -> str:
        rows, row_scale = quantize(x, width)
        scaled = build.node("MatMulIntegerToFloat", [rows, weight, "unit_scale", columns,
                                                 "rowq_zero", "rowq_zero"],
                        [f"{out}_columns"], domain="com.microsoft")
        return build.node("Mul", [scaled, row_scale], [f"{out}_rows"])

    def joined(parts: list[str], name: str) -> tuple[str, str, str]:
        weights = [nh.to_array(tensors[products[part][0]]) for part in parts]
        scales = [nh.to_array(tensors[products[part][1]]) for part in parts]
        biases = [nh.to_array(tensors[part]) for part in parts]
        return (build.constant(f"{name}_weight", np.concatenate(weights, axis=1)),
                build.constant(f"{name}_column_scales", np.concatenate(scales)),
                build.constant(f"{name}_bias", np.concatenate(biases)))

    def norm(x: str, residual: str, prefix: str, out: str) -> str:
        added = build.node("Add", [x, residual], [f"{out}_residual"])
        return build.node("LayerNormalization", [added, f"{prefix}.weight", f"{prefix}.bias"],
                      [out], axis=-1, epsilon=1e-12, stash_type=1)

    hidden = EMBEDDED
    for layer in range(LAYERS):
        source, at = f"inner.encoder.layer.{layer}", f"layer{layer}"
        weight, columns, bias = joined(
            [f"{source}.attention.self.{part}.bias" for part in ("query", "key", "value")],
            f"{at}_qkv")
        qkv = product(hidden, HIDDEN, weight, columns, f"{at}_qkv")
        q, k, v = (f"{at}_query", f"{at}_key", f"{at}_value")
        build.node("Split", [qkv, "qkv_widths"], [q, k, v], axis=-1)
        context = build.node("MultiHeadAttention", [q, k, v, bias, padding], [f"{at}_context"],
                         domain="com.microsoft", num_heads=HEADS, scale=attention_scale)
        weight, columns = products[f"{source}.attention.output.dense.bias"]
        attended = build.node("Add", [product(context, HIDDEN, weight, columns, f"{at}_attended"),
                                  f"{source}.attention.output.dense.bias"], [f"{at}_attended"])
        attended = norm(attended, hidden, f"{source}.attention.output.LayerNorm", f"{at}_attention")
        weight, columns = products[f"{source}.intermediate.dense.bias"]
        up = build.node("Add", [product(attended, HIDDEN, weight, columns, f"{at}_up"),
                            f"{source}.intermediate.dense.bias"], [f"{at}_up"])
        erf = build.node("Erf", [build.node("Div", [up, "gelu_root_two"], [f"{at}_gelu_scaled"])],
                     [f"{at}_gelu_erf"])
        halved = build.node("Mul", ["gelu_half", build.node("Add", [erf, "gelu_one"],
                                                    [f"{at}_gelu_erf_plus_one"])],
                        [f"{at}_gelu_factor"])
        gelu = build.node("Mul", [up, halved], [f"{at}_gelu"])
        weight, columns = products[f"{source}.output.dense.bias"]
        down = build.node("Add", [product(gelu, 4 * HIDDEN, weight, columns, f"{at}_down"),
                              f"{source}.output.dense.bias"], [f"{at}_down"])
        hidden = norm(down, attended, f"{source}.output.LayerNorm",
                      OUTPUT if layer == LAYERS - 1 else f"{at}_output")

    nodes = _embeddings(graph) + build.nodes
    used = {i for n in nodes for i in n.input}
    kept = [t for t in graph.initializer if t.name in used]
    produced = {o for n in nodes for o in n.output}
    shapes = [v for v in graph.value_info if v.name in produced]
    del graph.node[:], graph.initializer[:], graph.value_info[:]
    graph.node.extend(nodes)
    graph.initializer.extend(kept + [t for t in build.constants if t.name in used])
    graph.value_info.extend(shapes)
    del model.opset_import[:]
    model.opset_import.extend([helper.make_opsetid("", OPSET),
                               helper.make_opsetid("com.microsoft", 1)])


def signed_weights(model: Any) -> None:
    """Store each product's weights as int8 (each minus 128, zero point 0) instead of uint8
    (zero point 128), in place: the same integer sums, which onnxruntime computes with one
    instruction on CPUs with VNNI (bot/faq/embedding.py says where the file is run)."""
    from onnx import numpy_helper as nh

    graph = model.graph
    tensors = {t.name: t for t in graph.initializer}
    graph.initializer.append(nh.from_array(np.array(0, np.int8), "weight_zero"))
    for node in graph.node:
        if node.op_type != "MatMulIntegerToFloat":
            continue
        weight = tensors[node.input[1]]
        stored = nh.to_array(weight)
        assert stored.dtype == np.uint8 and nh.to_array(tensors[node.input[5]]) == 128
        weight.CopyFrom(nh.from_array((stored.astype(np.int16) - 128).astype(np.int8),
                                      weight.name))
        node.input[5] = "weight_zero"
