"""PCIe cards get no DGX host share (utplan2, 2026-12-05).

The facility's default host share, 575 W per accelerator, is a DGX H100's ((10.2 kW - 8 x 700 W) / 8: an SXM server's
CPUs, memory, NVSwitches, eight 400 Gb/s NICs and fans). Until 2026-12-05 it was added to a PCIe card's own power too:
an L4 (72 W) was charged 647 W per card, nine times its TDP. No PCIe server's host power is cited, so a PCIe card
without a catalog host_w gets none, and every output says what is then not counted; --host-w or a spec's host_w adds
it back."""

from __future__ import annotations

import json

import pytest
from conftest import explain_terms, run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.cost import DEFAULT_PUE, device_power_w

PCIE = ("l4", "t4", "l40s", "h100-pcie", "rtx-pro-6000-server")


def _explain(capsys: pytest.CaptureFixture[str], hw: str, *extra: str) -> tuple[dict, dict[str, float]]:
    code, out, err = run_main(["plan", "explain", "--model", "qwen2.5-0.5b", "--hardware", hw, "--devices", "8",
                               "--seq-len", "4096", "--global-batch", "64", "--tokens", "1e9", "--json", *extra],
                              capsys)
    assert code == 0, err
    doc = json.loads(out)
    return doc, explain_terms(doc)


@pytest.mark.parametrize("hw", PCIE)
def test_pcie_card_energy_is_the_cards_own(capsys: pytest.CaptureFixture[str], hw: str) -> None:
    """energy = devices x P(u) x time x PUE, P(u) = idle + (TDP - idle) u (cost.py docstring), with no host share;
    the notes name the card as not counting its server and do not list the 575 W as a default it used."""
    doc, t = _explain(capsys, hw, "--dtype", "fp16" if hw == "t4" else "bf16")  # Turing: no bf16
    spec = get_device(hw)
    want = 8 * float(device_power_w(spec, t["busy_fraction"])) * t["train_time_s"] * DEFAULT_PUE
    assert t["energy_j"] == pytest.approx(want, rel=1e-9)
    notes = " ".join(doc["notes"])
    assert f"not counted: energy on {hw} is the PCIe card's own power" in notes
    assert "--host-w" in notes and "host 575 W per device" not in notes


def test_host_w_given_adds_it_and_drops_the_note(capsys: pytest.CaptureFixture[str]) -> None:
    """--host-w 150 charges 150 W per card beside the card's own draw, and nothing is then 'not counted'."""
    _, t0 = _explain(capsys, "l4")
    doc, t = _explain(capsys, "l4", "--host-w", "150")
    assert t["energy_j"] == pytest.approx(t0["energy_j"] + 8 * 150.0 * t["train_time_s"] * DEFAULT_PUE)
    assert not any(n.startswith("not counted: energy on l4") for n in doc["notes"])


def test_sxm_device_keeps_the_dgx_default(capsys: pytest.CaptureFixture[str]) -> None:
    """An SXM part (the DGX H100's own) still gets the cited 575 W default, said as a default used."""
    doc, t = _explain(capsys, "h100-sxm")
    spec = get_device("h100-sxm")
    want = 8 * (float(device_power_w(spec, t["busy_fraction"])) + 575.0) * t["train_time_s"] * DEFAULT_PUE
    assert t["energy_j"] == pytest.approx(want, rel=1e-9)
    assert any("host 575 W per device" in n for n in doc["notes"])
    assert not any(n.startswith("not counted") for n in doc["notes"])


def test_mixed_plan_lists_each_device_under_its_own_note(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --hardware l4,h100-sxm`: the 575 W default is said for h100-sxm only, the omission for l4."""
    code, out, err = run_main(["plan", "--model", "qwen2.5-0.5b", "--hardware", "l4,h100-sxm", "--devices", "8",
                               "--seq-len", "4096", "--global-batch", "64", "--top", "2", "--json"], capsys)
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert any("host 575 W per device for h100-sxm" in n for n in notes)
    assert any(n.startswith("not counted: energy on l4 is the PCIe card's own power") for n in notes)
