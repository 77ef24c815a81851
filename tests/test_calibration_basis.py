"""What `plan` and `plan explain` say about a device's calibration (predict/curve_basis.py): fitted on named runs,
carried over from another family's fit, derived from a cited measurement, or the default curve of a device no family
covers. `plan` printed "(uncalibrated)" beside nvidia-hopper bf16 on the megatron stack as beside a device with no
public run at all, while that curve is the nvidia-ampere fit, carried over (issue 10)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import STACKS, calibration_for, load_calibrations
from accelopt.predict.curve_basis import curve_basis

CALS = load_calibrations()
AMPERE_ROWS = list(CALS["nvidia-ampere"].fitted_on)


def _basis(device: str, dtype: str, stack: str = "megatron"):  # type: ignore[no-untyped-def]
    spec = get_device(device)
    return curve_basis(spec.name, calibration_for(spec, CALS, stack), dtype, CALS)


def test_ampere_bf16_is_fitted_on_its_rows() -> None:
    b = _basis("a100-sxm-80gb", "bf16")
    assert (b.kind, b.tag, b.fitted_on) == ("fitted", "", AMPERE_ROWS)
    assert b.text.endswith("fitted on meg-t1-18.4b, meg-t1-145.6b, meg-t1-1008b")


HOPPER_BF16_ROWS = ["dgxc-h100-llama31-8b-bf16-8", "dgxc-h100-nemotron4-340b-bf16-128"]


def test_hopper_bf16_megatron_is_fitted_on_its_own_rows() -> None:
    """hopbf16 (2026-12-01): the megatron-stack bf16 eff_max is fitted on two H100 BF16 rows (NVIDIA dgxc-benchmarking);
    it was the Ampere fit carried over (0.74) before, and the half-size point still is Ampere's (0.5e9)."""
    b = _basis("h100-sxm", "bf16")
    assert (b.kind, b.fitted_on) == ("fitted", HOPPER_BF16_ROWS)
    assert "uncalibrated" not in b.text and "carried over" not in b.text
    hop, amp = CALS["nvidia-hopper"], CALS["nvidia-ampere"]
    # 0.68 at hopbf16's fit; re-run as declared 2026-12-01: 0.70 (fa2 + ubuf), 0.60 (hopdiag), 0.60 again (rca / rcb);
    # 0.58 (rhopperadopt, 2026-12-05)
    assert (hop.matmul_eff_max, hop.matmul_half_flop) == (0.58, amp.matmul_half_flop)
    assert hop.carried_from == ""


def test_hopper_fp8_is_fitted_and_its_fsdp_stack_carries_the_megatron_fit() -> None:
    b = _basis("h100-sxm", "fp8")
    assert (b.kind, b.fitted_on) == ("fitted", ["nemo-llama2-7b", "nemo-gpt3-175b-128"])
    fsdp = _basis("h100-sxm", "fp8", "pytorch-fsdp")  # the stack's table fits only its bf16 eff_max
    assert fsdp.kind == "carried" and "[family.nvidia-hopper] (megatron stack) on nemo-llama2-7b" in fsdp.text
    assert _basis("h100-sxm", "bf16", "pytorch-fsdp").fitted_on == ["mpt-1b-512", "mpt-70b-512"]


def test_fp8_basis_reads_whether_the_value_is_given_not_whether_two_values_are_equal() -> None:
    """The pytorch-fsdp stack fits only its bf16 eff_max; its fp8 value is the megatron stack's fp8 fit. When the two
    numbers happened to be equal (both 0.54 on 2026-12-01), the basis said 'no fp8 value of its own, so fp8 GEMMs run at
    the 16-bit eff_max': false (recon's finding). The basis now reads Calibration.fp8_own."""
    import dataclasses

    hop = CALS["nvidia-hopper"]
    fsdp = dataclasses.replace(hop.stacks["pytorch-fsdp"], matmul_eff_max=hop.fp8_matmul_eff_max)
    b = curve_basis("h100-sxm", fsdp, "fp8", CALS)
    assert b.kind == "carried" and "no fp8 value of its own" not in b.text
    assert "[family.nvidia-hopper] (megatron stack) on nemo-llama2-7b" in b.text
    assert hop.fp8_own and fsdp.fp8_own and not CALS["google-tpu-v5e"].fp8_own  # v5e's file gives no fp8 value


