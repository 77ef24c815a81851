"""MaxText's megablox grouped matmul as the routed experts' GEMM path (issue 10, moerows, 2026-12-04): plan / plan
explain --moe-grouped-mlp megablox, runs-file cell moe_grouped_mlp megablox, compute.megablox_gmm_s.

MaxText's MoE layer with sparse_matmul and megablox true (base.yml's defaults; the tpu-recipes MoE scripts keep or set
them) runs each expert GEMM as ONE Pallas kernel over the expert-sorted token rows (AI-Hypercomputer/maxtext
MaxText/layers/moe.py, RoutedMoE.sparse_matmul: mblx.gmm(..., tiling=(min(tile_size[0], m), ...))), whose grid walks
512-row tiles (base.yml wi_/wo_tile_*_batch_seq 512 at 003b416) and computes a tile once for every group with rows in
it (MaxText/kernels/megablox/gmm.py at 01164e1, make_group_metadata: 'tiles_m <= group_tiles.sum() <= tiles_m +
num_groups - 1'). Before, the model priced these rows as Transformer Engine's per-expert cuBLASLt loop (the only path
it had). Every test here fails before the change: the function, the value and the cells are new.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import explain_doc, run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict import compute
from accelopt.predict.calibration import calibration_for
from accelopt.predict.compute import MEGABLOX_TILE_ROWS, Device, megablox_gmm_s, roofline_s
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, reproduce, run_query

ROWS = {r["id"]: r for r in read_runs()}

# id -> (local experts, routed rows per expert per chip, the step before (blank cell: te), the step now, error now %)
MEGABLOX_ROWS: dict[str, tuple[int, int, str, str, str]] = {
    # 2026-12-05 (rtpuaxis): TPU collectives on their mesh axes' ICI links and the v5p rule re-run 0.80 -> 0.88; before:
    # dsv3 +40.4% (127.3 s) / 71.93 / -20.7, maverick +18.8% (29.45 s) / 17.62 / -28.9, scout +6.4% (33.67 s) / 31.64 /
    # -0.1, mixtral -4.9% (48.23 s) / 47.72 / -5.9
    # 2026-12-05 (rmegablox: compute.megablox_width_eff, tests/test_megablox_width.py): dsv3 65.65 / -27.6 -> 86.82 /
    # -4.2, maverick 18.62 / -24.9 -> 21.02 / -15.2, scout 28.90 / -8.7 -> 30.53 / -3.5 (mixtral, 14336 wide: unmoved)
    "maxtext-v5p-dsv3-671b-512": (256, 1536, "+28.0% (116 s)", "86.82", "-4.2"),
    "maxtext-v5p-llama4-maverick-128": (128, 1024, "+18.6% (29.39 s)", "21.02", "-15.2"),
    "maxtext-v5p-llama4-scout-512": (16, 4096, "-2.8% (30.75 s)", "30.53", "-3.5"),
    "maxtext-v5p-mixtral-8x7b-256": (8, 36864, "-13.0% (44.09 s)", "43.63", "-13.9"),
}
# the notes' figures recomputed below (tests/test_row_notes_checked.py RECOMPUTED_BY); Maverick's is UNEXPLAINED there
RECOMPUTED_IDS = frozenset(MEGABLOX_ROWS)


def _v5p() -> Device:
    spec = get_device("tpu-v5p")
    return Device(peak_flop_per_s=spec.peak("bf16"), bw_byte_per_s=spec.memory_bandwidth_byte_per_s,
                  cal=calibration_for(spec))


def test_tile_rows_from_maxtext_base_yml() -> None:
    assert MEGABLOX_TILE_ROWS == 512


def test_megablox_gmm_by_hand() -> None:
    """DeepSeek-V3's routed up projection on one v5p chip of the recipe (FSDP, ep 1): 6 x 8192 tokens x top-8 =
    393,216 routed rows over 256 experts, 1536 each = 768 tiles of 512; each of the 255 later groups starts inside a
    tile with probability 511/512: 768 + 255 x 511 / 512 tiles, 523,521 rows computed ([rows, 7168] x [7168, 2048]),
    1.33x the routed rows, one kernel reading all 256 experts' weights."""
    dev = _v5p()
    m, n, k, g = 1536.0, 2048.0, 7168.0, 256.0
    tiled_rows = 768 * 512 + 255 * 511
    assert tiled_rows == 523521 and round(tiled_rows / (m * g), 3) == 1.331
    n_bytes = (tiled_rows * k + g * k * n + tiled_rows * n) * 2.0
    t, f = megablox_gmm_s(m, n, k, 2.0, dev, g)
    assert float(f) == 2.0 * m * n * k * g  # the routed rows' FLOPs, not the tiles'
    assert float(t) == pytest.approx(float(roofline_s(2.0 * tiled_rows * n * k, n_bytes, dev)), rel=1e-12)


