"""Evaluation runs (issue 7): a run, its frozen article set, its candidates (model x pipeline) and one
row per candidate per article. Articles are copied into the run, not referenced, so a run stays
comparable (and readable) after the history is pruned."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    db["eval_runs"].create(
        {
            "id": int,
            "created_at": str,
            "seed": int,
            "articles": int,
            "solver_model": str,
            "solver_sha256": str,
            "sampling": str,
            "app_version": str,
            "status": str,
        },
        pk="id",
        not_null={"created_at", "seed"},
        defaults={"status": "running", "solver_model": "", "solver_sha256": ""},
    )
    db["eval_articles"].create(
        {
            "run_id": int,
            "position": int,
            "title": str,
            "summary": str,
            "link": str,
            "source": str,
            "day": str,
            "options": str,
            "answer_index": int,
        },
        pk=("run_id", "position"),
        foreign_keys=[("run_id", "eval_runs", "id")],
        not_null={"title", "options", "answer_index"},
    )
    db["eval_candidates"].create(
        {
            "id": int,
            "run_id": int,
            "model": str,
            "model_file": str,
            "model_sha256": str,
            "pipeline": str,
            "file_size": int,
            "load_s": float,
            "peak_rss_bytes": int,
            "vram_bytes": int,
            "status": str,
            "finished_at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "eval_runs", "id")],
        not_null={"run_id", "model", "pipeline"},
        defaults={"status": "pending", "model_sha256": ""},
    )
    db["eval_candidates"].create_index(["run_id", "model", "pipeline"], unique=True)
    db["eval_rows"].create(
        {
            "candidate_id": int,
            "position": int,
            "valid": int,
            "reason": str,
            "riddle": str,
            "answer": str,
            "hints": str,
            "leaked": int,
            "grounded": int,
            "grounding": float,
            "solved": int,
            "choice": int,
            "chars": int,
            "words": int,
            "readability": float,
            "prompt_tokens": int,
            "completion_tokens": int,
            "first_token_s": float,
            "tokens_per_s": float,
            "generation_s": float,
            "output": str,
        },
        pk=("candidate_id", "position"),
        foreign_keys=[("candidate_id", "eval_candidates", "id")],
        not_null={"valid"},
    )
