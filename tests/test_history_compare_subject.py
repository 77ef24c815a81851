"""`accelopt history compare A B` of two runs of different models (or modes, devices, dtypes) printed the B / A
ratios with no word that A and B ran different things: a 70B model's step time over an 8B's read as the effect of
one change. The comparison (history-compare v2) now names each side's model, mode, device and dtype and carries a
plain-text warning naming both sides where they differ; the table prints the same warning. Before the change the
JSON has no `subject_warning` and the text no warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

from accelopt.report import history

_EXPLAIN = ("plan", "explain", "--hardware", "h100-sxm", "--devices", "64", "--tp", "8", "--json")


def _compare(capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, object], str]:
    id_b, id_a = (r.id for r in history.list_runs(limit=2))
    doc = json.loads(_cli(capsys, "history", "compare", id_a, id_b, "--json")[0])
    out, _ = _cli(capsys, "history", "compare", id_a, id_b)
    return doc, " ".join(out.split())


def test_compare_of_two_models_warns_naming_both(capsys: pytest.CaptureFixture[str]) -> None:
    _cli(capsys, *_EXPLAIN, "--model", "llama3-8b")
    _cli(capsys, *_EXPLAIN, "--model", "llama3-70b")
    doc, text = _compare(capsys)
    assert doc["schema_version"] == 4
    a, b = doc["a"], doc["b"]
    assert isinstance(a, dict) and isinstance(b, dict)
    assert (a["model"], b["model"], a["device"], b["device"]) == ("llama3-8b", "llama3-70b", "h100-sxm", "h100-sxm")
    warning = doc["subject_warning"]
    assert isinstance(warning, str) and "differ in model" in warning and "device" not in warning.split("(")[0]
    assert "A: model llama3-8b" in warning and "B: model llama3-70b" in warning
    assert f"warning: {warning}" in text


def test_compare_of_two_devices_warns(capsys: pytest.CaptureFixture[str]) -> None:
    """plan serve names its model and device per point (results[]), not at the top of its document."""
    serve = ("plan", "serve", "--model", "llama3-8b", "--batch", "1", "--json")
    _cli(capsys, *serve, "--hardware", "h100-sxm")
    _cli(capsys, *serve, "--hardware", "a100-sxm-80gb")
    doc, text = _compare(capsys)
    warning = doc["subject_warning"]
    assert isinstance(warning, str) and "differ in device" in warning
    assert "device h100-sxm" in warning and "device a100-sxm-80gb" in warning and "warning:" in text


def test_compare_of_one_subject_has_no_warning(capsys: pytest.CaptureFixture[str]) -> None:
    _cli(capsys, *_EXPLAIN, "--model", "llama3-8b")
    _cli(capsys, *_EXPLAIN[:-1], "--model", "llama3-8b", "--pp", "2", "--json")
    doc, text = _compare(capsys)
    assert doc["subject_warning"] is None and "warning" not in text


def test_profile_results_name_mode_and_dtype() -> None:
    """profile and optimize name their model `name` and carry mode, device and dtype at the top; a side that does
    not name a field (null) is not a difference."""
    from accelopt.cli.report import _subject, subject_warning
    from accelopt.report.history_documents import ComparedRun

    def side(result: dict[str, object]) -> ComparedRun:
        return ComparedRun(id="x", argv=[], command_line="accelopt profile", **_subject(result))

    train = side({"name": "mlp", "mode": "train", "device": "cpu", "dtype": "fp32"})
    infer = side({"name": "mlp", "mode": "inference", "device": "cpu", "dtype": "bf16"})
    warning = subject_warning(train, infer)
    assert warning is not None and warning.startswith("runs A and B differ in mode and dtype (")
    assert "A: model mlp, mode train, device cpu, dtype fp32; B: model mlp, mode inference, device cpu, dtype bf16" \
        in warning
    assert subject_warning(train, side({"name": "mlp"})) is None


def test_compare_of_two_plan_searches_on_two_devices_warns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`plan` names its device per ranked layout (best[].hardware), not at the top: two searches of one model on an
    H100 and an A100 were compared with device n/a on both sides and no warning, and the `--html` page's 'runs
    compared' table showed n/a too."""
    search = ("plan", "--model", "llama3-8b", "--devices", "8", "--top", "2", "--json")
    _cli(capsys, *search, "--hardware", "h100-sxm")
    _cli(capsys, *search, "--hardware", "a100-sxm-80gb")
    doc, text = _compare(capsys)
    a, b = doc["a"], doc["b"]
    assert isinstance(a, dict) and isinstance(b, dict)
    assert (a["device"], b["device"]) == ("h100-sxm", "a100-sxm-80gb")
    warning = doc["subject_warning"]
    assert isinstance(warning, str) and "differ in device" in warning and "warning:" in text
    id_b, id_a = (r.id for r in history.list_runs(limit=2))
    page = tmp_path / "c.html"
    _cli(capsys, "history", "compare", id_a, id_b, "--html", str(page))
    assert ">h100-sxm<" in page.read_text() and ">a100-sxm-80gb<" in page.read_text()  # the device cells


