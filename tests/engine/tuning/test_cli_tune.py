"""`riddlewire tune` for distillation: the data listing counts distilled riddles (or leaves them out
on request) and an unusable teacher is refused with a sentence, not a traceback."""

from engine.cli import main as cli_main
from engine.paths import app_paths
from engine.tuning.data import TrainingExample
from engine.tuning.distill import Teacher, save_distilled


def test_data_counts_saved_distilled_riddles_unless_left_out(capsys, tmp_path):
    paths = app_paths().ensure()
    riddle = TrainingExample(
        "Orchard harvest breaks records",
        "Apples everywhere.",
        "I fall in autumn and keep doctors away.",
        "apple",
        ("It grows on trees", "Newton met one"),
        "easy",
        "distilled",
    )
    save_distilled(paths, [riddle], Teacher("bigger model", "import:abc"))
    assert cli_main(["tune", "data", "--export", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1 distilled" in out and "shipped" in out
    exported = (tmp_path / "train-completion.jsonl").read_text() + (
        tmp_path / "validation-completion.jsonl"
    ).read_text()
    assert "doctors away" in exported
    assert cli_main(["tune", "data", "--no-distilled"]) == 0
    assert "distilled" not in capsys.readouterr().out


def test_a_teacher_that_is_not_installed_is_refused_with_a_sentence(capsys):
    assert cli_main(["tune", "distill", "--teacher", "no-such-model"]) == 1
    err = capsys.readouterr().err
    assert '"no-such-model" cannot teach' in err and "Traceback" not in err
