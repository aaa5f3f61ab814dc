"""`riddlewire --self-test`: prove an installation works, headless, in well under a minute.

Loads the starter model in the worker process, riddles one bundled article, writes and reads a
temporary history database, prints one line and exits 0; any failure prints a sentence and exits 1.
Installers run it against the bundled executable."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from engine import __version__
from engine.errors import EngineError, GenerationError
from engine.inference import Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.paths import app_paths
from engine.pipelines import FewShotPipeline
from engine.riddling import Riddler
from engine.samples import sample_articles
from engine.starter import ensure_starter_model
from engine.store import Store


def run_self_test(models_dir: Path | None = None) -> str:
    """The one-line summary; raises EngineError (or AssertionError) when something is wrong."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="riddlewire-selftest-") as scratch:
        scratch_dir = Path(scratch)
        starter = ensure_starter_model(models_dir or app_paths().ensure().models)
        model = LocalModel(starter.path, LocalSettings(n_ctx=2048, idle_unload_s=None))
        try:
            info = model.load()
            riddler = Riddler(model, FewShotPipeline(), _identity(starter), Sampling(temperature=0.3, seed=7))
            store = Store(scratch_dir / "selftest.sqlite3")
            stored = _first_riddle(store, riddler)
            reread = Store(scratch_dir / "selftest.sqlite3").riddle(stored.id)
            assert reread.riddle == stored.riddle, "the history database did not read back what was written"
            assert store.integrity_ok()
            store.close()
        finally:
            model.close()
    elapsed = time.perf_counter() - started
    return (
        f"riddlewire {__version__} self-test ok: {info.architecture} model loaded in {info.load_s:.2f}s "
        f"({info.kernels or 'kernels not reported'}), "
        f'riddled "{stored.article.title[:40]}…" and read it back from SQLite in {elapsed:.1f}s total'
    )


def _first_riddle(store: Store, riddler: Riddler):  # noqa: ANN202 - StoredRiddle
    """One bundled article riddled and stored; the next article is tried only if the model fails one."""
    problems = []
    for article in store.save_articles(sample_articles()[:3]):
        try:
            riddle, provenance = riddler.riddle(article)
        except GenerationError as error:
            problems.append(error.sentence)
            continue
        return store.save_riddle(article, riddle, provenance)
    raise GenerationError("The self-test could not make a single riddle: " + " ".join(problems))


def _identity(starter):  # noqa: ANN001, ANN202
    from engine.riddling import ModelIdentity

    return ModelIdentity(starter.path.name, starter.sha256, starter.size_tier)


def main() -> int:
    try:
        _say(run_self_test(), sys.stdout)
        return 0
    except (EngineError, AssertionError, OSError) as failure:
        _say(f"riddlewire self-test FAILED: {failure}", sys.stderr)
        return 1


def _say(line: str, stream) -> None:  # noqa: ANN001
    """Print, or, in a windowed bundle with no console (Windows, macOS), append to the log folder."""
    if stream is not None:
        print(line, file=stream, flush=True)
        return
    with open(app_paths().ensure().logs / "self-test.txt", "a", encoding="utf-8") as log:
        log.write(line + "\n")
