"""Blackwell Ultra (B300, GB300) catalog entries: each figure against the vendor table cited beside it.

NVIDIA prints per-board (HGX B300, 8 GPUs) and per-rack (GB300 NVL72, 72 GPUs) figures, tensor rates
"with sparsity" except FP4, printed "sparse | dense". Per GPU dense = printed / GPUs (/ 2 for a sparse figure).
Capacity is what nvidia-smi reports (MiB = 2**20 B); TDP the power cap nvidia-smi shows.
"""

from __future__ import annotations

import pytest

from accelopt.hardware.catalog import get_device

MIB = 2**20

# name -> (GPUs per printed table, printed sparse FP8/BF16/TF32 in PFLOPS, printed dense FP4 PFLOPS)
TABLES = {"b300": (8, {"fp8": 72, "bf16": 36, "fp16": 36, "tf32": 18}, 108),
          "gb300": (72, {"fp8": 720, "bf16": 360, "fp16": 360, "tf32": 180}, 1080)}


@pytest.mark.parametrize("name", ["b300", "gb300"])
def test_dense_peaks_are_the_printed_sparse_figures_halved_per_gpu(name: str) -> None:
    gpus, sparse_pflops, fp4_dense_pflops = TABLES[name]
    spec = get_device(name)
    for dtype, pflops in sparse_pflops.items():
        assert spec.peak(dtype) == pytest.approx(pflops * 1e15 / 2 / gpus), dtype
        assert "with sparsity" in (spec.source_of(f"peak_flop_per_s.{dtype}") or "")
    # FP4 is printed dense: not halved again
    assert spec.peak("fp4") == pytest.approx(fp4_dense_pflops * 1e15 / gpus)


def test_gb300_fp4_matches_the_blackwell_ultra_blog() -> None:
    """The blog: '15 PetaFLOPS dense NVFP4 compute' per Blackwell Ultra GPU; the rack: 1,080 / 72."""
    assert get_device("gb300").peak("fp4") == pytest.approx(15e15)


@pytest.mark.parametrize(("name", "mib", "cap_w"), [("b300", 275040, 1100), ("gb300", 284208, 1400)])
def test_capacity_and_tdp_are_what_nvidia_smi_reports(name: str, mib: int, cap_w: int) -> None:
    spec = get_device(name)
    assert spec.memory_bytes == mib * MIB
    assert f"{mib}MiB" in (spec.source_of("memory_bytes") or "")
    assert spec.tdp_w == cap_w
    assert f"{cap_w}W" in (spec.source_of("tdp_w") or "")


@pytest.mark.parametrize(("name", "domain"), [("b300", 8), ("gb300", 72)])
def test_links_nvlink5_and_connectx8(name: str, domain: int) -> None:
    spec = get_device(name)
    assert spec.scaleup_domain_devices == domain
    assert spec.scaleup_bandwidth_byte_per_s == 900e9  # 1.8 TB/s both directions, stored per direction
    assert spec.scaleout_bandwidth_byte_per_s == 100e9  # ConnectX-8 800 Gb/s per GPU per direction
    assert "800 Gb/s" in (spec.source_of("scaleout_bandwidth_byte_per_s") or "")
    assert spec.memory_bandwidth_byte_per_s == 8e12


@pytest.mark.parametrize("name", ["b300", "gb300"])
def test_uncited_figures_are_left_out_not_guessed(name: str) -> None:
    """FP64/FP32/INT8 (cut on Blackwell Ultra, no agreed per-GPU figure) and a price."""
    spec = get_device(name)
    for dtype in ("fp64", "fp32", "int8"):
        assert spec.peak(dtype) is None
    assert spec.price_usd_per_hour is None


def test_gb300_has_no_measured_matmul_rate() -> None:
    """The MAMF table has no GB300 row: the rate stays missing (plan/validate print the default used)."""
    assert not get_device("gb300").measured_matmul_flop_per_s


def test_b300_measured_matmul_is_the_mamf_tables_b300_row() -> None:
    """stas00/ml-engineering's MAMF table (the version the catalog's 'mamf' source cites) has 'NVIDIA B300 SXM' rows:
    BF16 1769.0 of 2250 (78.6%), FP8 3353.3 of 4500 (74.5%); missing (written 'none published') before 2026-12-01."""
    spec = get_device("b300")
    assert spec.measured_matmul_flop_per_s["bf16"] == pytest.approx(1769.0e12)
    assert spec.measured_matmul_flop_per_s["fp8"] == pytest.approx(3353.3e12)
    src = spec.source_of("measured_matmul_flop_per_s.bf16") or ""
    assert "1769.0" in src and "3353.3" in src and "B300 SXM" in src
    # the table's efficiency column: measured / the catalog's dense peak
    assert 1769.0e12 / spec.peak("bf16") == pytest.approx(0.786, abs=5e-4)
    assert 3353.3e12 / spec.peak("fp8") == pytest.approx(0.745, abs=5e-4)


@pytest.mark.parametrize(("alias", "name"), [("dgx-b300", "b300"), ("hgx-b300", "b300"), ("gb300-nvl72", "gb300")])
def test_aliases(alias: str, name: str) -> None:
    assert get_device(alias).name == name


@pytest.mark.parametrize(("ultra", "blackwell"), [("gb300", "gb200"), ("b300", "b200")])
def test_ultra_dense_fp8_and_bf16_peaks_equal_blackwells(ultra: str, blackwell: str) -> None:
    """gb300 (2026-12-03, issue 10): the GB300 / B300 Llama FP8 rows run 1.19-1.25x faster than their GB200 twins, so
    the FP8 peaks were re-read: NVIDIA prints the same sparse FP8 / BF16 figures for the Ultra parts as for Blackwell
    (NVL72 rack 720 / 360 PFLOPS on both pages; HGX board 72 / 36 on both columns), and the Ultra's gains are NVFP4
    and the softmax exponent rate. The catalog stores that; its notes say so."""
    u, b = get_device(ultra), get_device(blackwell)
    for dtype in ("fp8", "bf16"):
        assert u.peak(dtype) == b.peak(dtype), dtype
    assert (u.peak("fp4") or 0) == pytest.approx(1.5 * (b.peak("fp4") or 0))  # 15 vs 10, 13.5 vs 9 PFLOPS dense
    assert f"Dense FP8 and BF16 peaks equal {blackwell.upper()}'s" in (u.notes or "")
