"""The shipped catalog: enough sizes, families and variants, files that make sense, and a loader that
refuses a broken catalog with a sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.catalog import CATALOG_FILE, DEFAULT_QUANT, TIERS, load_catalog
from engine.errors import ModelError
from engine.starter import FILENAME, SHA256, SIZE_BYTES


def test_catalog_covers_four_tiers_two_families_and_both_variants():
    catalog = load_catalog()
    assert {spec.tier for spec in catalog.entries} == set(TIERS)
    assert len({spec.family for spec in catalog.entries}) >= 2
    families_with_both = {
        spec.family
        for spec in catalog.entries
        if {s.variant for s in catalog.entries if s.family == spec.family} == {"base", "instruct"}
    }
    assert len(families_with_both) >= 2
    assert len(catalog.entries) >= 8


def test_every_entry_is_complete_and_ids_are_unique():
    catalog = load_catalog()
    assert len({spec.id for spec in catalog.entries}) == len(catalog.entries)
    for spec in catalog.entries:
        assert (
            spec.name and spec.family and spec.license and spec.params_b > 0 and spec.context_length >= 2048
        )
        assert spec.shape.layers > 0 and spec.shape.kv_heads > 0 and spec.shape.head_dim > 0
        assert spec.bundled or "/" in spec.repo_id, spec.id
        for file in spec.files:
            assert file.filename.endswith(".gguf") and file.size_bytes > 10_000_000
            assert file.sha256 is None or len(file.sha256) == 64


def test_bundled_entry_is_the_starter_model():
    bundled = load_catalog().bundled
    file = bundled.file()
    assert (file.filename, file.sha256, file.size_bytes) == (FILENAME, SHA256, SIZE_BYTES)
    assert bundled.tier == "tiny" and bundled.variant == "base"


def test_quant_choice_defaults_to_q4_k_m_and_names_what_is_offered():
    spec = load_catalog().get("gemma-3-1b-instruct")
    assert spec.file().quant == DEFAULT_QUANT
    assert spec.file("Q8_0").filename.endswith("Q8_0.gguf")
    with pytest.raises(ModelError, match="Q4_K_M, Q8_0"):
        spec.file("IQ2_XS")
    only_q8 = load_catalog().get("gemma-3-270m-instruct")
    assert only_q8.file().quant == "Q8_0"  # no Q4_K_M there: the first offered


def test_unknown_model_id_is_a_sentence():
    with pytest.raises(ModelError, match="no model called"):
        load_catalog().get("gpt-17")


def test_find_file_maps_a_filename_back_to_its_entry():
    spec, file = load_catalog().find_file("qwen2.5-1.5b-instruct-q4_k_m.gguf")
    assert spec.id == "qwen2.5-1.5b-instruct" and file.quant == "Q4_K_M"
    assert load_catalog().find_file("nope.gguf") is None


@pytest.mark.parametrize("damage", ["not json", "tier", "sha", "duplicate"])
def test_a_broken_catalog_is_refused_with_a_sentence(tmp_path: Path, damage: str):
    raw = json.loads(CATALOG_FILE.read_text())
    if damage == "tier":
        raw["models"][0]["tier"] = "gigantic"
    elif damage == "sha":
        raw["models"][0]["files"][0]["sha256"] = "xyz"
    elif damage == "duplicate":
        raw["models"].append(raw["models"][0])
    path = tmp_path / "catalog.json"
    path.write_text("{" if damage == "not json" else json.dumps(raw))
    with pytest.raises(ModelError, match="catalog"):
        load_catalog(path)
