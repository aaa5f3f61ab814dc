"""Fine-tuning export: liked and solved riddles plus the examples, deduplicated, split, both JSONL formats
checked; the check refuses malformed records with a sentence."""

import json
from datetime import UTC, datetime

import pytest

from engine.cli import main
from engine.datasets import DatasetError, check_file, check_record, export, split
from engine.paths import app_paths
from engine.prompts import load_examples
from engine.riddles import Provenance, Riddle
from engine.samples import sample_articles
from engine.store import Store


def _history() -> Store:
    store = Store(app_paths().ensure().database)
    articles = store.save_articles(sample_articles()[:4])
    prov = Provenance(
        "m.gguf", "", "tiny", "few-shot", "{}", 1, 1, 1.0, 0.1, 1.0, datetime.now(UTC).isoformat()
    )
    ids = [
        store.save_riddle(a, Riddle(f"I hide in story {i}.", f"thing{i}", ("one hint", "two hints")), prov).id
        for i, a in enumerate(articles)
    ]
    # a second riddle for the first article: the same headline must not appear twice
    ids.append(
        store.save_riddle(articles[0], Riddle("Another guess at story 0.", "other", ("a", "b")), prov).id
    )
    store.db.execute("UPDATE riddles SET rating = 1 WHERE id IN (?, ?)", [ids[0], ids[4]])
    store.set_status(ids[1], "solved")
    store.db.execute("UPDATE riddles SET rating = -1 WHERE id = ?", [ids[2]])  # disliked: left out
    store.db.conn.commit()
    return store


def test_export_writes_both_formats_deduplicated_split_and_valid(tmp_path):
    store = _history()
    result = export(store, tmp_path / "set", validation=0.25, seed=1)
    examples = load_examples()
    assert result.from_history == 2  # article 0 (liked twice, kept once) and article 1 (solved)
    assert result.train + result.validation == len(examples) + 2
    assert result.validation == round((len(examples) + 2) * 0.25)
    train = [
        json.loads(line) for line in (tmp_path / "set" / "train-completion.jsonl").read_text().splitlines()
    ]
    held = [
        json.loads(line)
        for line in (tmp_path / "set" / "validation-completion.jsonl").read_text().splitlines()
    ]
    prompts = [r["prompt"] for r in train + held]
    assert len(prompts) == len(set(prompts))  # no headline in both sets, none twice
    assert any("thing1" in r["completion"] for r in train + held)
    assert not any("thing2" in r["completion"] for r in train + held)
    for path in result.files:
        assert check_file(path, "messages" if "messages" in path.name else "completion") > 0
    chat = json.loads((tmp_path / "set" / "train-messages.jsonl").read_text().splitlines()[0])
    assert [m["role"] for m in chat["messages"]] == ["system", "user", "assistant"]
    assert chat["messages"][2]["content"].startswith("Answer: ")


def test_split_is_stable_when_examples_are_added():
    examples = load_examples()
    train, held = split(examples[:10], 0.2, seed=5)
    train2, held2 = split(examples, 0.2, seed=5)
    assert len(held) == 2 and set(e.title for e in train) | set(e.title for e in held) == {
        e.title for e in examples[:10]
    }
    moved = {e.title for e in held} - {e.title for e in held2}
    assert len(moved) <= 1  # the cut-off moves a little, old examples mostly stay put


@pytest.mark.parametrize(
    "record, fmt",
    [
        ({"prompt": "News: x.\nRiddle:", "completion": " I glow.\nAnswer: lamp"}, "completion"),  # no hints
        ({"prompt": "x", "completion": " I glow.\nAnswer: lamp\nHint 1: a\nHint 2: b"}, "completion"),
        ({"messages": [{"role": "user", "content": "News: x"}]}, "messages"),
        (
            {
                "messages": [
                    {"role": "system", "content": "s"},
                    {"role": "user", "content": ""},
                    {"role": "assistant", "content": "Riddle: a\nAnswer: b\nHint 1: c\nHint 2: d"},
                ]
            },
            "messages",
        ),
    ],
)
def test_malformed_records_are_refused(record, fmt, tmp_path):
    with pytest.raises(Exception):  # noqa: B017 - each case fails in its own way
        check_record(record, fmt)
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(record) + "\n")
    with pytest.raises(DatasetError, match="Line 1 of bad.jsonl"):
        check_file(path, fmt)


def test_the_cli_exports_and_checks(tmp_path, capsys):
    _history().close()
    assert main(["dataset", "export", "--out", str(tmp_path / "out")]) == 0
    assert "2 from your history" in capsys.readouterr().out
    assert (
        main(["dataset", "check", str(tmp_path / "out" / "train-messages.jsonl"), "--format", "messages"])
        == 0
    )
    assert "all valid" in capsys.readouterr().out
    assert main(["dataset", "check", str(tmp_path / "missing.jsonl"), "--format", "messages"]) == 1
    assert "cannot be read" in capsys.readouterr().err
