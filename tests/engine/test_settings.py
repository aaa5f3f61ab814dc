import re
import tomllib

import pytest

from engine.inference import Sampling
from engine.paths import app_paths
from engine.settings import (
    BY_KEY,
    SECTIONS,
    SETTINGS,
    Settings,
    downloads_allowed,
    load_settings,
    local_settings,
    news_allowed,
    sampling,
    save_settings,
    with_data_folder,
)


@pytest.fixture
def settings_file():
    return app_paths().ensure().settings_file


def test_every_setting_explains_itself_and_has_a_valid_default():
    assert len(SETTINGS) == len(BY_KEY), "keys are unique"
    for setting in SETTINGS:
        assert setting.section in SECTIONS or not setting.visible or setting.section == "state", setting.key
        assert setting.title and setting.explanation.endswith("."), setting.key
        assert "\n" not in setting.explanation and len(setting.explanation) < 160, setting.key
        assert setting.check(setting.default) == setting.default


def test_the_issue_s_settings_all_exist():
    wanted = [
        "model.pipeline",
        "inference.device",
        "inference.threads",
        "inference.context_length",
        "sampling.temperature",
        "sampling.top_p",
        "sampling.max_tokens",
        "sampling.seed",
        "news.refresh_every_minutes",
        "privacy.network",
        "storage.data_folder",
        "appearance.theme",
        "appearance.text_size",
        "appearance.language",
        "diagnostics.log_level",
    ]
    assert set(wanted) <= set(BY_KEY)


def test_missing_file_gives_defaults_without_a_notice(settings_file):
    settings = load_settings(settings_file)
    assert settings.notice == ""
    assert settings["inference.device"] == "auto" and settings["appearance.theme"] == "system"


def test_round_trip_keeps_changes_and_writes_only_what_differs(settings_file):
    changed = (
        Settings()
        .with_value("inference.device", "cpu")
        .with_value("sampling.temperature", 1.2)
        .with_value("news.refresh_on_start", False)
        .with_value("storage.data_folder", "/tmp/x y")
    )
    save_settings(changed, settings_file)
    document = tomllib.loads(settings_file.read_text())
    assert document == {
        "inference": {"device": "cpu"},
        "sampling": {"temperature": 1.2},
        "news": {"refresh_on_start": False},
        "storage": {"data_folder": "/tmp/x y"},
    }
    again = load_settings(settings_file)
    assert again.values == changed.values and again.notice == ""
    assert not again.is_default("inference.device")
    assert again.reset("inference.device")["inference.device"] == "auto"


def test_a_damaged_file_falls_back_to_defaults_with_a_notice_and_is_kept(settings_file):
    settings_file.write_text("[inference\ndevice = = 'gpu'\n")
    settings = load_settings(settings_file)
    assert settings.values == Settings().values
    assert "damaged" in settings.notice and "default" in settings.notice
    kept = settings_file.with_name("settings.toml.damaged")
    assert kept.read_text().startswith("[inference") and str(kept) in settings.notice
    # Saving afterwards writes a good file and leaves the damaged copy alone.
    save_settings(settings.with_value("appearance.theme", "dark"), settings_file)
    assert load_settings(settings_file)["appearance.theme"] == "dark"
    assert kept.exists()


def test_binary_garbage_is_a_damaged_file_too(settings_file):
    settings_file.write_bytes(b"\xff\xfe\x00garbage")
    assert "damaged" in load_settings(settings_file).notice


def test_a_bad_value_falls_back_for_that_setting_only(settings_file):
    settings_file.write_text(
        '[inference]\ndevice = "quantum"\nthreads = 4\n[sampling]\ntemperature = "hot"\n'
    )
    settings = load_settings(settings_file)
    assert settings["inference.device"] == "auto" and settings["sampling.temperature"] == 0.7
    assert settings["inference.threads"] == 4
    assert "Device must be one of auto, gpu, cpu" in settings.notice
    assert "a number" in settings.notice


