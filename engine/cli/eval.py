"""`riddlewire eval` (compare candidates, or A/B two models) and `riddlewire dataset` (export and check
fine-tuning sets). Both print a short summary and write their files; errors are engine sentences."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from engine.active_model import active_choice, custom_choice, worker_settings
from engine.datasets import FORMATS, check_file, export
from engine.errors import EngineError
from engine.evaluate import ratings, runs
from engine.evaluate.ab import compare
from engine.evaluate.arms import ARMS, choose, load_stories, riddle_arm
from engine.evaluate.candidates import STARTER, Candidate
from engine.evaluate.harness import RunSpec, evaluate
from engine.evaluate.ratings import add_items, report_text
from engine.evaluate.report import write_report
from engine.evaluate.summary import recommend, summarize
from engine.inference.local import LocalSettings
from engine.paths import app_paths
from engine.progress import Progress
from engine.riddling import DEFAULT_SAMPLING
from engine.settings import load_settings, with_data_folder
from engine.settings import sampling as user_sampling
from engine.store import Store


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("eval", help="compare models and pipelines on your own news, or A/B two models")
    p.add_argument(
        "--models",
        default=STARTER,
        help='comma-separated GGUF paths, model file names, "starter", or a service as BASE_URL#MODEL',
    )
    p.add_argument("--pipelines", default="few-shot", help="comma-separated: few-shot, zero-shot, service")
    p.add_argument("--ab", nargs=2, metavar=("BASE", "TUNED"), help="A/B two models on the same articles")
    p.add_argument("--articles", type=int, default=8, help="size of the frozen article set (default 8)")
    p.add_argument("--seed", type=int, default=7, help="seed for the article set and sampling (default 7)")
    p.add_argument("--solver", help="the solver model (default: the largest installed model)")
    p.add_argument("--no-solve", action="store_true", help="skip solvability (faster)")
    p.add_argument(
        "--rotations", type=int, default=4, help="option orders shown to the solver (1-4, default 4)"
    )
    p.add_argument(
        "--resume", type=int, metavar="RUN", help="continue a stopped run, or add candidates to it"
    )
    p.add_argument("--budget", type=float, default=0.0, help="speed budget in riddles per minute")
    p.add_argument("--report", type=Path, help="folder for the report (default: data folder/reports/run-N)")
    p.add_argument("--format", choices=("html", "md"), default="html")
    p.add_argument("--n-ctx", type=int, default=4096, help="context length for the candidates (default 4096)")
    p.set_defaults(run=run_eval)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    _register_arms(actions)
    _register_rate(actions)

    d = subparsers.add_parser("dataset", help="export a fine-tuning set from your history, or check one")
    actions = d.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = actions.add_parser("export", help="liked and solved riddles plus the examples, as JSONL")
    e.add_argument("--out", type=Path, required=True, help="folder for the JSONL files")
    e.add_argument(
        "--validation", type=float, default=0.1, help="share held out for validation (default 0.1)"
    )
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--no-examples", action="store_true", help="leave out the bundled few-shot examples")
    e.set_defaults(run=run_export)
    c = actions.add_parser("check", help="check a JSONL file against its format")
    c.add_argument("file", type=Path)
    c.add_argument("--format", choices=FORMATS, required=True)
    c.set_defaults(run=run_check)


def _register_arms(actions: argparse._SubParsersAction) -> None:
    a = actions.add_parser(
        "arms", help="riddle held-out stories several ways (arms) and queue them for blind rating"
    )
    a.add_argument("--stories", type=Path, nargs="+", required=True, help="JSONL files of stories")
    a.add_argument("--per-arm", type=int, default=100, help="stories riddled by each arm (default 100)")
    a.add_argument(
        "--arms",
        default="guided,parse-and-retry,tuned",
        help=f"comma-separated, from: {', '.join(ARMS)} (default guided,parse-and-retry,tuned)",
    )
    a.add_argument("--adapter", type=Path, help="the LoRA adapter (GGUF) of the tuned arm")
    a.add_argument("--model", type=Path, help="the base GGUF (default: the active model)")
    a.add_argument("--batch", default="", help="the rating run's name (default: blind-<date>)")
    a.add_argument("--seed", type=int, default=7, help="seed for the stories, headlines and sampling")
    a.add_argument("--width", type=int, help="batch width (default: automatic, as the reader)")
    a.set_defaults(run=run_arms)


def _register_rate(actions: argparse._SubParsersAction) -> None:
    r = actions.add_parser(
        "rate",
        help="rate queued riddles blind (no arm shown): interactively, or one at a time with --next/--mark",
    )
    r.add_argument("--batch", help="the rating run (default: every queued item)")
    what = r.add_mutually_exclusive_group()
    what.add_argument("--next", action="store_true", help="print the next unrated item with its id")
    what.add_argument("--mark", type=int, metavar="ID", help="mark item ID with --answer, --story, --good")
    what.add_argument("--report", action="store_true", help="each arm's rates with 95%% intervals")
    what.add_argument("--export", type=Path, metavar="FILE", help="write items, arms and marks (.jsonl/.csv)")
    for flag, meaning in (
        ("--answer", "the answer names the story (A)"),
        ("--story", "the story is identifiable from riddle and hints (S)"),
        ("--good", "a good riddle (G)"),
    ):
        r.add_argument(flag, choices=("y", "n"), help=meaning)
    r.add_argument("--rater", default="", help="who rated (kept with the marks)")
    r.set_defaults(run=run_rate)


def run_arms(args: argparse.Namespace) -> int:
    settings = load_settings(app_paths().settings_file)
    paths = with_data_folder(app_paths(), settings).ensure()
    names = _split(args.arms)
    unknown = [n for n in names if n not in ARMS]
    if unknown:
        raise EngineError(f"Unknown arm {', '.join(unknown)}: choose from {', '.join(ARMS)}.")
    everything = load_stories(list(args.stories))
    stories = choose(everything, args.per_arm, args.seed)
    model = custom_choice(args.model) if args.model else active_choice(paths)
    engine = replace(worker_settings(model, settings, paths), idle_unload_s=None)
    sampling = user_sampling(settings, DEFAULT_SAMPLING).with_seed(args.seed)
    batch = args.batch or f"blind-{datetime.now(UTC):%Y-%m-%d}"
    store = Store(paths.database)
    try:
        for name in names:
            queued = ratings.queued_stories(store, batch, name)
            todo = [s for s in stories if s.key not in queued]
            if not todo:
                print(f"{name}: all {len(stories)} stories already queued in {batch}", flush=True)
                continue
            started = time.perf_counter()
            items = riddle_arm(
                ARMS[name],
                todo,
                everything,
                model,
                engine,
                sampling,
                adapter=args.adapter,
                width=args.width,
                seed=args.seed,
                progress=lambda p, n=name: _show(replace(p, message=f"{n}: {p.message}")),
            )
            add_items(store, batch, items, seed=args.seed)
            made = sum(1 for i in items if not i.failure)
            print(
                f"{name}: {made} of {len(items)} stories riddled in {time.perf_counter() - started:.0f} s"
                + (f" ({len(queued)} were already queued)" if queued else ""),
                flush=True,
            )
    finally:
        store.close()
    print(f'Queued for blind rating as "{batch}": riddlewire eval rate --batch {batch} --next')
    return 0


def run_rate(args: argparse.Namespace) -> int:
    store = Store(app_paths().ensure().database)
    try:
        if args.report:
            print(report_text(ratings.report(store, args.batch)))
        elif args.export:
            count = ratings.export(store, args.export, args.batch)
            print(f"{count} items written to {args.export}")
        elif args.next:
            item = ratings.next_item(store, args.batch)
            print(item.text() if item else "Everything queued has been rated.")
        elif args.mark is not None:
            marks = (args.answer, args.story, args.good)
            if None in marks:
                raise EngineError(
                    "Marking an item needs all three marks: --answer, --story and --good, each y or n."
                )
            ratings.mark(store, args.mark, *(m == "y" for m in marks), rater=args.rater)
            print(f"Item {args.mark} marked.")
        else:
            _rate_interactively(store, args.batch, args.rater)
    finally:
        store.close()
    return 0


def _rate_interactively(store: Store, batch: str | None, rater: str) -> None:
    """One item after another: y/n for each mark, q to stop (what is marked is kept)."""
    while (item := ratings.next_item(store, batch)) is not None:
        print(item.text())
        marks = []
        for question in ("A: answer names the story", "S: story identifiable", "G: good riddle"):
            answer = ""
            while answer not in ("y", "n", "q"):
                answer = input(f"{question}? [y/n/q] ").strip().lower()[:1]
            if answer == "q":
                return
            marks.append(answer == "y")
        ratings.mark(store, item.id, *marks, rater=rater)
        print()
    print("Everything queued has been rated.")
    print(report_text(ratings.report(store, batch)))


def run_eval(args: argparse.Namespace) -> int:
    paths = app_paths().ensure()
    models = list(args.ab) if args.ab else _split(args.models)
    pipelines = _split(args.pipelines)[:1] if args.ab else _split(args.pipelines)
    spec = RunSpec(
        candidates=tuple(Candidate(m, p) for m in models for p in pipelines),
        articles=args.articles,
        seed=args.seed,
        solver=args.solver,
        solve=not args.no_solve,
        solver_rotations=args.rotations,
        sampling=replace(DEFAULT_SAMPLING, seed=args.seed),
        settings=LocalSettings(n_ctx=args.n_ctx, idle_unload_s=None),
    )
    store = Store(paths.database)
    try:
        record = evaluate(store, spec, paths, run_id=args.resume, progress=_show)
        human = {
            (c.model_file, c.pipeline): runs.human_signal(store, c.model_file, c.pipeline)
            for c in record.candidates
        }
        batch, arms = ratings.headline(store)
    finally:
        store.close()
    # The headline number first: good riddles per minute from the latest blind ratings.
    if any(arm.rated for arm in arms):
        print(f"Good riddles per minute on this machine (blind ratings, {batch}):\n{report_text(arms)}")
    else:
        print("No blind ratings yet (riddlewire eval arms, then eval rate) for good riddles per minute.")
    summaries = summarize(record, human)
    ab = compare(*_ab_pair(record, spec)) if args.ab else None
    folder = args.report or paths.data / "reports" / f"run-{record.id}"
    report = write_report(record, summaries, folder, fmt=args.format, budget=args.budget, ab=ab)
    print(recommend(summaries, args.budget))
    if ab is not None:
        print(ab.sentence())
    print(f"Report: {report}")
    return 0


def _ab_pair(record: runs.RunRecord, spec: RunSpec) -> tuple[runs.CandidateRecord, runs.CandidateRecord]:
    by_key = {(c.model, c.pipeline): c for c in record.candidates}
    base, tuned = spec.candidates
    return by_key[(base.model, base.pipeline)], by_key[(tuned.model, tuned.pipeline)]


def run_export(args: argparse.Namespace) -> int:
    store = Store(app_paths().ensure().database)
    try:
        result = export(
            store, args.out, validation=args.validation, seed=args.seed, include_examples=not args.no_examples
        )
    finally:
        store.close()
    print(
        f"{result.train} training and {result.validation} validation examples "
        f"({result.from_history} from your history), checked:"
    )
    for path in result.files:
        print(f"  {path}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    print(f"{check_file(args.file, args.format)} {args.format} records, all valid.")
    return 0


def _show(progress: Progress) -> None:
    print(f"[{progress.done}/{progress.total}] {progress.message}", file=sys.stderr, flush=True)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
