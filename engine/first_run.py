"""The first-run choice "pick your model size", in plain words: one model per size tier, with its
download size, whether it fits this machine, how long a riddle takes and how good riddles get, and
a recommendation; and making the picked model the active one once it is on disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.active_model import ModelChoice, active_choice
from engine.catalog import TIERS, Catalog, ModelFile, ModelSpec
from engine.downloads import Downloaded
from engine.hardware import Fit, Machine, fit
from engine.model_registry import catalog_key, register_download, set_active
from engine.paths import AppPaths

RIDDLE_TOKENS = 80  # a riddle, its answer and two hints, about what the worker generates per riddle
RECOMMEND_MAX_S = 10.0  # the largest size that fits and makes a riddle within this is recommended

QUALITY = {
    "tiny": "Playful but often off the mark: good for trying Riddlewire out.",
    "small": "Mostly sensible riddles with fair hints.",
    "medium": "Clever riddles that stay close to the story.",
    "large": "The best riddles, for a computer with plenty of memory.",
}


@dataclass(frozen=True)
class SizeOffer:
    tier: str
    spec: ModelSpec
    file: ModelFile
    fit: Fit
    installed: bool  # already in the models folder (the bundled model always is)
    recommended: bool = False

    @property
    def download_bytes(self) -> int:
        return 0 if self.installed else self.file.size_bytes

    @property
    def seconds_per_riddle(self) -> float:
        return RIDDLE_TOKENS / max(self.fit.tokens_per_s, 0.1)

    @property
    def quality(self) -> str:
        return QUALITY[self.tier]

    @property
    def speed(self) -> str:
        seconds = self.seconds_per_riddle
        where = " on your graphics card" if self.fit.device.startswith("GPU") else ""
        if seconds < 4:
            return f"Quick{where}: about {max(1, round(seconds))} seconds per riddle."
        if seconds < 15:
            return f"About {round(seconds)} seconds per riddle{where}."
        if seconds < 90:
            return f"Slow here: about {round(seconds)} seconds per riddle{where}."
        return f"Very slow here: about {round(seconds / 60)} minutes per riddle{where}."

    @property
    def size(self) -> str:
        megabytes = (
            f"{self.file.size_bytes / 1e9:.1f} GB"
            if self.file.size_bytes >= 1e9
            else f"{self.file.size_bytes / 1e6:.0f} MB"
        )
        return f"{megabytes}, already on this computer" if self.installed else f"{megabytes} to download"


def tier_model(catalog: Catalog, tier: str) -> ModelSpec | None:
    """The one model offered for a tier: the bundled one for Tiny; otherwise the bundled model's
    family first (riddles feel the same, only better), instruct variants first, smallest first."""
    family = catalog.bundled.family
    candidates = sorted(
        catalog.in_tier(tier),
        key=lambda s: (not s.bundled, s.family != family, s.variant != "instruct", s.params_b),
    )
    return candidates[0] if candidates else None


def size_offers(
    catalog: Catalog, machine: Machine, models: Path, *, n_ctx: int = 2048, device: str = "auto"
) -> list[SizeOffer]:
    """One offer per tier, smallest first, with exactly one recommended."""
    offers = []
    for tier in TIERS:
        spec = tier_model(catalog, tier)
        if spec is None:
            continue
        file = spec.file()
        installed = spec.bundled or (models / file.filename).is_file()
        offers.append(SizeOffer(tier, spec, file, fit(spec, file, machine, n_ctx, device), installed))
    good = [o for o in offers if o.fit.verdict == "fits" and o.seconds_per_riddle <= RECOMMEND_MAX_S]
    pick = (good or offers[:1])[-1]
    return [SizeOffer(o.tier, o.spec, o.file, o.fit, o.installed, o is pick) for o in offers]


def make_active(paths: AppPaths, offer: SizeOffer, done: Downloaded | None) -> ModelChoice:
    """Register a finished download (verified by engine.downloads) and make the offer's model the
    active one in the registry, so the choice survives a restart. Returns what to riddle with."""
    if done is None:
        key = catalog_key(offer.spec, offer.file)
    else:
        key = register_download(paths, offer.spec, offer.file, done).key
    return activate(paths, key)


def activate(paths: AppPaths, key: str) -> ModelChoice:
    """Make an installed model the active one in the registry; returns what to riddle with."""
    set_active(paths, key)
    return active_choice(paths)
