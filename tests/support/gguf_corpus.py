"""A hostile GGUF corpus, generated: the field map of a real (synthetic) GGUF file, so it can be cut at
every header boundary or have chosen fields rewritten, and hand-built headers that lie about their
sizes and counts."""

from __future__ import annotations

import struct
from dataclasses import dataclass

_WIDTH = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9
ALIGNMENT = 32


@dataclass(frozen=True)
class FieldMap:
    boundaries: tuple[int, ...]  # the offset after every header field, in order
    tensor_offset_fields: tuple[int, ...]  # where each tensor's data offset (u64) is written
    header_end: int

    @property
    def data_start(self) -> int:
        return -(-self.header_end // ALIGNMENT) * ALIGNMENT


def field_map(data: bytes) -> FieldMap:
    """Walk a well-formed GGUF v2/v3 file and note where every field ends."""
    at = 0
    cuts: list[int] = []
    offsets: list[int] = []

    def take(width: int) -> int:
        nonlocal at
        at += width
        cuts.append(at)
        return at - width

    def u32() -> int:
        return struct.unpack_from("<I", data, take(4))[0]

    def u64() -> int:
        return struct.unpack_from("<Q", data, take(8))[0]

    def string() -> None:
        take(u64())

    def value(kind: int) -> None:
        if kind in _WIDTH:
            take(_WIDTH[kind])
        elif kind == _STRING:
            string()
        else:
            item, count = u32(), u64()
            for _ in range(count):
                value(item)

    take(4)
    u32()
    tensors, kvs = u64(), u64()
    for _ in range(kvs):
        string()
        value(u32())
    for _ in range(tensors):
        string()
        for _ in range(u32()):
            u64()
        u32()
        offsets.append(at)
        u64()
    return FieldMap(tuple(dict.fromkeys(c for c in cuts if 0 < c)), tuple(offsets), at)


def _head(version: int = 3, tensors: int = 0, kvs: int = 0, magic: bytes = b"GGUF") -> bytes:
    return magic + struct.pack("<IQQ", version, tensors, kvs)


def _str(text: bytes) -> bytes:
    return struct.pack("<Q", len(text)) + text


def _kv(key: bytes, kind: int, payload: bytes) -> bytes:
    return _str(key) + struct.pack("<I", kind) + payload


def _tensor(name: bytes, dims: list[int], ggml_type: int = 0, offset: int = 0) -> bytes:
    return (
        _str(name)
        + struct.pack("<I", len(dims))
        + b"".join(struct.pack("<Q", d) for d in dims)
        + struct.pack("<IQ", ggml_type, offset)
    )


ARCH = _kv(b"general.architecture", _STRING, _str(b"llama"))
PAD = b"\0" * 64


def hostile_headers() -> dict[str, bytes]:
    """Named files that lie in their header. Each must be refused with a sentence, quickly."""
    u64_max = 2**64 - 1
    return {
        "empty": b"",
        "three bytes": b"GGU",
        "magic GGML": _head(magic=b"GGML") + PAD,
        "magic zeros": _head(magic=b"\0\0\0\0") + PAD,
        "magic reversed": _head(magic=b"FUGG") + PAD,
        "version 0": _head(version=0) + PAD,
        "version 1": _head(version=1) + PAD,
        "version 4": _head(version=4) + PAD,
        "version max": _head(version=2**32 - 1) + PAD,
        "tensor count max": _head(tensors=u64_max) + PAD,
        "tensor count 2^40": _head(tensors=2**40) + PAD,
        "kv count max": _head(kvs=u64_max) + PAD,
        "kv count 2^20": _head(kvs=2**20) + PAD,
        "kv count exceeds entries": _head(kvs=3) + ARCH,
        "key length 2^62": _head(kvs=1) + struct.pack("<Q", 2**62) + PAD,
        "key length past end": _head(kvs=1) + struct.pack("<Q", 1000) + b"general",
        "string value 2^40": _head(kvs=1) + _str(b"general.name") + struct.pack("<IQ", _STRING, 2**40) + PAD,
        "string value past end": _head(kvs=1)
        + _str(b"general.name")
        + struct.pack("<IQ", _STRING, 500)
        + b"x",
        "value type 13": _head(kvs=1) + _kv(b"general.x", 13, PAD),
        "value type max": _head(kvs=1) + _kv(b"general.x", 2**32 - 1, PAD),
        "array count 2^40": _head(kvs=1)
        + _kv(b"tokenizer.ggml.tokens", _ARRAY, struct.pack("<IQ", _STRING, 2**40)),
        "array count max": _head(kvs=1)
        + _kv(b"tokenizer.ggml.scores", _ARRAY, struct.pack("<IQ", 6, u64_max)),
        "array of arrays": _head(kvs=1)
        + _kv(b"general.x", _ARRAY, struct.pack("<IQ", _ARRAY, 3) + struct.pack("<IQ", _ARRAY, 3) * 3)
        + PAD,
        "array of strings past end": _head(kvs=1)
        + _kv(b"tokenizer.ggml.tokens", _ARRAY, struct.pack("<IQ", _STRING, 3_000_000))
        + _str(b"a"),
        "tensor with 0 dims": _head(tensors=1, kvs=1) + ARCH + _tensor(b"w", []) + PAD,
        "tensor with 5 dims": _head(tensors=1, kvs=1) + ARCH + _tensor(b"w", [2] * 5) + PAD,
        "tensor dims overflow": _head(tensors=1, kvs=1) + ARCH + _tensor(b"w", [2**32, 2**32]) + PAD,
        "tensor dim max": _head(tensors=1, kvs=1) + ARCH + _tensor(b"w", [u64_max]) + PAD,
        "tensor type 999": _head(tensors=1, kvs=1) + ARCH + _tensor(b"w", [4], ggml_type=999) + PAD,
        "tensor offset beyond file": _head(tensors=1, kvs=1) + ARCH + _tensor(b"w", [4], offset=2**40) + PAD,
        "tensor name 2^50": _head(tensors=1, kvs=1) + ARCH + struct.pack("<Q", 2**50) + PAD,
        "tensors past end": _head(tensors=1000, kvs=1) + ARCH + _tensor(b"w", [4]),
    }
