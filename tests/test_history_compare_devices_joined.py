"""`history compare` of two `plan serve` runs of one model on two devices pairs their figures (a user trial,
uttrialC, 2026-12-06). plan serve labels each figure with its device ('h100-sxm: max batch'), so an H100 run and an
A100 run shared no label: the comparison listed six rows, each n/a on one side, and no B / A ratio at all, for the
question a compare of two devices asks. The labels are now joined ('h100-sxm / a100-sxm-80gb: max batch') and each
row has both figures and their ratio; the warning that the runs differ in device stays. Runs on several devices each
keep their labels."""

from __future__ import annotations

import json

import pytest
from conftest import run_main_expect as _cli

from accelopt.report import history

_SERVE = ("plan", "serve", "--model", "llama3-8b", "--batch", "1,8", "--json")


def _compare(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    id_b, id_a = (r.id for r in history.list_runs(limit=2))
    return dict(json.loads(_cli(capsys, "history", "compare", id_a, id_b, "--json")[0]))


def _figures(doc: dict[str, object]) -> list[dict[str, object]]:
    figures = doc["figures"]
    assert isinstance(figures, list)
    return figures


def test_two_devices_figures_pair(capsys: pytest.CaptureFixture[str]) -> None:
    a_doc = json.loads(_cli(capsys, *_SERVE, "--hardware", "h100-sxm")[0])
    b_doc = json.loads(_cli(capsys, *_SERVE, "--hardware", "a100-sxm-80gb")[0])
    doc = _compare(capsys)
    assert "differ in device" in str(doc["subject_warning"])
    rows = {str(f["figure"]): f for f in _figures(doc)}
    batch = rows["h100-sxm / a100-sxm-80gb: max batch"]
    max_a, max_b = a_doc["results"][0]["max_batch"], b_doc["results"][0]["max_batch"]
    assert (batch["a"], batch["b"]) == (max_a, max_b)
    assert batch["ratio_b_over_a"] == pytest.approx(max_b / max_a)
    assert all(f["a"] is not None and f["b"] is not None and f["ratio_b_over_a"] is not None for f in rows.values())
    tpot = rows["h100-sxm / a100-sxm-80gb: TPOT at batch 1"]
    assert (tpot["a"], tpot["b"]) == (a_doc["results"][0]["points"][0]["tpot_s"],
                                      b_doc["results"][0]["points"][0]["tpot_s"])
    out, _ = _cli(capsys, "history", "compare", *(r.id for r in reversed(history.list_runs(limit=2))))
    assert "h100-sxm / a100-sxm-80gb: max batch" in " ".join(out.split())


def test_runs_on_several_devices_keep_their_labels(capsys: pytest.CaptureFixture[str]) -> None:
    _cli(capsys, *_SERVE, "--hardware", "h100-sxm,a100-sxm-80gb")
    _cli(capsys, *_SERVE, "--hardware", "h100-sxm,a100-sxm-80gb", "--kv-dtype", "fp8")
    labels = [str(f["figure"]) for f in _figures(_compare(capsys))]
    assert "h100-sxm: max batch" in labels and "a100-sxm-80gb: max batch" in labels
    assert not [label for label in labels if " / " in label.split(":")[0]]


def test_one_device_keeps_its_label(capsys: pytest.CaptureFixture[str]) -> None:
    _cli(capsys, *_SERVE, "--hardware", "h100-sxm")
    _cli(capsys, *_SERVE, "--hardware", "h100-sxm", "--kv-dtype", "fp8")
    doc = _compare(capsys)
    assert doc["subject_warning"] is None
    assert "h100-sxm: max batch" in [str(f["figure"]) for f in _figures(doc)]