@pytest.mark.parametrize(("m", "groups", "tiled_rows"), [
    (4096.0, 1.0, 4096.0),  # one group: no straddled tile
    (100.0, 1.0, 100.0),  # fewer rows than a tile: MaxText caps the tile at m
    (64.0, 16.0, 1024.0 + 15 * 511 / 512 * 512),  # 16 groups of 64 rows in 2 tiles: nearly one visit per group
])
def test_tile_count_bounds(m: float, groups: float, tiled_rows: float) -> None:
    """make_group_metadata's bound: tiles_m <= visits <= tiles_m + groups - 1 (tiles of min(512, rows))."""
    dev = _v5p()
    n, k = 1024.0, 1024.0
    t, _ = megablox_gmm_s(m, n, k, 2.0, dev, groups)
    n_bytes = (tiled_rows * k + groups * k * n + tiled_rows * n) * 2.0
    assert float(t) == pytest.approx(float(roofline_s(2.0 * tiled_rows * n * k, n_bytes, dev)), rel=1e-12)
    tm = min(512.0, m * groups)
    assert m * groups <= tiled_rows <= (-(-m * groups // tm) + groups - 1) * tm


def test_no_per_expert_floor_or_launches() -> None:
    """One kernel: the family's expert_gemm_floor_s and per-kernel overhead are paid once, not per expert."""
    dev = _v5p()
    floored = Device(peak_flop_per_s=dev.peak_flop_per_s, bw_byte_per_s=dev.bw_byte_per_s,
                     cal=dev.cal.__class__(**{**dev.cal.__dict__, "expert_gemm_floor_s": 1e-3}))
    args = (1536.0, 2048.0, 7168.0, 2.0)
    assert float(megablox_gmm_s(*args, floored, 256.0)[0]) == float(megablox_gmm_s(*args, dev, 256.0)[0])
    assert float(compute.grouped_gemm_s(*args, floored, 256.0)[0]) >= 256 * 1e-3


def _step_s(row: dict[str, str]) -> float:
    return float(predict_layout(run_query(row)).terms["step_time_s"])


@pytest.mark.parametrize("run_id", sorted(MEGABLOX_ROWS))
def test_rows_carry_megablox_and_quote_their_figures(run_id: str) -> None:
    """The four MaxText MoE rows (every MoE row of stack maxtext) carry the cell; each note quotes the prediction
    before (the cell blank: te) and now, and the tile factor of its expert GEMMs."""
    groups, rows_per_expert, before, step_now, err_now = MEGABLOX_ROWS[run_id]
    row = ROWS[run_id]
    assert row["stack"] == "maxtext" and row["moe_grouped_mlp"] == "megablox"
    assert int(row["experts"]) == groups and int(row.get("ep") or 1) == 1
    assert "megablox" in row["note"].split("moe_grouped_mlp megablox (moerows")[0]  # the recipe's setting, cited before
    published = float(row["step_s"])
    te = reproduce({**row, "moe_grouped_mlp": ""})
    assert f"{100 * te.error:+.1f}% ({te.predicted_step_s:.4g} s)" == before
    now = _step_s(row)
    assert (f"{now:.2f}", f"{100 * (now / published - 1):.1f}") == (step_now, err_now)
    assert f"{err_now}% ({step_now} s against {row['step_s']} s)" in row["note"], run_id
    assert f"{before}; compute.megablox_gmm_s)" in row["note"], run_id
    assert f"{groups} experts of {rows_per_expert} rows each" in row["note"], run_id
    tm = min(512, groups * rows_per_expert)
    ratio = (-(-groups * rows_per_expert // tm) + (groups - 1) * (tm - 1) / tm) * tm / (groups * rows_per_expert)
    assert f"{ratio:.2f}x" in row["note"], (run_id, ratio)


def test_only_maxtext_moe_rows_carry_megablox() -> None:
    carrying = sorted(rid for rid, r in ROWS.items() if (r.get("moe_grouped_mlp") or "").strip() == "megablox")
    assert carrying == sorted(MEGABLOX_ROWS)
    maxtext_moe = sorted(rid for rid, r in ROWS.items() if r["stack"] == "maxtext" and (r.get("experts") or "").strip())
    assert maxtext_moe == carrying


def test_megablox_with_fp8_refused() -> None:
    row = ROWS["maxtext-v5p-llama4-scout-512"]
    with pytest.raises(InputError, match="megablox with --dtype fp8"):
        reproduce({**row, "dtype": "fp8"})


def _explain_args(cfg: Path) -> list[str]:
    return ["plan", "explain", "--model", str(cfg), "--hardware", "tpu-v5p", "--devices", "8", "--mbs", "4",
            "--seq-len", "4096", "--global-batch", "512seq", "--zero", "3", "--recompute", "full", "--flash",
            "--json"]


def test_flag_at_the_cli(qwen3_cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain --moe-grouped-mlp megablox` records the choice and says one Pallas kernel, no floor."""
    # 2026-12-04 (int): with --stack maxtext, MaxText's own stack; on the default megatron stack the note now says
    # that stack does not run megablox (tests/test_megablox_stack_note.py)
    doc: dict[str, Any] = explain_doc(capsys, [*_explain_args(qwen3_cfg), "--stack", "maxtext",
                                               "--moe-grouped-mlp", "megablox"])
    assert doc["moe_grouped_mlp"] == "megablox"
    assert any("one megablox Pallas kernel each" in n for n in doc["notes"]), doc["notes"]
    code, out, _ = run_main(["plan", "--help"], capsys)
    assert code == 0 and "megablox" in out
