"""The training process: `python -m engine.tuning.trainer RUN_FOLDER`. It owns torch, so the app's
process never loads it, and a crash or an out-of-memory kill here cannot take the window down.

It reads RUN_FOLDER/run.json (written by engine.tuning.run), trains a LoRA, and writes JSON-line
events to its stdout: {"event": "status"|"step"|"checkpoint"|"cancelled"|"done"|"error", ...}.
A line "cancel" on stdin stops it after the current step, with a checkpoint. A run folder that
holds a checkpoint resumes from it: batches and dropout depend only on the step number, so a
resumed run follows the same path as one that was never stopped."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

from engine.tuning.config import TuneConfig
from engine.tuning.format import training_prompt

CHECKPOINT = "checkpoint.pt"
IGNORE = -100  # label for tokens that carry no loss: the prompt and the padding


class Events:
    def __init__(self, out: BinaryIO):
        self._out = out

    def send(self, event: str, **fields: Any) -> None:
        self._out.write(json.dumps({"event": event, **fields}).encode("utf-8") + b"\n")
        self._out.flush()


def read_records(path: Path) -> list[tuple[str, str]]:
    """(full prompt, completion) from a completion-format JSONL file."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(training_prompt(row["prompt"]), row["completion"]) for row in rows]


def encode(
    pairs: list[tuple[str, str]], tokenizer: Any, max_tokens: int
) -> list[tuple[list[int], list[int]]]:
    """(input ids, labels) per example. Prompt and completion are tokenized apart, as at inference,
    where llama.cpp tokenizes the prompt and then generates; a too-long example loses its tail."""
    rows = []
    for prompt, completion in pairs:
        prompt_ids = tokenizer(prompt).input_ids
        completion_ids = tokenizer(completion, add_special_tokens=False).input_ids
        ids = (prompt_ids + completion_ids)[:max_tokens]
        labels = ([IGNORE] * len(prompt_ids) + completion_ids)[:max_tokens]
        # A prompt that fills max_tokens leaves nothing to learn, and a batch of such rows has no
        # loss at all (NaN): such an example is left out.
        if any(label != IGNORE for label in labels[1:]):
            rows.append((ids, labels))
    return rows


def collate(rows: list[tuple[list[int], list[int]]], pad_id: int, device: str) -> dict[str, Any]:
    import torch

    width = max(len(ids) for ids, _ in rows)
    ids = [r[0] + [pad_id] * (width - len(r[0])) for r in rows]
    labels = [r[1] + [IGNORE] * (width - len(r[1])) for r in rows]
    mask = [[1] * len(r[0]) + [0] * (width - len(r[0])) for r in rows]
    as_tensor = lambda x: torch.tensor(x, dtype=torch.long, device=device)  # noqa: E731
    return {"input_ids": as_tensor(ids), "labels": as_tensor(labels), "attention_mask": as_tensor(mask)}


