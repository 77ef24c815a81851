"""srv2: int8 weight-only (W8A16) decode read its weights at the 16-bit path's memory efficiency.

Published measurements put the dequantizing kernels below it. torchao's README (pytorch/ao
torchao/quantization/README.md at 03d01adcbcf8f85b0e61bef84957013b89e6902f, "Benchmarks", one A100, batch 1) gives
the achieved 'Memory Bandwidth (GB/s)' of int8wo against Base (bfloat16): Llama-2-7B 1131.18 / 1418.93 and
Llama-3-8B 1150.80 / 1435.54, 0.797 and 0.802, mean 0.80. That figure is now `[serving.nvidia-ampere]`'s
int8_weight_only_bandwidth_ratio (cited, not fitted: the held-out gpt-fast int8 rows' own README, 0.765, is not used),
printed beside an int8 result; a family with no such measurement keeps 1.0, printed as 'default used:'.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving as sv
from accelopt.workload.presets import get_model

TORCHAO_GB_S = {"llama-2-7b": (1131.18, 1418.93), "llama-3-8b": (1150.80, 1435.54)}  # (int8wo, bf16)
CALIBRATION = Path(__file__).resolve().parent.parent / "src/accelopt/predict/data/calibration.toml"


def _decode(device: str, cal: sv.ServingCalibration | None = None, weight_dtype: str = "int8") -> sv.PhaseTime:
    spec = get_device(device)
    p = sv.predict_serving(get_model("llama2-7b"), spec, batch=1, prompt_len=5, output_len=2,
                           weight_dtype=weight_dtype, calibration=cal or sv.calibration_for_spec(spec))
    return p.decode_step


def test_the_ampere_table_holds_torchaos_ratio_with_its_citation() -> None:
    ratios = [int8 / bf16 for int8, bf16 in TORCHAO_GB_S.values()]
    assert [round(r, 3) for r in ratios] == [0.797, 0.802]
    cal = sv.calibration_for_spec(get_device("a100-sxm-80gb"))
    assert cal.family == "nvidia-ampere" and cal.int8_weight_only_bandwidth_ratio == round(sum(ratios) / 2, 2) == 0.8
    text = " ".join(CALIBRATION.read_text(encoding="utf-8").split())
    for figure in ("1131.18", "1418.93", "1150.80", "1435.54", "03d01adcbcf8f85b0e61bef84957013b89e6902f"):
        assert figure in text, figure
    assert sv.calibration_for_spec(get_device("h100-sxm")).int8_weight_only_bandwidth_ratio == 1.0


def test_int8_decode_reads_its_weights_at_the_ratio() -> None:
    """Llama-2-7B at batch 1 on an A100: the decode step's memory term is the weights' at 1 / 0.8 (the KV cache of a
    few tokens aside), and nothing changes for bf16 weights or on a family without a ratio."""
    one = replace(sv.calibration_for_spec(get_device("a100-sxm-80gb")), int8_weight_only_bandwidth_ratio=1.0)
    slow, plain = _decode("a100-sxm-80gb"), _decode("a100-sxm-80gb", one)
    assert slow.memory_s / plain.memory_s == pytest.approx(1 / 0.8, rel=2e-3)
    bf16 = _decode("a100-sxm-80gb", weight_dtype="bf16")
    assert bf16.memory_s == pytest.approx(_decode("a100-sxm-80gb", one, weight_dtype="bf16").memory_s)


@pytest.mark.parametrize(("device", "words"), [
    ("a100-sxm-80gb", "their weights are read at 0.8 x the decode bandwidth efficiency (int8_weight_only_bandwidth_"
                      "ratio of the 'nvidia-ampere' table"),
    ("h100-sxm", "default used: their weights are read at the 16-bit path's bandwidth efficiency "
                 "(int8_weight_only_bandwidth_ratio 1.0 of the 'nvidia-hopper' table")])
def test_the_ratio_or_its_default_is_printed_beside_the_result(device: str, words: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "serve", "--model", "llama2-7b", "--hardware", device, "--batch", "1", "--prompt", "5",
            "--output", "200", "--weight-dtype", "int8"]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert any(words in n for n in doc["notes"])
    assert doc["results"][0]["calibration"]["int8_weight_only_bandwidth_ratio"] == (0.8 if "a100" in device else 1.0)
    code, out, err = run_main(argv, capsys)
    assert code == 0 and words in " ".join(out.split())


def test_a_calibration_file_can_give_the_ratio(tmp_path: Path) -> None:
    path = tmp_path / "cal.toml"
    path.write_text('[serving.my-h100]\nmatch = ["h100*"]\nint8_weight_only_bandwidth_ratio = 0.75\n',
                    encoding="utf-8")
    cal = sv.calibration_for_spec(get_device("h100-sxm"), path=str(path))
    assert cal.int8_weight_only_bandwidth_ratio == 0.75
    bad = tmp_path / "bad.toml"
    bad.write_text('[serving.my-h100]\nmatch = ["h100*"]\nint8_weight_only_bandwidth_ratio = 1.5\n', encoding="utf-8")
    with pytest.raises(Exception, match=re.escape("int8_weight_only_bandwidth_ratio")):
        sv.calibration_for_spec(get_device("h100-sxm"), path=str(bad))
