"""`riddlewire tune`: fine-tune a riddle LoRA adapter on your riddles and measure it.

riddlewire tune data [--export DIR] [--no-distilled]   what would be trained on (and the JSONL files)
riddlewire tune distill --teacher MODEL|URL#MODEL [--limit N]   riddles from a stronger model, checked
riddlewire tune train [--steps N] [--epochs N] [--resume] [--no-distilled]
riddlewire tune list | use NAME | off NAME | delete NAME
riddlewire tune merge NAME [--quant Q8_0]   a standalone GGUF, registered as its own model
riddlewire tune eval NAME [--limit N]   A/B on the held-out news"""

from __future__ import annotations

import argparse
import sys

from engine.paths import AppPaths, app_paths
from engine.progress import Progress
from engine.store import Store
from engine.tuning import TuningError, require_extra


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "tune", help="fine-tune a riddle adapter on your riddles (needs riddlewire[tune])"
    )
    actions = p.add_subparsers(dest="tune_action", metavar="ACTION", required=True)
    data = actions.add_parser("data", help="show the training data; --export writes it as JSONL")
    data.add_argument("--export", metavar="DIR", help="write train/validation JSONL files here")
    data.add_argument("--no-distilled", action="store_true", help="leave out distilled riddles")
    distill = actions.add_parser(
        "distill", help="riddles from a stronger model, kept only if they pass the checks"
    )
    distill.add_argument(
        "--teacher",
        required=True,
        help="another installed model (key or name) or a service as http://HOST:PORT/v1#MODEL",
    )
    distill.add_argument("--limit", type=int, help="ask for at most N riddles")
    distill.add_argument("--forget", action="store_true", help="first forget earlier distilled riddles")
    train = actions.add_parser("train", help="train an adapter and switch it on")
    train.add_argument("--steps", type=int, help="stop after N steps (a quick trial)")
    train.add_argument("--epochs", type=int, help="passes over the data (default 1)")
    train.add_argument("--resume", action="store_true", help="continue the last stopped run")
    train.add_argument("--no-distilled", action="store_true", help="leave out distilled riddles")
    actions.add_parser("list", help="your tuned adapters")
    for name, text in (
        ("use", "switch an adapter on"),
        ("off", "switch an adapter off"),
        ("delete", "delete one"),
    ):
        actions.add_parser(name, help=text).add_argument("name")
    merge = actions.add_parser(
        "merge", help="merge an adapter into its base and quantize (a standalone model)"
    )
    merge.add_argument("name")
    merge.add_argument(
        "--quant",
        default="Q8_0",
        help="merged weights in Q8_0 (default; +2%% size) or F16, or the whole file in Q4_K_M "
        "(the base's size, but its rounding drowns much of a small adapter)",
    )
    ab = actions.add_parser("eval", help="A/B an adapter against the base on the held-out news")
    ab.add_argument("name")
    ab.add_argument("--limit", type=int, help="only the first N held-out items")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    paths = app_paths().ensure()
    action = {
        "data": show_data,
        "distill": distill,
        "train": train,
        "list": show_adapters,
        "use": switch,
        "off": switch,
        "delete": switch,
        "merge": merge,
        "eval": evaluate,
    }[args.tune_action]
    return action(args, paths)


def _training_set(paths: AppPaths, with_distilled: bool = True):  # noqa: ANN202 - TrainingSet
    from engine.tuning.distill import distilled_examples
    from engine.tuning.history import history_examples
    from engine.tuning.workflow import training_set

    store = Store(paths.database)
    try:
        history, rated_down = history_examples(store)
    finally:
        store.close()
    return training_set(history, distilled=distilled_examples(paths) if with_distilled else []), rated_down


def distill(args: argparse.Namespace, paths: AppPaths) -> int:
    from engine.tuning.distill import forget_distilled, history_news
    from engine.tuning.workflow import distill_news

    if args.forget:
        forget_distilled(paths)
    store = Store(paths.database)
    try:
        news = history_news(store)
    finally:
        store.close()
    result = distill_news(paths, news, args.teacher, limit=args.limit, progress=_print_progress)
    print(f"\n{result.teacher}: {len(result.kept)} of {result.tried} riddles kept (solver {result.solver}).")
    for why, count in result.reasons().items():
        print(f"  rejected {count}: {why}")
    print("They join the training data (riddlewire tune data); --no-distilled leaves them out.")
    return 0