def batch_rows(step: int, rows: list, config: TuneConfig) -> list:
    """The batch for a step: a fresh seeded shuffle per epoch, so it depends on the step alone."""
    import numpy as np

    per_epoch = -(-len(rows) // config.batch_size)
    epoch, index = divmod(step, per_epoch)
    order = np.random.default_rng(config.seed + epoch).permutation(len(rows))
    return [rows[i] for i in order[index * config.batch_size : (index + 1) * config.batch_size]]


def learning_rate(step: int, total: int, config: TuneConfig) -> float:
    """Short linear warm-up, then linear decay to a tenth: a function of the step, so resume needs no
    state."""
    warmup = max(1, total // 20)
    if step < warmup:
        return config.learning_rate * (step + 1) / warmup
    return config.learning_rate * (1.0 - 0.9 * (step - warmup) / max(1, total - warmup))


def resolve_precision(precision: str, device: str) -> str:
    """ "auto": bfloat16 where the hardware multiplies it natively (measured 3.4x faster than float32
    on this project's AVX-512 BF16 CPU; BENCHMARKS.md), float32 elsewhere, where autocast would only
    emulate it."""
    if precision != "auto":
        return precision
    import torch

    if device == "cuda":
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float32"
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").split()
    except OSError:
        return "float32"
    return "bfloat16" if {"avx512_bf16", "amx_bf16"} & set(flags) else "float32"


def completion_loss(model: Any, batch: dict[str, Any], precision: str = "float32") -> Any:
    """Cross-entropy over the completion tokens only. The output layer (262k words for Gemma) runs
    only where a label is: the full logits of a batch would be ~1 GB and most of the step's time.
    precision "bfloat16": the matmuls run in bfloat16 under autocast (weights, LoRA and optimizer
    stay float32), which CPUs with AVX-512 BF16 or AMX and GPUs run much faster."""
    import contextlib

    import torch
    import torch.nn.functional as F

    causal_lm = model.get_base_model()
    device = batch["input_ids"].device.type
    autocast = (
        torch.autocast(device, dtype=torch.bfloat16) if precision == "bfloat16" else contextlib.nullcontext()
    )
    with autocast:
        hidden = causal_lm.model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).last_hidden_state
        targets = batch["labels"][:, 1:]
        keep = targets != IGNORE
        logits = causal_lm.lm_head(hidden[:, :-1][keep])
    cap = getattr(causal_lm.config, "final_logit_softcapping", None)
    if cap:
        logits = (logits / cap).tanh() * cap
    return F.cross_entropy(logits.float(), targets[keep])


def mean_loss(
    model: Any, rows: list, pad_id: int, device: str, batch_size: int, precision: str = "float32"
) -> float | None:
    """Token-weighted loss over rows, without dropout."""
    import torch

    if not rows:
        return None
    model.eval()
    total, tokens = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            count = sum(sum(1 for label in r[1][1:] if label != IGNORE) for r in chunk)
            total += float(completion_loss(model, collate(chunk, pad_id, device), precision)) * count
            tokens += count
    model.train()
    return total / max(tokens, 1)


class Checkpoint:
    """The LoRA weights, the optimizer and the step, written atomically into the run folder."""

    def __init__(self, run_dir: Path):
        self.path = run_dir / CHECKPOINT

    def save(self, model: Any, optimizer: Any, step: int, extra: dict[str, Any]) -> None:
        import torch
        from peft import get_peft_model_state_dict

        partial = self.path.with_name(self.path.name + ".partial")
        state = {
            "step": step,
            "lora": get_peft_model_state_dict(model),
            "optimizer": optimizer.state_dict(),
            **extra,
        }
        torch.save(state, partial)
        os.replace(partial, self.path)

    def load(self, model: Any, optimizer: Any) -> dict[str, Any] | None:
        import torch
        from peft import set_peft_model_state_dict

        if not self.path.is_file():
            return None
        state = torch.load(self.path, map_location="cpu", weights_only=False)
        set_peft_model_state_dict(model, state["lora"])
        optimizer.load_state_dict(state["optimizer"])
        return state


def warm_start(model: Any, checkpoint: Path) -> int:
    """Start from another run's LoRA weights (a run on less data, continued on more): the weights
    only; this run's optimizer and schedule start fresh. Returns the steps that run had done."""
    import torch
    from peft import set_peft_model_state_dict

    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    set_peft_model_state_dict(model, state["lora"])
    return int(state.get("step", 0))


def prepare(spec: dict[str, Any], config: TuneConfig, events: Events) -> tuple[Any, Any, str]:
    """(peft model, tokenizer, device) ready to train."""
    import torch
    from peft import LoraConfig, get_peft_model

    from engine.tuning.base_model import load_base

    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads or os.cpu_count() or 1)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    say = lambda message: events.send("status", message=message)  # noqa: E731
    model, tokenizer = load_base(Path(spec["base_gguf"]), spec["base_sha256"], Path(spec["cache_root"]), say)
    lora = LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=list(config.targets),
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora).to(device), tokenizer, device


def train(run_dir: Path, spec: dict[str, Any], events: Events, cancel: threading.Event) -> None:
    import torch

    config = TuneConfig.from_dict(spec["config"])
    model, tokenizer, device = prepare(spec, config, events)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    rows = encode(read_records(Path(spec["train_file"])), tokenizer, config.max_tokens)
    validation = encode(read_records(Path(spec["validation_file"])), tokenizer, config.max_tokens)
    total = config.steps_for(len(rows))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate)
    checkpoint = Checkpoint(run_dir)
    state = checkpoint.load(model, optimizer) or {}
    start = state.get("step", 0)
    losses: list[float] = state.get("losses", [])
    precision = resolve_precision(config.precision, device)
    if start:
        events.send("status", message=f"Resuming at step {start} of {total}…", resumed_from=start)
        val_start = state.get("val_start")
    else:
        if spec.get("warm_start"):
            done = warm_start(model, Path(spec["warm_start"]))
            events.send("status", message=f"Starting from an earlier run's weights ({done} steps)…")
        events.send("status", message="Measuring the starting loss…")
        val_start = mean_loss(model, validation, pad_id, device, config.batch_size, precision)
    model.train()
    began, step_times = time.perf_counter(), []
    for step in range(start, total):
        if cancel.is_set():
            extra = {"losses": losses, "val_start": val_start, "val_along": state.get("val_along", {})}
            checkpoint.save(model, optimizer, step, extra)
            events.send("cancelled", step=step, total=total)
            return
        tick = time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, total, config)
        torch.manual_seed(config.seed * 100_003 + step)  # the same dropout whether resumed or not
        loss = completion_loss(model, collate(batch_rows(step, rows, config), pad_id, device), precision)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(loss))
        step_times.append(time.perf_counter() - tick)
        recent = step_times[-10:]
        events.send(
            "step",
            step=step + 1,
            total=total,
            loss=losses[-1],
            eta_s=sum(recent) / len(recent) * (total - step - 1),
            examples_per_s=config.batch_size / step_times[-1],
        )
        if (step + 1) % config.checkpoint_every == 0 and step + 1 < total:
            # The validation loss along the way: how a longer run would have done, for the recipe.
            if config.validate_every_checkpoint:
                losses_at = state.setdefault("val_along", {})
                losses_at[str(step + 1)] = mean_loss(
                    model, validation, pad_id, device, config.batch_size, precision
                )
                events.send("validation", step=step + 1, loss=losses_at[str(step + 1)])
            extra = {"losses": losses, "val_start": val_start, "val_along": state.get("val_along", {})}
            checkpoint.save(model, optimizer, step + 1, extra)
            events.send("checkpoint", step=step + 1)
    # The finished weights stay as a checkpoint too: a later run on more data can start from them.
    checkpoint.save(model, optimizer, total, {"losses": losses, "val_start": val_start, "finished": True})
    finish(
        run_dir,
        spec,
        config,
        model,
        events,
        {
            "steps": total,
            "resumed_from": start,
            "losses": losses,
            "val_start": val_start,
            "val_end": mean_loss(model, validation, pad_id, device, config.batch_size, precision),
            "val_along": state.get("val_along", {}),
            "train_seconds": time.perf_counter() - began,
            "trained_steps": total - start,
            "device": device,
            "precision": precision,
            "train_examples": len(rows),
            "validation_examples": len(validation),
        },
    )


