"""TPU v4 (PaLM) and v6e (Trillium) published training runs and the calibrations fitted on them.

Sources. palm-* rows: Chowdhery et al. 2022, "PaLM", sec. 4 (12-way model parallel x 256-way fully sharded data
parallel per 3072-chip pod, two pods data parallel over the data-center network; "about 1.95x relative to the
throughput on a single pod"), sec. 4.1 and App. B (238.3K tokens/s at batch 2048), Table 1 (540.35B parameters; head
size always 256). maxtext-v6e-* rows: AI-Hypercomputer/tpu-recipes training/trillium/*/README.md, the published
"completed step" log line (seconds, Tokens/s/device, total_weights) and its MaxTextModel tuning_params. Rules declared
in calibration.toml before fitting: only matmul_eff_max, v4 on palm-540b-1pod, v6e on maxtext-v6e-llama31-8b-256.
"""

from __future__ import annotations

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_model, run_query, run_setup, validate_report

REPORT = validate_report()
RESULTS = {r.id: r for r in REPORT.runs}
ROWS = {r["id"]: r for r in read_runs()}

# (seconds, Tokens/s/device, total_weights, chips) of each recipe's published log line
V6E_LOG_LINES = {
    "maxtext-v6e-llama31-8b-8": (3.443, 7138.890, 196608, 8),
    "maxtext-v6e-llama31-8b-256": (4.546, 7207.336, 8388608, 256),
    "maxtext-v6e-llama31-70b-32": (17.790, 920.965, 524288, 32),
    "maxtext-v6e-llama31-70b-64": (18.688, 876.736, 1048576, 64),
    "maxtext-v6e-llama31-70b-128": (34.786, 941.976, 4194304, 128),
    "maxtext-v6e-llama31-70b-256": (42.656, 960.248, 10485760, 256),
    "maxtext-v6e-llama31-405b-x2": (54.803, 149.482, 4194304, 512),
}


def test_palm_rows_are_the_published_throughput() -> None:
    # 2048 sequences of 2048 tokens at 238.3K tokens/s; one pod: half the batch at 238.3K / 1.95 tokens/s
    assert float(ROWS["palm-540b-2pod"]["step_s"]) == pytest.approx(2048 * 2048 / 238.3e3, abs=0.001)
    assert float(ROWS["palm-540b-1pod"]["step_s"]) == pytest.approx(1024 * 2048 * 1.95 / 238.3e3, abs=0.001)


def test_palm_row_is_the_540b_architecture() -> None:
    """Table 1: 540.35B parameters. Without the head_dim column (48 heads of 256 on d_model 18432) or the one K/V head
    the count is off by percents, so this checks that those columns reach the model."""
    model = run_model(ROWS["palm-540b-2pod"])
    assert model.head_dim == 256 and model.n_kv_heads == 1 and model.parallel_block and model.tied_embeddings
    assert model.params_total() == pytest.approx(540.35e9, rel=1e-3)


def test_palm_layout_is_the_papers() -> None:
    setup, lay = run_setup(ROWS["palm-540b-2pod"])
    assert (lay.tp, lay.dp, lay.zero, lay.hsdp, lay.recompute, lay.sp, lay.m) == (12, 512, 3, 256, "full", True, 1)
    assert not setup.flash and setup.global_batch == 2048


def test_palm_tensor_parallel_traffic_uses_the_cited_ici_and_only_dcn_is_a_default() -> None:
    """Issue 10: a PaLM-like run once came out 3x too slow because v4 had no inter-chip figure and the tensor-parallel
    traffic silently used a 100 Gb/s default. v4's ICI is cited (1.1 PB/s all-reduce per 4096-chip pod); the two-pod
    run crosses the DCN, for which no v4 figure is published: that default is listed, the one-pod run has none."""
    one = predict_layout(run_query(ROWS["palm-540b-1pod"]))
    two = predict_layout(run_query(ROWS["palm-540b-2pod"]))
    assert not any(a.field.startswith("scaleup_bandwidth") for a in (*one.assumed, *two.assumed))
    assert not any(a.field == "scaleout_bandwidth_byte_per_s" for a in one.assumed)
    assert any(a.field == "scaleout_bandwidth_byte_per_s" for a in two.assumed)


@pytest.mark.parametrize("run_id", sorted(V6E_LOG_LINES))
def test_v6e_rows_are_the_recipe_log_lines(run_id: str) -> None:
    seconds, tok_s_dev, total_weights, chips = V6E_LOG_LINES[run_id]
    row = ROWS[run_id]
    assert float(row["step_s"]) == seconds and int(row["devices"]) == chips
    assert int(row["global_batch"]) * int(row["seq"]) == total_weights  # per_device_batch_size x chips x 8192
    # the line is self-consistent up to its printed precision (seconds to 1 ms, tokens/s to 1e-3)
    assert seconds * tok_s_dev * chips == pytest.approx(total_weights, rel=0.0005 / seconds + 1e-6)


def test_only_the_declared_rows_are_fitted() -> None:
    fitted = {k for k, r in RESULTS.items() if r.fitted and r.family in ("google-tpu-v4", "google-tpu-v6e")}
    assert fitted == {"palm-540b-1pod", "maxtext-v6e-llama31-8b-256"}


# Tolerance stated before measuring: the bound, no family's held-out median above 12%.
@pytest.mark.parametrize("family", ["google-tpu-v4", "google-tpu-v6e"])
def test_held_out_within_family_bound(family: str) -> None:
    fam = next(g for g in REPORT.by_family if g.group == family)
    assert fam.held_out_runs >= 1 and fam.median_abs_error <= 0.12


def test_v6e_dcn_figure_is_cited_per_chip_and_used_across_slices() -> None:
    """Cloud TPU 'TPU v6e' page: 4 x 200 Gbps NICs per 8-chip host, 25.6 Tbps per 256-chip pod = 100 Gb/s per chip.
    The 405B recipe shards FSDP over 2 slices (dcn_fsdp_parallelism 2): its gathers cross the DCN at that figure."""
    spec = get_device("tpu-v6e")
    assert spec.scaleout_bandwidth_byte_per_s == pytest.approx(25.6e12 / 8 / 256)
    assert "4 x 200 Gbps" in spec.sources["scaleout_bandwidth_byte_per_s"]
    res = predict_layout(run_query(ROWS["maxtext-v6e-llama31-405b-x2"]))
    assert not any(a.field == "scaleout_bandwidth_byte_per_s" for a in res.assumed)
    assert any("ICI slices of 256" in n for n in res.notes)
