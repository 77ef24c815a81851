"""Issue #10, no silent fallbacks: a spec TOML that gives a scale-up link (bandwidth, peer bandwidth or latency) but no
scaleup_domain_devices took the default domain of 1 device, so `plan` never used the link: tensor parallelism over 8
devices ran at the scale-out figure with nothing said. Now the file is refused, naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import explain_terms, run_main

SPEC = """
[[device]]
name = "no-domain"
kind = "gpu"
peak_flop_per_s = {{ bf16 = [400e12, "my sheet"] }}
memory_bytes = [64e9, "my sheet"]
memory_bandwidth_byte_per_s = [2e12, "my sheet"]
scaleout_bandwidth_byte_per_s = [50e9, "my sheet"]
{extra}
"""


def _spec(tmp_path: Path, extra: str) -> str:
    p = tmp_path / "dev.toml"
    p.write_text(SPEC.format(extra=extra), encoding="utf-8")
    return str(p)


@pytest.mark.parametrize("field", ["scaleup_bandwidth_byte_per_s = [300e9, \"my sheet\"]",
                                   "scaleup_latency_s = [3e-6, \"my sheet\"]"])
def test_a_scaleup_link_without_its_domain_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     field: str) -> None:
    args = ["plan", "explain", "--model", "gpt3-1.3b", "--devices", "8", "--tp", "8", "--json"]
    code, out, err = run_main([*args, "--hardware", _spec(tmp_path, field)], capsys)
    assert code == 2 and "Traceback" not in err, out
    assert "without scaleup_domain_devices" in err and field.split(" ")[0] in err
    assert "fix: add scaleup_domain_devices" in err
    # with the domain given, tensor parallelism inside it uses the scale-up figure the file gives
    code, out, err = run_main([*args, "--hardware", _spec(tmp_path, field + "\nscaleup_domain_devices = [8, \"x\"]")],
                              capsys)
    assert code == 0, err
    if "bandwidth" in field:
        import json

        from accelopt.hardware.catalog import load_file
        from accelopt.predict.calibration import calibration_for

        eff = calibration_for(load_file(tmp_path / "dev.toml")[0]).scaleup_bw_eff
        assert explain_terms(json.loads(out))["in_tp_link_byte_per_s"] == pytest.approx(300e9 * eff, rel=1e-12)


def test_a_spec_without_any_scaleup_figure_still_loads(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # no scale-up figure at all: a device without a scale-up link (domain 1, catalog compare says so); tp runs on
    # the scale-out link, as before
    code, out, err = run_main(["plan", "explain", "--model", "gpt3-1.3b", "--devices", "8", "--tp", "8", "--hardware",
                               _spec(tmp_path, ""), "--json"], capsys)
    assert code == 0, err
    import json

    from accelopt.hardware.catalog import load_file
    from accelopt.predict.calibration import calibration_for

    eff = calibration_for(load_file(tmp_path / "dev.toml")[0]).scaleout_bw_eff
    assert explain_terms(json.loads(out))["in_tp_link_byte_per_s"] == pytest.approx(50e9 * eff, rel=1e-12)
