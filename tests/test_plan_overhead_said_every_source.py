"""`plan` named the assumed framework overhead (calibration framework_overhead_bytes, 2.5e9 B on the GPU families,
predict/data/calibration.toml: 'an assumption ... not measured') in mem/dev only for a profiled WORKLOAD.json
(tests/test_plan_workload_overhead_said.py); for a preset model or a Hugging Face config.json the same figure entered
mem/dev without a word. The 'default used:' note is one of PlanResult's notes now: console, JSON and HTML alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main, write_config

_SAID = ("default used: mem/dev includes a framework overhead per device of h100-sxm 2.33 GiB "
         "([family.nvidia-hopper])")


def _check(model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html = tmp_path / "plan.html"
    argv = ["plan", "--model", model, "--hardware", "h100-sxm", "--devices", "8", "--tokens", "1e9", "--top", "1"]
    code, out, err = run_main([*argv, "--json", "--html", str(html)], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["best"][0]["hardware"] == "h100-sxm"
    (said,) = [n for n in doc["notes"] if "framework overhead" in n]
    assert said.startswith(_SAID)
    assert "framework overhead per device of h100-sxm 2.33 GiB" in html.read_text(encoding="utf-8")
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    assert _SAID in " ".join(out.split())


def test_a_preset_says_the_overhead(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _check("gpt3-125m", tmp_path, capsys)


def test_a_config_json_says_the_overhead(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, {"model_type": "llama", "hidden_size": 256, "num_hidden_layers": 4,
                                  "num_attention_heads": 4, "num_key_value_heads": 4, "intermediate_size": 688,
                                  "vocab_size": 32000, "max_position_embeddings": 2048})
    _check(str(cfg), tmp_path, capsys)


def test_a_device_whose_overhead_is_zero_has_no_note(capsys: pytest.CaptureFixture[str]) -> None:
    # the TPU families' figure is 0 (the runtime's reservation is already off the capacity): nothing to say
    code, out, err = run_main(["plan", "--model", "gpt3-125m", "--hardware", "tpu-v5p", "--devices", "8",
                               "--tokens", "1e9", "--top", "1", "--json"], capsys)
    assert code == 0, err
    assert not [n for n in json.loads(out)["notes"] if "framework overhead" in n]


def test_a_measured_figure_names_its_measurement_not_a_default(capsys: pytest.CaptureFixture[str]) -> None:
    # the cpu family's 3.2e8 B is measured (benchmarks/bench_cpu_framework_overhead.py): not a 'default used:'
    # (one device: the catalog's xeon-8480plus lists no link between devices, so plan runs it on one only, b29991fe)
    code, out, err = run_main(["plan", "--model", "gpt3-125m", "--hardware", "xeon-8480plus", "--devices", "1",
                               "--tokens", "1e9", "--top", "1", "--json"], capsys)
    assert code == 0, err
    (measured,) = [n for n in json.loads(out)["notes"] if "framework overhead" in n]
    assert measured.startswith("mem/dev includes a framework overhead per device of xeon-8480plus 305 MiB "
                               "([family.cpu], measured: benchmarks/bench_cpu_framework_overhead.py")


def test_a_figure_from_a_calibration_file_names_the_file(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    cal = tmp_path / "cal.toml"
    cal.write_text("[family.mine]\nmatch = ['h100*']\nmatmul_eff_max = 0.7\nmatmul_half_flop = 1e9\n"
                   "memory_eff = 0.8\nscaleup_bw_eff = 0.8\nscaleout_bw_eff = 0.8\noverlap_eff = 0.8\n"
                   "kernel_overhead_s = 4e-6\nframework_overhead_bytes = 1e9\n", encoding="utf-8")
    code, out, err = run_main(["plan", "--model", "gpt3-125m", "--hardware", "h100-sxm", "--devices", "8",
                               "--tokens", "1e9", "--top", "1", "--calibration", str(cal), "--json"], capsys)
    assert code == 0, err
    (said,) = [n for n in json.loads(out)["notes"] if "framework overhead" in n]
    assert said == ("mem/dev includes a framework overhead per device of h100-sxm 954 MiB ([family.mine]) "
                    f"(framework_overhead_bytes of the --calibration file {cal})")