def test_compare_of_two_simulate_runs_names_model_design_and_dtype(capsys: pytest.CaptureFixture[str]) -> None:
    """simulate run names its design in design.name and its model in `source`: two runs of different designs and
    models were compared with model, device and dtype null on both sides and no warning (utsim's trial); two
    batches of one model on one design are one subject."""
    _cli(capsys, "simulate", "run", "-d", "edge-npu", "-m", "alexnet-conv", "--json")
    _cli(capsys, "simulate", "run", "-d", "tpu-v1", "-m", "resnet50", "--json")
    doc, text = _compare(capsys)
    a, b = doc["a"], doc["b"]
    assert isinstance(a, dict) and isinstance(b, dict)
    assert (a["device"], b["device"], a["dtype"], b["dtype"]) == ("edge-npu", "tpu-v1", "int8", "int8")
    assert isinstance(a["model"], str) and a["model"].startswith("AlexNet") and b["model"] == "ResNet-50 v1"
    warning = doc["subject_warning"]
    assert isinstance(warning, str) and "differ in model and device" in warning and "warning:" in text
    _cli(capsys, "simulate", "run", "-d", "tpu-v1", "-m", "resnet50", "--batch", "4", "--json")
    doc, text = _compare(capsys)
    assert doc["subject_warning"] is None and "warning" not in text


def test_compare_of_two_simulate_sweeps_of_two_models_warns() -> None:
    from accelopt.cli.report import _subject, subject_warning
    from accelopt.report.history_documents import ComparedRun

    def side(source: str) -> ComparedRun:
        return ComparedRun(id="x", argv=[], command_line="accelopt simulate sweep",
                           **_subject({"source": source, "base_design": "edge-npu"}))

    cnn = side("model file net.py:CNN (nn.Module, batch 8, input 8x3x32x32 float32) captured in inference mode")
    mlp = side("model file net.py:MLP (nn.Module, batch 1, input 1x256 float32) captured in inference mode")
    csv = side("SCALE-Sim topology layers.csv, batch 2")
    assert (cnn.model, cnn.device, csv.model) == ("model file net.py:CNN", "edge-npu", "SCALE-Sim topology layers.csv")
    warning = subject_warning(cnn, mlp)
    assert warning is not None and "differ in model (" in warning
    assert subject_warning(cnn, side("model file net.py:CNN (nn.Module, batch 1, input 1x3x32x32 float32)")) is None


def test_compare_of_two_published_chips_warns(capsys: pytest.CaptureFixture[str]) -> None:
    """simulate published names its chip in `chip`: the NVDLA primer's check against Eyeriss's was compared with
    every row n/a on one side and no word that the two runs checked different chips; two runs of one chip are one
    subject."""
    _cli(capsys, "simulate", "published", "--json")
    _cli(capsys, "simulate", "published", "--chip", "eyeriss", "--json")
    doc, text = _compare(capsys)
    a, b = doc["a"], doc["b"]
    assert isinstance(a, dict) and isinstance(b, dict)
    assert (a["device"], b["device"]) == ("nvdla", "eyeriss")
    warning = doc["subject_warning"]
    assert isinstance(warning, str) and "differ in device" in warning and "warning:" in text
    _cli(capsys, "simulate", "published", "--json")
    _cli(capsys, "simulate", "published", "--chip", "nvdla", "--json")
    doc, text = _compare(capsys)
    assert doc["subject_warning"] is None and "warning" not in text