BUNDLED = Path(__file__).resolve().parents[1] / "src" / "accelopt" / "predict" / "data" / "calibration.toml"
# The cdna3 bf16 basis before its fit (2026-11-30, s-amd2: calibration.toml keeps the derivation in its comments)
MAMF_DERIVED_FROM = ("matmul_eff_max 0.47 = the Hopper megatron-stack bf16 0.74 x (MI300X 668.4 / 1307.4 TFLOP/s) / "
                     "(H100 SXM 794.5 / 989.5 TFLOP/s), the measured best bf16 matmul rates of stas00/ml-engineering "
                     "compute/accelerator/README.md (v2 table, mamf-finder.py); the half-size point is the default "
                     "curve's (estimate)")


def _derived_cdna3_table() -> str:
    """The bundled [family.amd-instinct-cdna3] table as it was while its bf16 value was derived and fitted on nothing
    (a user's --calibration file may be so): matmul_eff_max 0.47, derived_from the MAMF pair, fitted_on empty."""
    text = BUNDLED.read_text()
    # the table header at a line start: the file's dated records name "[family.amd-instinct-cdna3]" in comments above it
    start = text.index("\n[family.amd-instinct-cdna3]\n") + 1
    table = text[start:text.index("\n\n", start)]
    table = re.sub(r"^fitted_on = .*$", "fitted_on = []", table, flags=re.M)
    return re.sub(r"^matmul_eff_max = .*$", f"matmul_eff_max = 0.47\nderived_from = {json.dumps(MAMF_DERIVED_FROM)}",
                  table, flags=re.M)


def test_mi300x_bf16_is_fitted_and_a_derived_curve_says_so(tmp_path: Path) -> None:
    b = _basis("mi300x", "bf16")  # fitted since 2026-11-30 (s-amd2) on AMD's Infinity Hub row (cdna3 bf16 rule)
    assert (b.kind, b.tag, b.fitted_on) == ("fitted", "", ["amd-ih-mi300x-llama31-8b-bf16-s8192"])
    fp8 = _basis("mi300x", "fp8")  # derived since 2026-12-02 (amdfp8) from AMD's measured FP8 / BF16 GEMM rates
    assert (fp8.kind, fp8.tag, fp8.fitted_on) == ("derived", "not fitted: derived", [])
    assert "1273 / 2614.9" in fp8.text and "Max-Achievable FLOPs" in fp8.text
    mine = tmp_path / "cal.toml"
    mine.write_text(_derived_cdna3_table())
    cals = load_calibrations(mine)
    spec = get_device("mi300x")
    d = curve_basis(spec.name, calibration_for(spec, cals), "bf16", cals)
    assert (d.kind, d.tag) == ("derived", "not fitted: derived")
    assert "derived, not fitted" in d.text and "stas00/ml-engineering" in d.text and "668.4" in d.text


def test_trainium2_is_the_default_curve_with_no_run() -> None:
    b = _basis("trainium2", "bf16")
    assert (b.family, b.kind, b.tag) == ("default", "default", "uncalibrated: default curve")
    assert "no calibration family matches trainium2, so no run of it was fitted" in b.text


def test_fp8_without_its_own_value_says_it_runs_at_the_16bit_curve() -> None:
    b = _basis("tpu-v5e", "fp8")  # fitted on bf16 MaxText runs, no fp8 value: not fitted on fp8 runs
    assert b.kind == "carried" and "no fp8 value of its own" in b.text and "not fitted on fp8 runs" in b.text


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("dtype", ["bf16", "fp8"])
def test_fitted_label_agrees_with_the_calibrated_flag(stack: str, dtype: str) -> None:
    """The row's JSON `calibrated` (training terms) and the basis agree for every family in the file."""
    checked = 0
    for name in CALS:
        if name == "probed":
            continue
        spec = next((get_device(d) for d in ("h100-sxm", "a100-sxm-80gb", "mi300x", "gaudi2", "gaudi3", "b200",
                                             "tpu-v5e", "tpu-v5p", "tpu-v4", "tpu-v6e", "trainium1", "trainium2",
                                             "xeon-8480+")
                     if calibration_for(get_device(d), CALS).family == name), None)
        if spec is None:
            continue
        cal = calibration_for(spec, CALS, stack)
        assert (curve_basis(spec.name, cal, dtype, CALS).kind == "fitted") is cal.calibrated(dtype), (name, stack)
        checked += 1
    assert checked >= 12  # every family of the bundled file but 'probed'


