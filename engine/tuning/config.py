"""Training settings. The defaults were chosen by measurement on the 2-core machine (see the
"Fine-tuning (issue 11)" section of BENCHMARKS.md): small rank on the attention projections keeps
the adapter at about 1.5 MB and a step of 4 examples at about a second on CPU."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class TuneConfig:
    rank: int = 8
    alpha: float = 16.0  # llama.cpp scales by alpha / rank, like peft
    dropout: float = 0.05
    learning_rate: float = 5e-4
    epochs: int = 1
    batch_size: int = 4
    max_tokens: int = 256  # a longer example loses the tail of its completion (ours are ~160)
    targets: tuple[str, ...] = ("q_proj", "v_proj")
    seed: int = 0
    checkpoint_every: int = 20  # steps; a cancel also saves a checkpoint
    max_steps: int | None = None  # caps the run (tests, quick trials)
    threads: int | None = None  # torch CPU threads; None = all cores

    def as_dict(self) -> dict:
        data = asdict(self)
        data["targets"] = list(self.targets)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TuneConfig:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "targets" in values:
            values["targets"] = tuple(values["targets"])
        return cls(**values)

    def steps_for(self, examples: int) -> int:
        per_epoch = -(-examples // self.batch_size)
        total = per_epoch * self.epochs
        return min(total, self.max_steps) if self.max_steps else total
