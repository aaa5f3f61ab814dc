"""The calling side of a training run: lay out the run folder, start the training process, turn
its events into Progress (step, loss, time left), pass a cancel on, and turn a dead process into
a sentence. A cancelled run keeps its checkpoint; `train` on the same folder resumes it."""

from __future__ import annotations

import collections
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.errors import Cancelled
from engine.inference.exits import exit_sentence
from engine.progress import CancelToken, Progress, ProgressCallback
from engine.tuning import TuningError, require_extra
from engine.tuning.config import TuneConfig
from engine.tuning.data import TrainingSet, write_jsonl
from engine.tuning.trainer import CHECKPOINT

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
# After a cancel, the current step may finish (then a checkpoint is written): allow this long, or
# three times the slowest step so far on a busy machine, before the process is killed.
CANCEL_GRACE_S = 30.0


@dataclass(frozen=True)
class BaseModel:
    path: Path
    sha256: str


@dataclass(frozen=True)
class TrainingResult:
    run_dir: Path
    adapter: Path
    steps: int
    resumed_from: int
    first_loss: float
    last_loss: float
    val_start: float | None
    val_end: float | None
    train_seconds: float
    examples_per_s: float
    device: str
    train_examples: int
    validation_examples: int


def new_run(
    runs_root: Path,
    training_set: TrainingSet,
    config: TuneConfig,
    base: BaseModel,
    cache_root: Path,
    *,
    warm_start: Path | None = None,
    name: str | None = None,
) -> Path:
    """A fresh run folder holding the data as JSONL and everything the training process needs.
    warm_start: another run's folder (or checkpoint file) whose LoRA weights this run starts from,
    so a run on more data continues a finished one. name: the folder's name (default: the time)."""
    if not training_set.train:
        raise TuningError("There is nothing to train on: no usable examples were found.")
    run_dir = Path(runs_root) / (name or datetime.now(UTC).strftime("run-%Y%m%d-%H%M%S-%f"))
    run_dir.mkdir(parents=True)
    if warm_start is not None:
        warm_start = Path(warm_start) / CHECKPOINT if Path(warm_start).is_dir() else Path(warm_start)
        if not warm_start.is_file():
            raise TuningError(f"There is no checkpoint at {warm_start} to start from.")
    train_file = write_jsonl(training_set.train, run_dir / "train-completion.jsonl")
    validation_file = write_jsonl(training_set.validation, run_dir / "validation-completion.jsonl")
    spec = {
        "data_sha256": data_hash(train_file, validation_file),
        "warm_start": str(warm_start) if warm_start else None,
        "base_gguf": str(base.path),
        "base_sha256": base.sha256,
        "cache_root": str(cache_root),
        "config": config.as_dict(),
        "train_file": str(train_file),
        "validation_file": str(validation_file),
        "adapter_file": str(run_dir / "adapter.gguf"),
        "counts": training_set.counts(),
        "excluded": len(training_set.excluded),
    }
    (run_dir / "run.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return run_dir


def data_hash(*files: Path) -> str:
    """sha256 over the training and validation JSONL as written: which data an adapter saw."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(Path(file).read_bytes())
    return digest.hexdigest()


def can_resume(run_dir: Path) -> bool:
    return (Path(run_dir) / CHECKPOINT).is_file() and not (Path(run_dir) / "result.json").is_file()


def train(
    run_dir: Path, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
) -> TrainingResult:
    """Run (or resume) the training in run_dir in its own process; blocks until it ends."""
    require_extra()
    report = progress or (lambda _p: None)
    report(Progress("training", 0, 0, "Starting the training process…"))
    with (Path(run_dir) / "train.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "engine.tuning.trainer", str(run_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=_PROJECT_ROOT,
            env=_env(),
            bufsize=0,
        )
        try:
            done = _pump(process, report, cancel)
        finally:
            _stop(process)
    return _result(Path(run_dir), done)


def _pump(process: subprocess.Popen, report: ProgressCallback, cancel: CancelToken | None) -> dict[str, Any]:
    events: collections.deque[dict[str, Any]] = collections.deque()
    reader = threading.Thread(target=_read, args=(process, events), daemon=True)
    reader.start()
    cancelled_at: float | None = None
    stepped, last_step, slowest = False, time.monotonic(), 0.0
    while True:
        if cancel is not None and cancel.cancelled and cancelled_at is None:
            if not stepped:  # still loading: there is nothing to keep, so stop at once
                process.kill()
                raise Cancelled("Training stopped before its first step.")
            cancelled_at = time.monotonic()
            _tell(process, b"cancel\n")
            report(Progress("training", 0, 0, "Stopping after this step…"))
        if cancelled_at is not None and time.monotonic() - cancelled_at > max(CANCEL_GRACE_S, 3 * slowest):
            process.kill()
            raise Cancelled("Training stopped at your request; it can be resumed from its last checkpoint.")
        if not events:
            if not reader.is_alive() and not events:
                raise TuningError(_death(process))
            time.sleep(0.05)
            continue
        event = events.popleft()
        kind = event.get("event")
        if kind == "done":
            return event
        if kind == "cancelled":
            raise Cancelled(
                f"Training stopped at step {event['step']} of {event['total']}; it can be resumed."
            )
        if kind == "error":
            raise TuningError(f"Training failed: {event.get('message')}. Details are in the run's train.log.")
        if kind == "step":
            stepped, slowest, last_step = True, max(slowest, time.monotonic() - last_step), time.monotonic()
        report(_progress(event))


def _progress(event: dict[str, Any]) -> Progress:
    if event.get("event") == "step":
        minutes, seconds = divmod(int(event["eta_s"]), 60)
        message = (
            f"Step {event['step']} of {event['total']} · loss {event['loss']:.3f} · "
            f"about {minutes}:{seconds:02d} left"
        )
        return Progress("training", event["step"], event["total"], message, item=event)
    if event.get("event") == "checkpoint":
        return Progress("training", event["step"], 0, f"Checkpoint saved at step {event['step']}.")
    return Progress("training", 0, 0, str(event.get("message", "")))


def _read(process: subprocess.Popen, events: collections.deque) -> None:
    for raw in process.stdout:
        try:
            events.append(json.loads(raw))
        except ValueError:
            continue


def _tell(process: subprocess.Popen, line: bytes) -> None:
    try:
        process.stdin.write(line)
        process.stdin.flush()
    except OSError:
        pass


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            process.wait(timeout=CANCEL_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pipe in (process.stdin, process.stdout):
        try:
            pipe.close()
        except OSError:
            pass


def _death(process: subprocess.Popen) -> str:
    try:
        code = process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait()
    return "Training stopped unexpectedly: " + exit_sentence(code, "")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def _result(run_dir: Path, done: dict[str, Any]) -> TrainingResult:
    losses = done.get("losses") or [float("nan")]
    seconds = done["train_seconds"]
    config = TuneConfig.from_dict(json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["config"])
    return TrainingResult(
        run_dir=run_dir,
        adapter=Path(done["adapter"]),
        steps=done["steps"],
        resumed_from=done["resumed_from"],
        first_loss=losses[0],
        last_loss=losses[-1],
        val_start=done["val_start"],
        val_end=done["val_end"],
        train_seconds=seconds,
        examples_per_s=done["trained_steps"] * config.batch_size / seconds if seconds > 0 else 0.0,
        device=done["device"],
        train_examples=done["train_examples"],
        validation_examples=done["validation_examples"],
    )