def finish(run_dir: Path, spec: dict, config: TuneConfig, model: Any, events: Events, summary: dict) -> None:
    """Export the adapter, record what was done next to it, and say so."""
    adapter = _write(spec, config, model, Path(spec["adapter_file"]))
    (run_dir / "result.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    events.send("done", adapter=str(adapter), **summary)


def export_checkpoint(run_dir: Path, adapter: Path, events: Events) -> dict[str, Any]:
    """The adapter as of a run's last checkpoint, while the run goes on (or after it was stopped):
    a candidate to measure before the run ends. Also measures the validation loss there."""
    import torch

    spec = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    config = TuneConfig.from_dict(spec["config"])
    model, tokenizer, device = prepare(spec, config, events)
    step = warm_start(model, run_dir / CHECKPOINT)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    validation = encode(read_records(Path(spec["validation_file"])), tokenizer, config.max_tokens)
    with torch.no_grad():
        val = mean_loss(
            model, validation, pad_id, device, config.batch_size, resolve_precision(config.precision, device)
        )
    state = torch.load(run_dir / CHECKPOINT, map_location="cpu", weights_only=False)
    summary = {
        "steps": step,
        "total_steps": config.steps_for(sum(1 for _ in open(spec["train_file"], encoding="utf-8"))),
        "val_start": state.get("val_start"),
        "val_end": val,
        "losses": state.get("losses", []),
        "validation_examples": len(validation),
    }
    _write(spec, config, model, Path(adapter))
    events.send("exported", adapter=str(adapter), **summary)
    return summary


def _write(spec: dict, config: TuneConfig, model: Any, adapter: Path) -> Path:
    from gguf import GGUFReader
    from peft import get_peft_model_state_dict

    from engine.tuning.export import write_adapter

    lora = {k: v.detach().float().cpu().numpy() for k, v in get_peft_model_state_dict(model).items()}
    architecture = GGUFReader(spec["base_gguf"]).fields["general.architecture"].contents()
    return write_adapter(adapter, lora, alpha=config.alpha, architecture=architecture)


def _watch_stdin(cancel: threading.Event) -> None:
    for line in sys.stdin.buffer:
        if line.strip() == b"cancel":
            cancel.set()
    cancel.set()  # the parent is gone: stop, keeping a checkpoint


def main(argv: list[str]) -> int:
    # Events go to a private copy of stdout; fd 1 points at stderr, so library prints reach the log.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    events = Events(out)
    cancel = threading.Event()
    if argv[0] == "--export":  # RUN_FOLDER ADAPTER: the adapter at the run's last checkpoint
        export_checkpoint(Path(argv[1]), Path(argv[2]), events)
        return 0
    threading.Thread(target=_watch_stdin, args=(cancel,), daemon=True).start()
    run_dir = Path(argv[0])
    try:
        train(run_dir, json.loads((run_dir / "run.json").read_text(encoding="utf-8")), events, cancel)
    except Exception as exc:  # reported to the parent, which raises a typed error
        import traceback

        traceback.print_exc()
        events.send("error", message=f"{exc.__class__.__name__}: {exc}"[:500])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
