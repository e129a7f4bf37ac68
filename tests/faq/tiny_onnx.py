"""A hand-written ONNX file for tests, without the `onnx` package (only the model extra has it).

`identity_model` is a valid graph that onnxruntime loads: it gives 384-dimension vectors, as
forumbot's model does, but needs an input forumbot never feeds, so running it fails.
"""

from __future__ import annotations

INT64, FLOAT = 7, 1  # onnx.TensorProto element types


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes | str | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _tensor(name: str, element: int, dims: list[int | str]) -> bytes:
    shape = b"".join(_field(1, _field(1, d) if isinstance(d, int) else _field(2, d))
                     for d in dims)
    tensor_type = _field(1, element) + _field(2, shape)
    return _field(1, name) + _field(2, _field(1, tensor_type))


def identity_model() -> bytes:
    """input_ids, attention_mask and a third input `extra` [1, n, 384]; output = extra."""
    node = _field(1, "extra") + _field(2, "out") + _field(3, "copy") + _field(4, "Identity")
    graph = (_field(1, node) + _field(2, "needs-an-extra-input")
             + _field(11, _tensor("input_ids", INT64, [1, "n"]))
             + _field(11, _tensor("attention_mask", INT64, [1, "n"]))
             + _field(11, _tensor("extra", FLOAT, [1, "n", 384]))
             + _field(12, _tensor("out", FLOAT, [1, "n", 384])))
    return _field(1, 8) + _field(8, _field(2, 17)) + _field(7, graph)
