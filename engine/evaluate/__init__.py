"""Evaluate and choose (issue 7): every candidate (model x pipeline) riddles the same frozen article
set; each riddle is measured (validity, leakage, grounding, solvability, length, readability) and each
candidate is timed (load, first token, tokens/s, riddles/min, peak memory). Runs live in SQLite
(`runs.py`), resume after a stop, and turn into reports (`report.py`) and an A/B verdict (`ab.py`).

    articleset.py  freeze N articles, each with 4 same-day headlines for the solver
    metrics.py     per-riddle measures on plain values (no model needed)
    solver.py      a model picks the headline a riddle is about (digit log-likelihood)
    candidates.py  model spec + pipeline name -> something that completes prompts
    harness.py     the run: generate, measure, solve, store; resumable and cancellable
    summary.py     per-candidate figures and the recommendation sentence
    ab.py          paired bootstrap interval on the solvability difference
    report.py      HTML / Markdown with SVG charts (charts.py), and CSV
"""