def show_data(args: argparse.Namespace, paths: AppPaths) -> int:
    from pathlib import Path

    from engine.tuning.data import write_jsonl

    data, rated_down = _training_set(paths, not args.no_distilled)
    counts = ", ".join(f"{n} {source}" for source, n in sorted(data.counts().items()))
    print(
        f"{len(data.train)} training and {len(data.validation)} validation examples ({counts}); "
        f"{len(data.excluded)} left out, {rated_down} rated down."
    )
    for title, why in data.excluded:
        print(f"  left out: {title[:70]} ({why})")
    if args.export:
        for name, rows in (("train", data.train), ("validation", data.validation)):
            print(write_jsonl(rows, Path(args.export) / f"{name}-completion.jsonl"))
    return 0


def train(args: argparse.Namespace, paths: AppPaths) -> int:
    from engine.tuning.config import TuneConfig
    from engine.tuning.workflow import resumable_run, train_adapter

    require_extra()
    resume = resumable_run(paths) if args.resume else None
    if args.resume and resume is None:
        raise TuningError("There is no stopped training run to resume.")
    data = None if resume else _training_set(paths, not args.no_distilled)[0]
    config = TuneConfig(max_steps=args.steps, **({"epochs": args.epochs} if args.epochs else {}))
    adapter = train_adapter(paths, data, config, resume=resume, progress=_print_progress)
    print(f"\nAdapter {adapter.name} is trained and switched on ({adapter.path}).")
    print(f"Measure it: riddlewire tune eval {adapter.name}")
    return 0


def _print_progress(progress: Progress) -> None:
    print(
        f"\r{progress.message[:100]:<100}",
        end="" if progress.stage == "training" and progress.total else "\n",
        file=sys.stderr,
        flush=True,
    )


def show_adapters(args: argparse.Namespace, paths: AppPaths) -> int:
    from engine.tuning.adapters import in_use, tuned_adapters

    adapters = tuned_adapters(paths)
    if not adapters:
        print("No tuned adapters yet: riddlewire tune train")
    for adapter in adapters:
        t = adapter.provenance.get("training", {})
        state = "on " if in_use(paths, adapter) else "off"
        print(
            f"[{state}] {adapter.name}  base {adapter.provenance.get('base_file')}  "
            f"{t.get('train_examples')} examples, {t.get('steps')} steps, "
            f"validation loss {t.get('val_start') or 0:.2f} -> {t.get('val_end') or 0:.2f}"
        )
        if adapter.evaluation:
            print(f"      {adapter.evaluation['verdict']}")
    return 0


def _named(paths: AppPaths, name: str):  # noqa: ANN202 - TunedAdapter
    from engine.tuning.adapters import tuned_adapters

    for adapter in tuned_adapters(paths):
        if adapter.name == name:
            return adapter
    raise TuningError(f'There is no tuned adapter called "{name}". `riddlewire tune list` shows them.')


def switch(args: argparse.Namespace, paths: AppPaths) -> int:
    from engine.tuning import adapters

    adapter = _named(paths, args.name)
    {"use": adapters.switch_on, "off": adapters.switch_off, "delete": adapters.delete}[args.tune_action](
        paths, adapter
    )
    print(
        {"use": "Switched on", "off": "Switched off", "delete": "Deleted"}[args.tune_action]
        + f": {adapter.name}"
    )
    return 0


def merge(args: argparse.Namespace, paths: AppPaths) -> int:
    from engine.tuning.workflow import merge_and_register

    model = merge_and_register(paths, _named(paths, args.name), args.quant, progress=_print_progress)
    print(f"\nMerged: {model.name} ({model.file}, {model.size_bytes:,} bytes), registered as {model.key}.")
    print(f"Make it the active model: riddlewire models use {model.key}")
    return 0


def evaluate(args: argparse.Namespace, paths: AppPaths) -> int:
    from engine.tuning.workflow import evaluate_adapter

    result = evaluate_adapter(paths, _named(paths, args.name), args.limit, progress=_print_progress)
    for arm in result.arms:
        rate, low, high = arm.rate(arm.valid)
        print(
            f"{arm.name:24} valid {arm.valid}/{arm.items} ({rate:.0%}, {low:.0%}–{high:.0%})  "
            f"solved {arm.solved}/{arm.valid}  names the subject {arm.on_target}  "
            f"first token {arm.first_token_s:.2f} s"
        )
    print(result.verdict)
    return 0