def test_unknown_keys_from_a_newer_version_survive_a_save(settings_file):
    settings_file.write_text("[future]\nfeature = 3\n[inference]\nthreads = 2\n")
    settings = load_settings(settings_file)
    save_settings(settings.with_value("appearance.text_size", 120), settings_file)
    document = tomllib.loads(settings_file.read_text())
    assert document["future"] == {"feature": 3} and document["inference"]["threads"] == 2


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("inference.threads", -1),
        ("inference.threads", 2.5),
        ("appearance.theme", "pink"),
        ("news.refresh_on_start", 1),
        ("sampling.top_p", 0.0),
    ],
)
def test_with_value_refuses_what_is_not_allowed_with_a_sentence(key, value):
    with pytest.raises(ValueError, match=re.escape(BY_KEY[key].title)):
        Settings().with_value(key, value)


def test_integers_are_accepted_for_number_settings():
    assert Settings().with_value("sampling.temperature", 1)["sampling.temperature"] == 1.0


def test_settings_become_the_engine_s_local_settings_and_sampling():
    base = Settings().with_value("inference.threads", 3).with_value("inference.context_length", 4096)
    cpu = local_settings(base.with_value("inference.device", "cpu"), gpu_offload=True)
    assert (cpu.n_gpu_layers, cpu.n_threads, cpu.n_ctx, cpu.idle_unload_s) == (0, 3, 4096, 600.0)
    assert local_settings(base, gpu_offload=True).n_gpu_layers == -1
    assert local_settings(base, gpu_offload=False).n_gpu_layers == 0
    assert local_settings(base.with_value("inference.device", "gpu"), gpu_offload=False).n_gpu_layers == -1
    assert (
        local_settings(Settings().with_value("inference.idle_unload_minutes", 0), False).idle_unload_s is None
    )
    assert local_settings(Settings(), False).n_threads is None
    s = sampling(Settings().with_value("sampling.seed", 7).with_value("sampling.max_tokens", 64))
    assert (s.seed, s.max_tokens, s.temperature) == (7, 64, 0.7)
    assert sampling(Settings()).seed is None
    base = Sampling(stop=("\n\n",), temperature=0.1)
    assert sampling(Settings(), base).stop == ("\n\n",) and sampling(Settings(), base).temperature == 0.7


def test_network_privacy_levels():
    assert downloads_allowed(Settings()) and news_allowed(Settings())
    news_only = Settings().with_value("privacy.network", "news-only")
    assert not downloads_allowed(news_only) and news_allowed(news_only)
    assert not news_allowed(Settings().with_value("privacy.network", "offline"))


def test_a_chosen_data_folder_moves_history_and_models_only(tmp_path):
    paths = app_paths()
    moved = with_data_folder(paths, Settings().with_value("storage.data_folder", str(tmp_path / "elsewhere")))
    assert moved.database == tmp_path / "elsewhere" / "history.sqlite3"
    assert moved.models == tmp_path / "elsewhere" / "models"
    assert (moved.config, moved.logs) == (paths.config, paths.logs)
    assert with_data_folder(paths, Settings()) == paths


def test_the_sampling_defaults_have_one_home():
    """Settings show Sampling()'s defaults, and the user's untouched settings give Sampling() back."""
    home = Sampling()
    shown = {key: BY_KEY[f"sampling.{key}"].default for key in ("temperature", "top_p", "max_tokens")}
    assert shown == {"temperature": home.temperature, "top_p": home.top_p, "max_tokens": home.max_tokens}
    assert sampling(Settings()) == home


def test_no_engine_file_repeats_the_sampling_numbers():
    """0.7 / 0.95 / 120 / min-p 0.05 written again beside a sampling name is a second home that drifts."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "engine"
    repeated = re.compile(
        r"""(temperature["']?\s*[,=:]\s*0\.7\b|top_p["']?\s*[,=:]\s*0\.95\b|max_tokens["']?\s*[,=:]\s*120\b|min_p\w*["']?\s*[,=:(]\s*0\.05\b)"""
    )
    found = [
        f"{path.relative_to(root.parent)}:{n}: {line.strip()}"
        for path in root.rglob("*.py")
        if path != root / "inference" / "__init__.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if repeated.search(line)
    ]
    assert not found, found
