"""PCIe-only GPUs (L40S, L4, T4, GeForce RTX 4090) get their PCIe link as the scale-up link, so tensor parallelism
over them is predicted at PCIe rates (pcielink, a user trial).

Before: the catalog listed no link for them, so `plan serve --tp 4 --hardware l40s` stopped with 'its spec lists no
link between devices' and training `plan` put every tensor-parallel collective on the one-device-per-node default
(the 12.5e9 B/s scale-out assumption), although vLLM serves over PCIe with tensor parallelism on exactly these cards
(a public vLLM deployment README recommends TP 8 on AWS g6e.48xlarge, 8 L40S; the pcie4-x16 source).

Hand-computed figures (PCI-SIG signalling rates; ring all-reduce of Thakur et al. 2005, predict/comm.py):
    PCIe 4.0 x16: 16 GT/s x 16 lanes x 128/130 / 8 = 31.51e9 B/s per direction (stored 31.5e9)
    PCIe 3.0 x16:  8 GT/s x 16 lanes x 128/130 / 8 = 15.75e9 B/s per direction (T4)
    link used = 0.80 (scaleup_bw_eff of the family) x 31.5e9 = 25.2e9 B/s; latency the 2.4 us default (printed)
    decode all-reduce, llama3-70b (h 8192), batch 8, bf16, TP 4:  n = 8 x 8192 x 2 = 131,072 B
        2 (4-1) 2.4 us + 2 (4-1)/4 x 131,072 / 25.2e9 = 14.4 us + 7.80 us = 22.20 us
    training all-reduce of one layer's activations, seq 4096, micro-batch 1, bf16, TP 4:  n = 67,108,864 B
        14.4 us + 1.5 x 67,108,864 / 25.2e9 = 14.4 us + 3,994.6 us = 4.009 ms
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict import comm
from accelopt.predict.calibration import calibration_for

PCIE4_X16 = 16e9 * 16 * 128 / 130 / 8  # 31.51e9 B/s per direction
PCIE3_X16 = 8e9 * 16 * 128 / 130 / 8  # 15.75e9 B/s per direction


@pytest.mark.parametrize(("name", "rate", "source"), [
    ("l40s", PCIE4_X16, "pcie4-x16"), ("l4", PCIE4_X16, "pcie4-x16"), ("rtx-4090", PCIE4_X16, "pcie4-x16"),
    ("t4", PCIE3_X16, "pcie3-x16")])
def test_the_pcie_cards_list_their_pcie_link(name: str, rate: float, source: str) -> None:
    d = get_device(name)
    assert d.scaleup_bandwidth_byte_per_s == pytest.approx(rate, rel=1e-3)
    assert d.scaleup_domain_devices == 8  # 8 cards a server: AWS g6e/g6.48xlarge, g4dn.metal; 8 RTX 4090 in nvsmi-4090
    assert d.source_of("scaleup_bandwidth_byte_per_s").startswith("PCI Express")
    assert "GPUs per Amazon EC2 instance" in d.source_of("scaleup_domain_devices") or name == "rtx-4090"
    assert d.scaleup_latency_s is None  # no PCIe step latency cited: the default is used and printed
    assert source in d.notes and "scaleup_* is that link" in d.notes


def _tp4_link(name: str) -> tuple[float, float]:
    spec = get_device(name)
    links = comm.Links.of(spec, calibration_for(spec))
    assert links.domain == 8
    bw, lat = links.pick(np.array([4]))
    return float(bw[0]), float(lat[0])


def test_tp4_on_l40s_runs_at_the_pcie_rate() -> None:
    bw, lat = _tp4_link("l40s")
    assert bw == pytest.approx(0.80 * 31.5e9)  # 25.2e9 B/s
    assert lat == comm.DEFAULT_SCALEUP_LATENCY_S == 2.4e-6


def test_hand_computed_all_reduces_over_pcie4_at_tp4() -> None:
    bw, lat = _tp4_link("l40s")
    decode = comm.ring_allreduce_s(np.array([8 * 8192 * 2.0]), np.array([4]), np.array([bw]), np.array([lat]))
    assert float(decode[0]) == pytest.approx(22.20e-6, rel=1e-3)
    train = comm.ring_allreduce_s(np.array([4096 * 8192 * 2.0]), np.array([4]), np.array([bw]), np.array([lat]))
    assert float(train[0]) == pytest.approx(4.009e-3, rel=1e-3)


def test_plan_serve_tp4_on_l40s_predicts_over_pcie(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "--model", "llama3-70b", "--hardware", "l40s", "--tp", "4",
                               "--batch", "8"], capsys)
    said = " ".join((out + err).split())
    assert code == 0, said
    assert "lists no link between devices" not in said
    assert "its scale-up link, 31.5 GB/s, is no faster than PCIe" in said, said  # NCCL ring/tree, not custom AR
    assert "scaleup_latency_s = 2.4e-06 (assumed" in said, said


def test_plan_training_tp4_on_l40s_is_not_the_one_device_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "l40s", "--devices", "8",
                               "--tp", "4"], capsys)
    said = " ".join(out.split())
    assert code == 0, err
    assert "in_tp_link_byte_per_s │ 25.2 GB/s" in said, said  # 0.80 x 31.5e9; before: 10 GB/s, the scale-out default
    spec = get_device("l40s")
    used = comm.Links.of(spec, calibration_for(spec)).used_by(8)
    assert [a.field for a in used] == ["scaleup_latency_s"]  # not the one-device-per-node default
