"""`simulate run`'s total "needs X for no stalls" is the most any layer needs, not the run's average.

The bug: BERT-base (seq 128) on a 16x16 output-stationary design at 12.8 GB/s printed "needs 10.8 GB/s for no
stalls" (all DRAM bytes over all compute time) while mlp.down alone needs 20.8 GB/s and stalled 9.0M cycles at
12.8 GB/s: layers run one after another, so one layer's shortfall is not paid back by the others' slack."""
import json
from pathlib import Path

import pytest
from conftest import SMALL_DESIGN_TOML, run_main

DESIGN = SMALL_DESIGN_TOML


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], bandwidth: str) -> dict:
    design = tmp_path / "d.toml"
    design.write_text(DESIGN.replace("12.8e9", bandwidth))
    code, out, err = run_main(["simulate", "run", "-d", str(design), "-m", "bert-base", "--seq-len", "128",
                               "--json"], capsys)
    assert code == 0, err
    return json.loads(out)


def test_total_bandwidth_needed_is_the_most_any_layer_needs(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    doc = _run(tmp_path, capsys, "12.8e9")
    per_layer = [row["bandwidth_needed_byte_per_s"] for row in doc["layers"]]
    assert doc["totals"]["bandwidth_needed_byte_per_s"] == pytest.approx(max(per_layer))
    # the case the bug hid: the design's 12.8 GB/s is above the old average (10.8) yet a layer stalls on it
    assert doc["totals"]["bandwidth_needed_byte_per_s"] > 12.8e9


def test_at_the_needed_bandwidth_only_the_first_fill_stalls(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # at the printed bandwidth every layer's transfers hide behind its compute: what stalls is each layer's first
    # tile fill (2 cycles here) and no more, while the old figure left mlp.down stalling for millions of cycles
    need = _run(tmp_path, capsys, "12.8e9")["totals"]["bandwidth_needed_byte_per_s"]
    doc = _run(tmp_path, capsys, f"{need * 1.0001!r}")
    assert max(row["stall_cycles"] for row in doc["layers"]) < 1e-3 * min(row["compute_cycles"]
                                                                           for row in doc["layers"])
