"""Reports from a stored run: a self-contained HTML page (charts inline) or Markdown (charts as SVG
files beside it), plus CSV of the raw rows and of the per-candidate figures."""

from __future__ import annotations

import csv
from dataclasses import asdict, fields
from html import escape
from pathlib import Path

from engine.evaluate.ab import ABResult
from engine.evaluate.charts import metric_bars, quality_vs_speed
from engine.evaluate.runs import EvalRow, RunRecord
from engine.evaluate.summary import CandidateSummary, recommend

# (heading, CandidateSummary field, format)
COLUMNS = (
    ("candidate", "label", "{}"),
    ("valid", "validity", "{:.0%}"),
    ("leaks", "leakage", "{:.0%}"),
    ("grounded", "grounding", "{:.0%}"),
    ("solved", "solvability", "{:.0%}"),
    ("chars", "mean_chars", "{:.0f}"),
    ("reading ease", "readability", "{:.0f}"),
    ("load s", "load_s", "{:.2f}"),
    ("first token s", "first_token_s", "{:.2f}"),
    ("tokens/s", "tokens_per_s", "{:.1f}"),
    ("riddles/min", "riddles_per_min", "{:.1f}"),
    ("peak RSS MB", "peak_rss_mb", "{:.0f}"),
    ("VRAM MB", "vram_mb", "{:.0f}"),
    ("file MB", "file_mb", "{:.0f}"),
    ("people solved", "human_solve_rate", "{:.0%}"),
    ("liked", "thumbs_up", "{}"),
    ("disliked", "thumbs_down", "{}"),
)


def cell(summary: CandidateSummary, field: str, fmt: str) -> str:
    value = getattr(summary, field)
    return "–" if value is None else fmt.format(value)


def write_report(
    record: RunRecord,
    summaries: list[CandidateSummary],
    folder: Path,
    *,
    fmt: str = "html",
    budget: float = 0.0,
    ab: ABResult | None = None,
) -> Path:
    """Write the report and its CSVs into folder; returns the report's path."""
    folder.mkdir(parents=True, exist_ok=True)
    write_rows_csv(record, folder / "rows.csv")
    write_summary_csv(summaries, folder / "candidates.csv")
    charts = {"quality-vs-speed.svg": quality_vs_speed(summaries), "metrics.svg": metric_bars(summaries)}
    if fmt == "md":
        for name, svg in charts.items():
            (folder / name).write_text(svg, encoding="utf-8")
        path, text = folder / "report.md", _markdown(record, summaries, budget, ab)
    else:
        path, text = folder / "report.html", _html(record, summaries, budget, ab, list(charts.values()))
    path.write_text(text, encoding="utf-8")
    return path


def write_rows_csv(record: RunRecord, path: Path) -> None:
    names = [f.name for f in fields(EvalRow)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["run", "model_file", "pipeline", "headline", *names])
        for c in record.candidates:
            for row in c.rows:
                values = asdict(row)
                values["hints"] = " | ".join(row.hints)
                writer.writerow(
                    [
                        record.id,
                        c.model_file,
                        c.pipeline,
                        record.articles[row.position].title,
                        *[values[n] for n in names],
                    ]
                )


def write_summary_csv(summaries: list[CandidateSummary], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[f.name for f in fields(CandidateSummary)])
        writer.writeheader()
        writer.writerows(asdict(s) for s in summaries)


def _provenance(record: RunRecord) -> str:
    return (
        f"Run {record.id}, {record.created_at}, seed {record.seed}, {len(record.articles)} articles, "
        f"solver {Path(record.solver_model).name or 'none'} (chance level 25%), status {record.status}."
    )


def _markdown(
    record: RunRecord, summaries: list[CandidateSummary], budget: float, ab: ABResult | None
) -> str:
    head = "| " + " | ".join(h for h, _, _ in COLUMNS) + " |\n|" + " --- |" * len(COLUMNS) + "\n"
    body = "".join("| " + " | ".join(cell(s, f, fmt) for _, f, fmt in COLUMNS) + " |\n" for s in summaries)
    lines = [
        f"# Riddlewire evaluation, run {record.id}",
        "",
        _provenance(record),
        "",
        f"**{recommend(summaries, budget)}**",
        "",
    ]
    if ab is not None:
        lines += [f"**A/B:** {ab.sentence()}", ""]
    lines += [
        head + body,
        "![Quality vs speed](quality-vs-speed.svg)",
        "",
        "![Per-metric shares](metrics.svg)",
        "",
        "Raw rows: [rows.csv](rows.csv); per candidate: [candidates.csv](candidates.csv).",
        "",
    ]
    return "\n".join(lines)


def _html(
    record: RunRecord, summaries: list[CandidateSummary], budget: float, ab: ABResult | None, svgs: list[str]
) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h, _, _ in COLUMNS)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(cell(s, f, fmt))}</td>" for _, f, fmt in COLUMNS) + "</tr>"
        for s in summaries
    )
    ab_html = f"<p><b>A/B:</b> {escape(ab.sentence())}</p>" if ab else ""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Riddlewire evaluation</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}</style>"
        f"</head><body><h1>Riddlewire evaluation, run {record.id}</h1><p>{escape(_provenance(record))}</p>"
        f"<p><b>{escape(recommend(summaries, budget))}</b></p>{ab_html}"
        f"<table><tr>{head}</tr>{rows}</table><div>{''.join(svgs)}</div>"
        "<p>Raw rows: rows.csv; per candidate: candidates.csv (beside this file).</p></body></html>"
    )
