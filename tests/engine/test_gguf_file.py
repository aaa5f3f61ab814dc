"""The bounded GGUF header reader: real files read right; hostile headers are refused quickly, with a
sentence, without big allocations."""

from __future__ import annotations

import struct
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFWriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import ModelError
from engine.gguf_file import read_header
from tests.support.synthetic_gguf import write_scripted_model


def header(version: int = 3, tensors: int = 0, kvs: int = 0, magic: bytes = b"GGUF") -> bytes:
    return magic + struct.pack("<IQQ", version, tensors, kvs)


def gstr(text: bytes) -> bytes:
    return struct.pack("<Q", len(text)) + text


def kv_string(key: bytes, value: bytes) -> bytes:
    return gstr(key) + struct.pack("<I", 8) + gstr(value)


def write(tmp_path: Path, data: bytes, name: str = "hostile.gguf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_reads_a_real_synthetic_model(scripted_gguf: Path):
    info = read_header(scripted_gguf)
    assert (info.version, info.architecture, info.kind, info.file_type) == (3, "llama", "model", "F32")
    assert info.context_length == 4096 and info.block_count == 1 and not info.has_chat_template
    assert info.variant == "base" and info.tensor_count == 12
    assert info.parameter_count > 100_000
    assert "llama" in info.describe() and "base" in info.describe()


def test_a_chat_template_means_instruct(tmp_path: Path):
    info = read_header(write_scripted_model(tmp_path / "chat.gguf", chat_template="{{ messages }}"))
    assert info.has_chat_template and info.variant == "instruct"
    assert "tokenizer.chat_template" not in info.metadata


def test_a_lora_adapter_is_recognised(tmp_path: Path):
    path = tmp_path / "adapter.gguf"
    writer = GGUFWriter(str(path), "llama")
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", 16.0)
    writer.add_tensor("blk.0.attn_q.weight.lora_a", np.zeros((8, 64), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    info = read_header(path)
    assert info.kind == "adapter" and info.parameter_count == 8 * 64


@pytest.mark.slow
def test_reads_the_real_starter_model(starter_gguf: Path):
    info = read_header(starter_gguf)
    assert (info.architecture, info.file_type, info.block_count, info.context_length) == (
        "gemma3",
        "Q4_K_M",
        18,
        32768,
    )
    assert 0.25e9 < info.parameter_count < 0.3e9 and not info.has_chat_template


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "only 0 bytes"),
        (b"GGUF\x03\x00", "only 6 bytes"),
        (header(magic=b"GGML") + b"\0" * 8, "GGUF signature"),
        (header(version=1), "version 1"),
        (header(version=99), "version 99"),
        (header(tensors=2**63), "claims 9,223,372,036,854,775,808 tensors"),
        (header(kvs=2**40), "metadata entries"),
        (header(kvs=1) + struct.pack("<Q", 2**62), "text field claims"),
        (header(kvs=1) + gstr(b"k") + struct.pack("<IIQ", 9, 4, 2**40), "metadata list claims"),
        (
            header(kvs=1) + gstr(b"k") + struct.pack("<IIQ", 9, 9, 2) + struct.pack("<IQ", 4, 1),
            "unknown type",
        ),
        (header(kvs=1) + gstr(b"k") + struct.pack("<I", 77), "unknown type (77)"),
        (header(kvs=2) + kv_string(b"general.architecture", b"llama"), "truncated"),
        (header(tensors=1) + gstr(b"t") + struct.pack("<I", 9), "9 dimensions"),
        (header(tensors=1) + gstr(b"t") + struct.pack("<IQQQ", 3, 2**30, 2**30, 2**30), "impossible size"),
        (header(tensors=1) + gstr(b"t") + struct.pack("<IQIQ", 1, 4, 999, 0), "unknown data type"),
        (header(tensors=1) + gstr(b"t") + struct.pack("<IQIQ", 1, 4, 0, 2**50), "beyond the end"),
    ],
)
def test_hostile_headers_are_refused_with_a_sentence(tmp_path: Path, data: bytes, words: str):
    path = write(tmp_path, data)
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ModelError, match="is not a usable GGUF model file") as refused:
        read_header(path)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert words in str(refused.value)
    assert elapsed < 1.0 and peak < 2_000_000


def test_a_cut_real_file_is_refused_at_every_cut(tmp_path: Path, scripted_gguf: Path):
    data = scripted_gguf.read_bytes()
    assert read_header(scripted_gguf).tensor_count > 0
    for cut in (10, 23, 29, 200, 1000, 3000):  # in the header, the first key, the vocabulary, the tensor list
        with pytest.raises(ModelError, match="truncated|only"):
            read_header(write(tmp_path, data[:cut], f"cut{cut}.gguf"))


def test_a_huge_vocabulary_is_skipped_within_the_deadline(tmp_path: Path):
    count = 1_000_000
    body = gstr(b"tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, count) + gstr(b"") * count
    path = write(tmp_path, header(kvs=1) + body)
    with pytest.raises(ModelError, match="too long"):
        read_header(path, deadline_s=0.0)
    read_header(path)  # reads, in well under the deadline (first, it would be served from the cache)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tail=st.binary(max_size=400),
    version=st.sampled_from([2, 3]),
    tensors=st.integers(0, 2**64 - 1),
    kvs=st.integers(0, 2**64 - 1),
)
def test_random_headers_never_escape_as_anything_but_a_sentence(
    tmp_path: Path, tail: bytes, version: int, tensors: int, kvs: int
):
    path = write(tmp_path, header(version, tensors, kvs) + tail, "fuzz.gguf")
    try:
        read_header(path, deadline_s=1.0)
    except ModelError as refused:
        assert "GGUF" in str(refused)


def test_a_missing_file_is_a_sentence(tmp_path: Path):
    with pytest.raises(ModelError, match="cannot be read"):
        read_header(tmp_path / "nope.gguf")


def test_an_unchanged_file_is_read_once_and_a_changed_one_again(tmp_path: Path):
    """Pages work out their plans from the header often; the pure-Python parse holds the GIL, so an
    unchanged file's header comes from the cache, and any rewrite of the file is read afresh."""
    path = write_scripted_model(tmp_path / "model.gguf")
    first = read_header(path)
    assert read_header(path) is first
    write_scripted_model(path, chat_template="{{ messages }}")  # same path, new content
    again = read_header(path)
    assert again is not first and again.variant == "instruct"
    path.write_bytes(b"GGUF" + bytes(40))  # now broken: never served from the cache
    with pytest.raises(ModelError):
        read_header(path)
