"""The import check for a LoRA adapter file: is it a GGUF LoRA adapter for this base model, with
every A/B pair shaped like the base tensor it changes? gguf.GGUFReader is not hardened against
hostile files (one can make it hang), so `check_adapter` reads the file in a child process with a
time limit; `inspect_adapter` is what that child runs."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from engine.tuning import TuningError

MAX_ADAPTER_BYTES = 512 * 1024 * 1024
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class AdapterInfo:
    architecture: str
    alpha: float
    rank: int
    pairs: int  # A/B pairs, one per adapted projection
    layers: int


def check_adapter(adapter: Path, base: Path, timeout_s: float = 300.0) -> AdapterInfo:
    # 300 s: on a busy 2-core machine the child's imports alone took over 60 s (measured, load 11).
    """Raise TuningError with the reason unless `adapter` can be applied to `base`."""
    adapter = Path(adapter)
    if not adapter.is_file():
        raise TuningError(f"There is no adapter file at {adapter}.")
    if adapter.stat().st_size > MAX_ADAPTER_BYTES:
        raise TuningError(f"{adapter.name} is too large to be a LoRA adapter; it was not used.")
    with adapter.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise TuningError(
                f"{adapter.name} is not a GGUF file, so it is not a LoRA adapter; it was not used."
            )
    command = [sys.executable, "-m", "engine.tuning.adapter_check", str(adapter), str(base)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, cwd=_PROJECT_ROOT)
    except subprocess.TimeoutExpired:
        raise TuningError(
            f"{adapter.name} could not be read within {timeout_s:.0f} s; it was not used."
        ) from None
    lines = done.stdout.strip().splitlines()
    answer = json.loads(lines[-1]) if lines else {"problem": "the check could not read it"}
    if "problem" in answer:
        raise TuningError(f"{adapter.name} cannot be used with {Path(base).name}: {answer['problem']}.")
    return AdapterInfo(**answer)


def inspect_adapter(adapter: Path, base: Path) -> AdapterInfo:
    """Read both files (trusted to terminate only because a parent watches the clock)."""
    from gguf import GGUFReader

    reader = GGUFReader(str(adapter))
    meta = {field.name: field for field in reader.fields.values()}

    def value(key: str):  # noqa: ANN202 - str | float | None
        field = meta.get(key)
        return None if field is None else field.contents()

    base_reader = GGUFReader(str(base))
    architecture = value("general.architecture")
    base_architecture = base_reader.fields["general.architecture"].contents()
    if value("general.type") != "adapter" or value("adapter.type") != "lora":
        raise ValueError("it is not marked as a LoRA adapter (general.type=adapter, adapter.type=lora)")
    if architecture != base_architecture:
        raise ValueError(f"it was made for the {architecture} architecture, the model is {base_architecture}")
    alpha = value("adapter.lora.alpha")
    if not isinstance(alpha, float) or not math.isfinite(alpha) or alpha <= 0:
        raise ValueError("its adapter.lora.alpha is missing or not a positive number")
    shapes = {t.name: [int(n) for n in t.shape] for t in reader.tensors}
    base_shapes = {t.name: [int(n) for n in t.shape] for t in base_reader.tensors}
    ranks = {_check_pair(name, shapes, base_shapes) for name in shapes if name.endswith(".lora_a")}
    if not ranks:
        raise ValueError("it holds no LoRA tensors")
    if len(ranks) != 1:
        raise ValueError("its tensors do not share one rank")
    if any(name.endswith(".lora_b") and name[:-1] + "a" not in shapes for name in shapes):
        raise ValueError("a lora_b tensor has no lora_a partner")
    layers = {name.split(".")[1] for name in shapes}
    return AdapterInfo(str(architecture), float(alpha), ranks.pop(), len(shapes) // 2, len(layers))


def _check_pair(a_name: str, shapes: dict[str, list[int]], base_shapes: dict[str, list[int]]) -> int:
    """Shapes in GGUF order (ne): A is [in, rank], B is [rank, out], the base weight is [in, out]."""
    target = a_name.removesuffix(".lora_a")
    b_name = target + ".lora_b"
    if b_name not in shapes:
        raise ValueError(f"{a_name} has no lora_b partner")
    if target not in base_shapes:
        raise ValueError(f"it changes {target}, which the model does not have")
    a, b, weight = shapes[a_name], shapes[b_name], base_shapes[target]
    if len(a) != 2 or len(b) != 2 or a[0] != weight[0] or b[1] != weight[1] or a[1] != b[0]:
        raise ValueError(f"{target} has shapes A {a} and B {b} that do not fit the model's {weight}")
    return a[1]


def main(argv: list[str]) -> int:
    try:
        info = inspect_adapter(Path(argv[0]), Path(argv[1]))
    except Exception as exc:  # noqa: BLE001 - every reason goes back to the parent as a phrase
        print(json.dumps({"problem": str(exc)[:300] or exc.__class__.__name__}))
        return 1
    print(json.dumps(info.__dict__))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
