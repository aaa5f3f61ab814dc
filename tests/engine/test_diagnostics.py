import logging
import os
import platform
from pathlib import Path

import llama_cpp
import pytest

from engine.diagnostics import collect, llama_build, scrub
from engine.inference import ModelInfo, backends
from engine.logs import start_logging, stop_logging
from engine.paths import app_paths
from engine.samples import sample_articles
from engine.settings import Settings
from tests.desktop.conftest import seed_history


@pytest.fixture
def paths():
    return app_paths().ensure()


def test_llama_build_is_asked_in_a_subprocess_and_matches_the_library(monkeypatch):
    build = llama_build()
    assert build.problem == ""
    assert build.version == llama_cpp.__version__
    kernels = backends.ensure_loaded()  # this process now runs the kernels the probe picked
    assert build.kernels == kernels.describe()
    assert build.system_info == llama_cpp.llama_print_system_info().decode().strip()
    assert build.gpu_offload == bool(llama_cpp.llama_supports_gpu_offload())
    assert any(d.kind == "CPU" and d.total_bytes > 0 for d in build.devices)


def test_report_holds_versions_build_folders_database_and_settings(paths):
    seed_history(4)
    (paths.models / "tiny-test.gguf").write_bytes(b"GGUF" + bytes(2044))
    settings = Settings().with_value("inference.device", "cpu").with_value("inference.threads", 2)
    info = ModelInfo(str(paths.models / "tiny-test.gguf"), 2048, 270_000_000, "gemma3", False, -1, 0.42)
    report = collect(paths, settings, qt_version="6.12.0", active_model="Tiny test", loaded=info).report()
    assert f"Python: {platform.python_implementation()} {platform.python_version()}" in report
    assert "Qt: 6.12.0" in report
    assert (
        f"Version: {llama_cpp.__version__}" in report
        and "Features in use: CPU :" in report
        and "CPU kernels: " in report
    )
    assert "GPU offload: " in report
    assert "tiny-test.gguf (2.0 KiB)" in report and " free)" in report
    assert "all layers on the GPU" in report and "loaded in 0.42 s" in report
    assert "integrity ok" in report and "4 riddles, 4 articles" in report
    assert "inference.device = cpu" in report and "inference.threads = 2" in report
    assert "Last errors" in report


def test_report_has_no_feed_contents_or_personal_paths(paths, monkeypatch):
    seed_history(5)
    start_logging(paths.logs, "info", console=False)
    try:
        title = sample_articles()[0].title
        logging.getLogger("engine.feeds").error(
            "feed https://secret.example.org/me.rss failed for '%s'", title
        )
        logging.getLogger("engine.x").error("cannot open %s", Path.home() / "private" / "file.gguf")
    finally:
        stop_logging()
    settings = Settings().with_value("privacy.hub_endpoint", "https://mirror.example.net")
    report = collect(paths, settings).report()
    assert "ERROR engine.feeds: feed <link> failed for '…'" in report
    assert "cannot open ~" in report and str(Path.home()) + os.sep not in report
    assert title not in report and "secret.example.org" not in report and "mirror.example.net" not in report
    for article in sample_articles()[:5]:
        assert article.title not in report and article.link not in report
    assert "privacy.hub_endpoint = custom" in report
    assert "storage.data_folder" not in report


def test_a_damaged_database_is_reported_as_a_sentence_not_a_crash(paths):
    paths.database.write_bytes(b"this is not a database" * 100)
    report = collect(paths, Settings()).report()
    assert "cannot be opened" in report


def test_scrub_blanks_links_and_quotes_but_keeps_the_shape():
    assert scrub('GET "https://a.b/c?x=1" gave 404 for http://q.r') == "GET '…' gave 404 for <link>"
