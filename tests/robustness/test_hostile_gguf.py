"""Hostile GGUF files, generated here: a real file cut at every header boundary, hand-built headers
that lie about counts and lengths, random header damage (hypothesis), files whose header is fine but
whose weights or offsets are not, and chat templates that try to escape their sandbox or never end.
Each must end in a sentence, quickly, without memory growth, and the window must stay responsive."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.active_model import import_checked
from engine.errors import EngineError, GenerationError, ModelError
from engine.gguf_file import read_header
from engine.inference.chat_template import ChatTemplate
from engine.inference.local import LocalSettings
from engine.model_registry import load as load_registry
from engine.paths import app_paths
from tests.desktop.conftest import make_window  # noqa: F401 - the fixture, for the GUI check
from tests.robustness.expect import assert_sentence, bounded, python_memory
from tests.robustness.scorecard import SOAK, scaled, tally, worst
from tests.robustness.stalls import StallMeter
from tests.support.gguf_corpus import field_map, hostile_headers
from tests.support.synthetic_gguf import write_scripted_model

SUITE = "Hostile GGUF"
QUICK = LocalSettings(n_ctx=512, idle_unload_s=None, load_timeout_s=60)


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = write_scripted_model(
        tmp_path_factory.mktemp("gguf") / "whole.gguf", chat_template="{{ messages }}"
    )
    return path.read_bytes()


def refused(path: Path) -> str:
    with pytest.raises(ModelError) as caught, bounded(SUITE, "header refused", 1.0):
        read_header(path)
    assert_sentence(caught.value.sentence)
    assert path.name in caught.value.sentence
    return caught.value.sentence


def test_a_real_file_cut_at_every_header_boundary_is_refused(tmp_path: Path, model_bytes: bytes):
    fields = field_map(model_bytes)
    cuts = list(fields.boundaries[:-1])
    if scaled(1) > 1:  # soak: also every byte inside the first fields, and one byte past each boundary
        cuts += list(range(1, 200)) + [c + 1 for c in fields.boundaries[:-1]]
    path = tmp_path / "cut.gguf"
    with python_memory(SUITE, "reading every cut header", 8):
        for cut in cuts:
            path.write_bytes(model_bytes[:cut])
            refused(path)
            tally(SUITE, inputs=1)
    assert len(cuts) > 1000  # every KV, token and tensor field of the real file


@pytest.mark.parametrize("name", sorted(hostile_headers()))
def test_a_header_that_lies_is_refused_in_words(tmp_path: Path, name: str):
    path = tmp_path / "lying.gguf"
    path.write_bytes(hostile_headers()[name])
    with python_memory(SUITE, "reading a lying header", 8):
        refused(path)
    tally(SUITE, inputs=1)


@settings(
    max_examples=scaled(150),
    derandomize=not SOAK,
    deadline=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(damage=st.lists(st.tuples(st.integers(0, 7615), st.integers(0, 255)), min_size=1, max_size=12))
def test_random_header_damage_is_read_or_refused_never_anything_else(
    tmp_path: Path, model_bytes: bytes, damage: list[tuple[int, int]]
):
    data = bytearray(model_bytes[: field_map(model_bytes).data_start + 64])
    for at, value in damage:
        data[at] = value
    path = tmp_path / "damaged.gguf"
    path.write_bytes(bytes(data))
    tally(SUITE, inputs=1)
    try:
        with bounded(SUITE, "damaged header read", 1.0):
            header = read_header(path)
    except ModelError as error:
        assert_sentence(error.sentence)
    else:
        assert header.tensor_count <= 65_536 and header.kv_count <= 4_096


def damaged_models(model_bytes: bytes) -> dict[str, bytes]:
    """Headers the bounded reader accepts, with weights or offsets that are wrong."""
    fields, rng = field_map(model_bytes), np.random.default_rng(9)
    data_len = len(model_bytes) - fields.data_start
    garbage = bytearray(model_bytes)
    garbage[fields.data_start :] = rng.bytes(data_len)
    nan = bytearray(model_bytes)
    nan[fields.data_start :] = b"\xff" * data_len
    past_end = bytearray(model_bytes)
    struct.pack_into("<Q", past_end, fields.tensor_offset_fields[0], data_len - 4)
    misaligned = bytearray(model_bytes)
    struct.pack_into("<Q", misaligned, fields.tensor_offset_fields[1], 3)
    return {
        "garbage weights": bytes(garbage),
        "NaN weights": bytes(nan),
        "tensor past the end": bytes(past_end),
        "misaligned tensor": bytes(misaligned),
    }


@pytest.mark.parametrize(
    "name", ["garbage weights", "NaN weights", "tensor past the end", "misaligned tensor"]
)
def test_a_good_header_over_bad_weights_ends_in_words_through_llama_cpp(
    tmp_path: Path, model_bytes: bytes, riddlewire_home: Path, name: str
):
    """The import path a user takes: bounded header check, then llama.cpp in the worker, then one
    test riddle. Nothing broken is registered."""
    path = tmp_path / "damaged.gguf"
    path.write_bytes(damaged_models(model_bytes)[name])
    read_header(path)  # the header really is fine: what follows is llama.cpp's problem
    paths = app_paths().ensure()
    tally(SUITE, inputs=1)
    with bounded(SUITE, "damaged weights to a sentence", 60):
        try:
            model, smoke = import_checked(paths, path, QUICK)
        except (ModelError, GenerationError) as error:
            assert_sentence(error.sentence)
            assert all(m.path != str(path) for m in load_registry(paths).models)
            return
    # llama.cpp cannot know weights are noise: it loads, and the test riddle says it failed.
    assert smoke.problem and not smoke.riddle, f"{name}: a riddle from noise? {smoke}"
    assert_sentence(smoke.problem)


ESCAPES = {
    "class walk": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "globals": "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "self": "{{ self._TemplateReference__context.joiner.__init__.__globals__.os.system('touch MARKER') }}",
    "format": "{{ '{0.__class__.__base__.__subclasses__}'.format('') }}",
    "memory bomb": "{{ 'x' * 10000000000 }}",
    "power bomb": "{{ 10 ** 100000000 }}",
    "endless loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "huge output": "{% for i in range(100000) %}{{ 'abcdefghij' }}{% endfor %}",
}


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_a_hostile_chat_template_runs_nothing_and_says_why(tmp_path: Path, monkeypatch, name: str):
    monkeypatch.chdir(tmp_path)
    source = ESCAPES[name].replace("MARKER", str(tmp_path / "escaped"))
    tally(SUITE, inputs=1)
    with (
        pytest.raises(ModelError) as caught,
        bounded(SUITE, "hostile template refused", 4.0),
        python_memory(SUITE, "hostile template", 64),
    ):
        ChatTemplate(source).render([{"role": "user", "content": "Riddle this."}])
    assert_sentence(caught.value.sentence)
    assert "few-shot" in caught.value.sentence
    assert not (tmp_path / "escaped").exists()


def test_a_model_whose_template_escapes_is_not_imported(tmp_path: Path, riddlewire_home: Path):
    """The whole way: a real model carrying the hostile template is imported as instruct, so its
    template is rendered for the test riddle; the import is refused in words and nothing runs."""
    marker = tmp_path / "escaped"
    template = ESCAPES["globals"].replace("MARKER", str(marker))
    path = write_scripted_model(tmp_path / "escape.gguf", chat_template=template)
    tally(SUITE, inputs=1)
    with pytest.raises(EngineError) as caught, bounded(SUITE, "escaping model refused", 60):
        import_checked(app_paths().ensure(), path, QUICK)
    assert "sandbox" in caught.value.sentence
    assert_sentence(caught.value.sentence)
    assert not marker.exists()


def test_the_window_stays_alive_while_hostile_files_are_imported(
    make_window,  # noqa: F811
    qtbot,
    tmp_path: Path,
    model_bytes: bytes,
    scripted_gguf: Path,
):
    window = make_window(scripted_gguf)
    page = window.page("models")
    qtbot.waitUntil(lambda: page.loaded, timeout=15_000)
    corpus = {
        **{f"h{i}.gguf": data for i, data in enumerate(hostile_headers().values())},
        "noise.gguf": damaged_models(model_bytes)["tensor past the end"],
    }
    meter = StallMeter().start()
    for name, data in corpus.items():
        path = tmp_path / name
        path.write_bytes(data)
        page.import_file(path)
        qtbot.waitUntil(lambda: not page.status.text().startswith("Checking"), timeout=60_000)
        assert_sentence(page.status.text())
        assert "Imported" not in page.status.text()
        tally(SUITE, inputs=1)
    stall = meter.stop()
    worst(SUITE, "UI stall while importing (ms)", stall)
    assert meter.ticks > 10 and stall < 250, f"the window froze for {stall:.0f} ms"
    assert page.installed.rowCount() == 1  # only the bundled starter: nothing hostile was registered
