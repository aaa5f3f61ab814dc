"""A bounded reader for GGUF headers: enough to tell what a model file is before llama.cpp opens it.

Untrusted files (a user's import, a download) are read through mmap with every count and length
checked against caps and against the bytes actually present, so a hostile header cannot make us
allocate gigabytes, loop for minutes or read past the end. (gguf.GGUFReader is not hardened: a
43-byte file is reported to hang it.) Array values other than short scalar lists are skipped, not
kept: a 262k-token vocabulary costs a few milliseconds and no memory."""

from __future__ import annotations

import hashlib
import mmap
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import ModelError

MAGIC = b"GGUF"
VERSIONS = (2, 3)
MAX_TENSORS = 65_536  # a 70B model has ~720; MoE giants a few thousand
MAX_KV = 4_096
MAX_ARRAY = 4_000_000  # token lists: the largest vocabularies are ~260k
MAX_STRING = 4 * 1024 * 1024  # chat templates are tens of kB
MAX_DIMS = 4  # GGML_MAX_DIMS
MAX_GGML_TYPE = 64
DEADLINE_S = 5.0

# value types in the GGUF spec
_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9

# llama.cpp's LLAMA_FTYPE_* (general.file_type) in words
FILE_TYPES = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
    36: "TQ1_0",
    37: "TQ2_0",
    38: "MXFP4_MOE",
}


@dataclass(frozen=True)
class GgufHeader:
    path: Path
    version: int
    tensor_count: int
    kv_count: int
    architecture: str
    name: str
    kind: str  # "model" | "adapter" (general.type)
    file_type: str  # "Q4_K_M", "F16"... or "" when the file does not say
    parameter_count: int  # the sum of tensor element counts
    context_length: int | None
    block_count: int | None
    has_chat_template: bool
    metadata: dict[str, str] = field(default_factory=dict)  # scalar values, shortened, for display

    @property
    def variant(self) -> str:
        """A chat template means the model was tuned to follow instructions; none means a base model."""
        return "instruct" if self.has_chat_template else "base"

    def describe(self) -> str:
        params = (
            f"{self.parameter_count / 1e9:.2f}B"
            if self.parameter_count >= 1e8
            else f"{self.parameter_count / 1e6:.1f}M"
        )
        ctx = f"{self.context_length:,} tokens" if self.context_length else "unknown"
        return (
            f"{self.name or self.path.name}: {self.architecture or 'unknown architecture'}, {params} "
            f"parameters, {self.file_type or 'unknown type'}, context {ctx}, "
            f"{'chat template (instruct)' if self.has_chat_template else 'no chat template (base)'}"
        )


class _Broken(Exception):
    """Raised inside the reader; turned into one ModelError sentence at the edge."""


