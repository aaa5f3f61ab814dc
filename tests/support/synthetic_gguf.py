"""Synthetic llama-architecture GGUF files, made in milliseconds with the `gguf` package.

Two kinds:
- `write_scripted_model`: all layer weights are zero, so the hidden state is just the current token's
  one-hot embedding and the output matrix acts as a transition table. Greedy (or low-temperature)
  decoding then follows a fixed chain of multi-word tokens: the model "speaks" a valid riddle in the
  labelled format, deterministically. Real llama.cpp runs it; nothing is mocked.
- `write_random_model`: random weights in a chosen shape, for speed and memory measurements.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gguf import GGUFWriter, TokenType

# What the scripted model says after any prompt ending in ":" (as the few-shot prompt does), in the
# labelled format, answer first. Each piece is one token; llama-cpp-python detokenizes into a 32-byte
# buffer, so pieces stay short.
SCRIPT = (
    " lantern",
    "\nRiddle:",
    " I glow in the window",
    " when the nights grow long.",
    "\nHint 1:",
    " It holds a flame.",
    "\nHint 2:",
    " Sailors hang one",
    " by the door.",
    "\nDifficulty:",
    " easy",
    "\n###",
)
SCRIPT_TEXT = "".join(SCRIPT)
SCRIPT_ANSWER = "lantern"
# Guided generation (engine.guided) writes each label itself, so the model sees ":" before every
# field. After ":" the scripted model's first choice is always the script's first piece; FALLBACKS are
# its next choices, in order, after a piece (":" for the colon) when the first is not allowed: the
# answer in a riddle or hint, a hint ending as a copy of an earlier field, anything but a level after
# "Difficulty:". So guided, it says: lantern / I glow in the window when the nights grow long. / the
# same, then "It holds a flame." / the same, then "Sailors hang one by the door." / easy.
FALLBACKS = {
    ":": (" I glow in the window", " easy"),
    " when the nights grow long.": (" It holds a flame.",),
    " It holds a flame.": (" Sailors hang one",),
}


def _base_vocab(words: list[str], space: bool = False) -> tuple[list[str], list[int]]:
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL] + [TokenType.BYTE] * 256
    if space:
        # "▁" (a space) as a token of its own, so any text, spelled in byte tokens between spaces,
        # reads back as written (a guided answer is spelled token by token from the story's subjects).
        tokens.append("▁")
        types.append(TokenType.NORMAL)
    for word in words:
        tokens.append(word.replace(" ", "▁"))
        types.append(TokenType.NORMAL)
    return tokens, types


def _write(
    path: Path,
    tokens: list[str],
    types: list[int],
    tensors: dict[str, np.ndarray],
    *,
    width: int,
    layers: int,
    heads: int,
    kv_heads: int,
    ff: int,
    ctx: int,
    chat_template: str | None = None,
    name: str = "synthetic",
) -> Path:
    writer = GGUFWriter(str(path), "llama")
    writer.add_name(name)
    writer.add_context_length(ctx)
    writer.add_embedding_length(width)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ff)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_rope_dimension_count(width // heads)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(0)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * len(tokens))
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(True)
    if chat_template is not None:
        writer.add_chat_template(chat_template)
    for name_, array in tensors.items():
        writer.add_tensor(name_, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _layer_tensors(i: int, width: int, kv_width: int, ff: int, fill) -> dict[str, np.ndarray]:  # noqa: ANN001
    return {
        f"blk.{i}.attn_norm.weight": np.ones(width, dtype=np.float32),
        f"blk.{i}.attn_q.weight": fill((width, width)),
        f"blk.{i}.attn_k.weight": fill((kv_width, width)),
        f"blk.{i}.attn_v.weight": fill((kv_width, width)),
        f"blk.{i}.attn_output.weight": fill((width, width)),
        f"blk.{i}.ffn_norm.weight": np.ones(width, dtype=np.float32),
        f"blk.{i}.ffn_gate.weight": fill((ff, width)),
        f"blk.{i}.ffn_up.weight": fill((ff, width)),
        f"blk.{i}.ffn_down.weight": fill((width, ff)),
    }


def write_scripted_model(
    path: Path,
    script: tuple[str, ...] = SCRIPT,
    *,
    layers: int = 1,
    chat_template: str | None = None,
    fallbacks: dict[str, tuple[str, ...]] | None = None,
) -> Path:
    """A model whose greedy continuation after a final ':' is exactly ''.join(script), then EOS.
    `fallbacks` (pieces of the script; FALLBACKS by default) are its second, third, … choices."""
    assert all(len(piece.encode()) < 32 for piece in script), "script pieces must be under 32 bytes"
    tokens, types = _base_vocab(list(script), space=True)
    vocab = len(tokens)
    width = ((vocab + 63) // 64) * 64  # one-hot embeddings need width >= vocab
    heads, ff = 4, 64
    embed = np.zeros((vocab, width), dtype=np.float32)
    embed[np.arange(vocab), np.arange(vocab)] = 1.0
    output = np.zeros((vocab, width), dtype=np.float32)
    script_ids = [tokens.index(piece.replace(" ", "▁")) for piece in script]
    colon = tokens.index("<0x3A>")
    chain = [colon, *script_ids, 2]
    # RMS norm scales a one-hot vector by sqrt(width); 60 / sqrt(width) keeps the logit gap large.
    for current, following in zip(chain, chain[1:], strict=False):
        output[following, current] = 60.0
    # Any other last token also leads into the script, so the prompt's exact ending does not matter.
    for token in range(vocab):
        if token not in chain:
            output[script_ids[0], token] = 60.0
    for after, choices in (FALLBACKS if fallbacks is None else fallbacks).items():
        if after != ":" and after not in script:
            continue
        current = colon if after == ":" else tokens.index(after.replace(" ", "▁"))
        for rank, piece in enumerate(p for p in choices if p in script):
            output[tokens.index(piece.replace(" ", "▁")), current] = 50.0 - 10.0 * rank
    tensors = {
        "token_embd.weight": embed,
        "output_norm.weight": np.ones(width, dtype=np.float32),
        "output.weight": output,
    }
    for i in range(layers):
        tensors.update(_layer_tensors(i, width, width, ff, lambda shape: np.zeros(shape, dtype=np.float32)))
    return _write(
        path,
        tokens,
        types,
        tensors,
        width=width,
        layers=layers,
        heads=heads,
        kv_heads=heads,
        ff=ff,
        ctx=4096,
        chat_template=chat_template,
        name="scripted-riddler",
    )


def write_random_model(
    path: Path,
    *,
    layers: int = 4,
    width: int = 256,
    ff: int = 512,
    heads: int = 4,
    kv_heads: int = 4,
    words: int = 2000,
    dtype: type = np.float32,
    seed: int = 0,
    chat_template: str | None = None,
) -> Path:
    """Random weights in a chosen shape: fast to load, useless words, realistic arithmetic."""
    rng = np.random.default_rng(seed)
    tokens, types = _base_vocab([f" w{i}" for i in range(words)])
    vocab = len(tokens)
    kv_width = width // heads * kv_heads

    def fill(shape: tuple[int, ...]) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.02).astype(dtype)

    tensors = {
        "token_embd.weight": fill((vocab, width)),
        "output_norm.weight": np.ones(width, dtype=np.float32),
        "output.weight": fill((vocab, width)),
    }
    for i in range(layers):
        tensors.update(_layer_tensors(i, width, kv_width, ff, fill))
    return _write(
        path,
        tokens,
        types,
        tensors,
        width=width,
        layers=layers,
        heads=heads,
        kv_heads=kv_heads,
        ff=ff,
        ctx=2048,
        chat_template=chat_template,
        name="random",
    )
