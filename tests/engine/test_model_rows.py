"""The model rows the Models page and `riddlewire models list` share: states from the registry and
the partial downloads on disk, fit verdicts from the machine."""

from __future__ import annotations

from engine.catalog import load_catalog
from engine.downloads import HubFile, partial_path
from engine.hardware import Machine
from engine.model_registry import catalog_key
from engine.model_rows import INSTALLED_STATES, rows_on_disk
from engine.paths import app_paths

MACHINE = Machine(
    ram_total=16 * 10**9,
    ram_available=12 * 10**9,
    disk_free=500 * 10**9,
    cpu_count=4,
    cpu_features=("avx2",),
    gpu=None,
    gpu_offload=False,
)


def test_rows_show_the_active_starter_a_paused_download_and_the_rest_available():
    paths = app_paths().ensure()
    catalog = load_catalog()
    spec = next(s for s in catalog.entries if not s.bundled)
    file = spec.files[0]
    part = partial_path(HubFile.from_catalog(spec, file), paths.models)
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(b"x" * 12345)
    rows = {row.key: row for row in rows_on_disk(catalog, paths, MACHINE)}
    assert len(rows) == sum(len(s.files) for s in catalog.entries)
    assert [row.state for row in rows.values() if row.state in INSTALLED_STATES] == ["active"]
    assert rows[catalog_key(catalog.bundled, catalog.bundled.file())].state == "active"
    paused = rows[catalog_key(spec, file)]
    assert (paused.state, paused.done, paused.total) == ("paused", 12345, file.size_bytes)
    assert paused.source == HubFile.from_catalog(spec, file)
    assert {row.state for key, row in rows.items() if key not in (paused.key,)} <= {"active", "available"}
    assert all(row.fit is not None for row in rows.values())