def test_plan_and_explain_print_and_record_the_basis(capsys: pytest.CaptureFixture[str]) -> None:
    # b200's 16-bit curve is the Ampere fit carried over (h100-sxm's was, until hopbf16 fitted it on its own rows)
    code, out, err = run_main(["plan", "--model", "llama3-8b", "--hardware", "b200,a100-sxm-80gb,trainium2",
                               "--devices", "8", "--top", "40"], capsys)
    assert code == 0, err
    flat = " ".join(out.split())
    assert "b200 (not fitted here: nvidia-ampere fit)" in flat and "a100-sxm-80gb (" not in out
    assert "trainium2: 16-bit GEMM efficiency of [family.default] (megatron stack): the default curve" in flat
    assert "b200: 16-bit GEMM efficiency of [family.nvidia-blackwell] (megatron stack): carried over" in flat
    code, out, err = run_main(["plan", "--model", "llama3-8b", "--hardware", "b200,h100-sxm,a100-sxm-80gb", "--devices",
                               "8", "--top", "3", "--json"], capsys)
    assert code == 0, err
    bases = {b["device"]: b for b in json.loads(out)["calibration_basis"]}
    assert bases["b200"]["kind"] == "carried" and bases["b200"]["from_family"] == "nvidia-ampere"
    assert bases["h100-sxm"]["kind"] == "fitted" and bases["h100-sxm"]["fitted_on"] == HOPPER_BF16_ROWS
    assert bases["a100-sxm-80gb"]["kind"] == "fitted" and bases["a100-sxm-80gb"]["fitted_on"] == AMPERE_ROWS
    explain = ["plan", "explain", "--model", "llama3-8b", "--hardware", "b200", "--devices", "8", "--tp", "8"]
    code, out, err = run_main([*explain, "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["calibration_basis"]["kind"] == "carried" and doc["prediction"]["calibrated"] is False
    explain_h100 = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--tp", "8"]
    code, out, err = run_main([*explain_h100, "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["calibration_basis"]["kind"] == "fitted" and doc["prediction"]["calibrated"] is True
    code, out, err = run_main([*explain_h100, "--dtype", "fp8", "--json"], capsys)
    assert json.loads(out)["calibration_basis"]["fitted_on"] == ["nemo-llama2-7b", "nemo-gpt3-175b-128"]


def test_a_users_derived_from_is_read_and_a_fit_supersedes_it(tmp_path: Path) -> None:
    """derived_from is a field of the calibration format (a --calibration file may set it); fitted_on wins."""
    mine = tmp_path / "cal.toml"
    mine.write_text(_derived_cdna3_table().replace('fitted_on = []', 'fitted_on = ["my-mi300x-run"]'))
    cals = load_calibrations(mine)
    spec = get_device("mi300x")
    b = curve_basis(spec.name, calibration_for(spec, cals), "bf16", cals)
    assert (b.kind, b.fitted_on) == ("fitted", ["my-mi300x-run"])


def test_a_derived_from_that_is_not_text_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """derived_from = 0.47 (a number where the derivation's text belongs) was printed as the curve's basis, '0.47'."""
    table = _derived_cdna3_table()
    line = next(ln for ln in table.splitlines() if ln.startswith("derived_from"))
    mine = tmp_path / "cal.toml"
    mine.write_text(table.replace(line, "derived_from = 0.47"))
    code, _, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "mi300x", "--devices", "8",
                             "--calibration", str(mine)], capsys)
    assert code == 2 and "derived_from = 0.47 is not text" in err and "fix:" in err, err