def read_header(path: Path | str, deadline_s: float = DEADLINE_S) -> GgufHeader:
    """Read and check the header of a GGUF file. Raises ModelError with a sentence if it is not one.

    A header read before is served from a small cache when the file's header bytes are unchanged:
    the parse is pure Python (tens of ms for a 262k-word vocabulary) and holds the GIL all along, so
    re-parsing whenever a page works out its plan stalls the window, while hashing the same bytes
    lets the GIL go. Sizes and times alone are not proof: a file rewritten in place within one clock
    tick keeps both."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            size = path.stat().st_size
            if size < 24:
                raise _Broken(f"it is only {size} bytes long")
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
                key = str(path.resolve())
                cached = _HEADERS.get(key)
                if cached is not None and cached[1] <= size and _digest(view, cached[1]) == cached[2]:
                    return cached[0]
                reader = _Reader(view, size, time.monotonic() + deadline_s)
                header = reader.header(path)
                _remember(key, (header, reader.at, _digest(view, reader.at)))
                return header
    except _Broken as broken:
        raise ModelError(
            f"{path.name} is not a usable GGUF model file: {broken}. Choose another file."
        ) from None
    except OSError as exc:
        raise ModelError(f"{path} cannot be read ({exc.strerror or exc}).") from exc


_HEADER_CACHE_SIZE = 32
_HEADERS: dict[str, tuple[GgufHeader, int, bytes]] = {}  # path -> (header, bytes it spans, their digest)


def _digest(view: mmap.mmap, length: int) -> bytes:
    return hashlib.blake2b(memoryview(view)[:length], digest_size=16).digest()


def _remember(key: str, entry: tuple[GgufHeader, int, bytes]) -> None:
    _HEADERS.pop(key, None)
    if len(_HEADERS) >= _HEADER_CACHE_SIZE:
        _HEADERS.pop(next(iter(_HEADERS)))  # the oldest entry
    _HEADERS[key] = entry


class _Reader:
    def __init__(self, view: mmap.mmap, size: int, deadline: float):
        self.view, self.size, self.deadline, self.at = view, size, deadline, 0

    def header(self, path: Path) -> GgufHeader:
        if self.take(4) != MAGIC:
            raise _Broken("it does not start with the GGUF signature")
        version = self.unpack("<I")
        if version not in VERSIONS:
            raise _Broken(f"its format version {version} is not one llama.cpp reads (2 or 3)")
        tensors, kvs = self.unpack("<Q"), self.unpack("<Q")
        if tensors > MAX_TENSORS:
            raise _Broken(f"it claims {tensors:,} tensors (at most {MAX_TENSORS:,} are plausible)")
        if kvs > MAX_KV:
            raise _Broken(f"it claims {kvs:,} metadata entries (at most {MAX_KV:,} are plausible)")
        meta: dict[str, object] = {}
        for _ in range(kvs):
            self.check_time()
            key = self.string()
            meta[key] = self.value(self.unpack("<I"), depth=0)
        params = 0
        for index in range(tensors):
            if index % 1024 == 0:
                self.check_time()
            params += self.tensor_elements()
        return _header(path, version, tensors, kvs, meta, params)

    def tensor_elements(self) -> int:
        self.string()
        dims = self.unpack("<I")
        if not 1 <= dims <= MAX_DIMS:
            raise _Broken(f"a tensor has {dims} dimensions")
        count = 1
        for _ in range(dims):
            extent = self.unpack("<Q")
            count *= extent
            if count > 1 << 40:  # a trillion elements in one tensor
                raise _Broken("a tensor claims an impossible size")
        if self.unpack("<I") >= MAX_GGML_TYPE:
            raise _Broken("a tensor has an unknown data type")
        if self.unpack("<Q") > self.size:
            raise _Broken("a tensor's data lies beyond the end of the file")
        return count

    def value(self, kind: int, depth: int) -> object:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind != _ARRAY or depth > 0:
            raise _Broken(f"a metadata value has an unknown type ({kind})")
        item_kind, count = self.unpack("<I"), self.unpack("<Q")
        if count > MAX_ARRAY:
            raise _Broken(f"a metadata list claims {count:,} items")
        if item_kind in _SCALARS:  # fixed width: skip in one step, keep only short lists
            width = struct.calcsize(_SCALARS[item_kind])
            start = self.at
            self.take(width * count)
            return (
                [v[0] for v in struct.iter_unpack(_SCALARS[item_kind], self.view[start : self.at])]
                if count <= 16
                else None
            )
        for index in range(count):
            if index % 4096 == 0:
                self.check_time()
            self.value(item_kind, depth + 1) if item_kind != _STRING else self.skip_string()
        return None

    def string(self) -> str:
        length = self.unpack("<Q")
        if length > MAX_STRING:
            raise _Broken(f"a text field claims {length:,} bytes")
        return self.take(length).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        length = self.unpack("<Q")
        if length > MAX_STRING:
            raise _Broken(f"a text field claims {length:,} bytes")
        self.take(length)

    def unpack(self, fmt: str) -> int:
        width = struct.calcsize(fmt)
        start = self.at
        self.take(width)
        return struct.unpack_from(fmt, self.view, start)[0]

    def take(self, length: int) -> bytes:
        end = self.at + length
        if end > self.size:
            raise _Broken("it ends in the middle of its header (truncated?)")
        chunk = self.view[self.at : end] if length <= MAX_STRING else b""
        self.at = end
        return chunk

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise _Broken("its header takes too long to read")


def _header(
    path: Path, version: int, tensors: int, kvs: int, meta: dict[str, object], params: int
) -> GgufHeader:
    arch = str(meta.get("general.architecture") or "")

    def number(key: str) -> int | None:
        value = meta.get(key)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    file_type = number("general.file_type")
    shown = {
        k: str(v)[:120]
        for k, v in meta.items()
        if v is not None and not isinstance(v, list) and k != "tokenizer.chat_template"
    }
    return GgufHeader(
        path=path,
        version=version,
        tensor_count=tensors,
        kv_count=kvs,
        architecture=arch,
        name=str(meta.get("general.name") or ""),
        kind="adapter" if meta.get("general.type") == "adapter" else "model",
        file_type=FILE_TYPES.get(file_type, f"type {file_type}") if file_type is not None else "",
        parameter_count=params,
        context_length=number(f"{arch}.context_length"),
        block_count=number(f"{arch}.block_count"),
        has_chat_template=bool(meta.get("tokenizer.chat_template")),
        metadata=shown,
    )
