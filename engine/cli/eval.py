"""`riddlewire eval` (compare candidates, or A/B two models) and `riddlewire dataset` (export and check
fine-tuning sets). Both print a short summary and write their files; errors are engine sentences."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from engine.datasets import FORMATS, check_file, export
from engine.evaluate import runs
from engine.evaluate.ab import compare
from engine.evaluate.candidates import STARTER, Candidate
from engine.evaluate.harness import RunSpec, evaluate
from engine.evaluate.report import write_report
from engine.evaluate.summary import recommend, summarize
from engine.inference.local import LocalSettings
from engine.paths import app_paths
from engine.progress import Progress
from engine.riddling import DEFAULT_SAMPLING
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
    finally:
        store.close()
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
