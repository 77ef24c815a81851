"""prune-structured on a model it cannot prune (a raw nn.LSTM from a model file: no prunable group) said
'fix: use prune-unstructured or distill', while distill on the same model was not applicable either: without
eval_batches by its own check, and otherwise because the student it derives is this same structured pruning
('nothing in raw-lstm could be narrowed into a student'). The fix now names distill only as far as it applies:
with its reason where it does not, with a student of the user's (meta['student']) where it needs one. A model with no
Linear, Conv or MultiheadAttention layer (the raw LSTM) is not applicable before torch-pruning runs, and its fix no
longer names prune-unstructured, which refuses such a model too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("torch_pruning")

from conftest import run_main

MODEL_FILE = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


def lstm(eval_batches=True, student=False):
    g = torch.Generator().manual_seed(0)
    data = [(torch.randn(4, 6, 5, generator=g), torch.randn(4, 6, 8, generator=g)) for _ in range(2)]
    meta = {"student": lambda: nn.LSTM(5, 8, batch_first=True)} if student else {}
    # the raw module: its forward returns (output (B, T, 8), (h, c))
    return ModelBundle(name="raw-lstm", model=nn.LSTM(5, 8, batch_first=True), batches=lambda: iter(data),
                       eval_batches=(lambda: iter(data)) if eval_batches else None, batch_size=4, metric="loss",
                       loss_fn=lambda out, y: nn.functional.mse_loss(out[0], y), meta=meta)


def lstm_no_eval():
    return lstm(eval_batches=False)


def lstm_with_student():
    return lstm(student=True)
'''


def _reasons(tmp_path: Path, factory: str, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    path = tmp_path / "models.py"
    path.write_text(MODEL_FILE)
    code, out, err = run_main(["optimize", f"{path}:{factory}", "--only", "prune-structured,distill", "--rounds",
                               "3", "--block-s", "0.01", "--json"], capsys)
    assert code == 0, err
    return {v["name"]: v.get("reason") or "" for v in json.loads(out)["variants"]}


def test_without_eval_batches_distill_is_not_suggested(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 2026-12-04 (int): neither technique applies here, so --only naming just these two is refused before anything
    # is measured (utopt, tests/test_optimize_only_not_applicable.py); the refusal quotes each one's reason
    path = tmp_path / "models.py"
    path.write_text(MODEL_FILE)
    code, _, err = run_main(["optimize", f"{path}:lstm_no_eval", "--only", "prune-structured,distill", "--rounds",
                             "3", "--block-s", "0.01"], capsys)
    assert code == 2, err
    distill = "without eval_batches the student's quality gap cannot be measured"
    assert f"distill: {distill}" in err, err
    why = err.split("prune-structured: ", 1)[1]
    # not applicable before torch-pruning runs (ut_opt2); prune-unstructured, which the fix named, refuses a raw
    # LSTM too ('no Linear or Conv layer to prune')
    assert "has no Linear, Conv or MultiheadAttention layer" in why and "prune-unstructured" not in why, why
    assert f"distill does not apply either: {distill}" in why, why


def test_distill_is_suggested_with_the_student_it_needs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With eval_batches distill passes its own check, but its derived student is this same pruning: the fix asks
    for meta['student'], as distill's own failure does."""
    reasons = _reasons(tmp_path, "lstm", capsys)
    # 2026-12-05 (utopt3): a model with no Linear/Conv/MultiheadAttention (this raw LSTM) is now told so by distill
    # too; it read 'nothing could be narrowed ... (every group is an output layer, ...)' of a model with no group
    assert "has no Linear, Conv or MultiheadAttention layer to narrow into a student" in reasons["distill"], reasons
    assert "meta['student']" in reasons["distill"], reasons
    why = reasons["prune-structured"]
    assert "has no Linear, Conv or MultiheadAttention layer" in why and "prune-unstructured" not in why, why
    assert why.endswith("distill into a smaller student given as ModelBundle.meta['student']"), why


def test_a_bundle_with_a_student_is_pointed_at_it(tmp_path: Path) -> None:
    from accelopt.errors import UnsupportedError
    from accelopt.optimize.base import Target, get_technique
    from accelopt.workload.userfile import load_user_factory

    path = tmp_path / "models.py"
    path.write_text(MODEL_FILE)
    bundle = load_user_factory(f"{path}:lstm_with_student")
    with pytest.raises(UnsupportedError, match="could be pruned structurally") as e:
        get_technique("prune-structured").apply(bundle, Target(mode="inference", device="cpu"), {"finetune_steps": 0})
    assert e.value.fix == "use prune-unstructured, or distill into the bundle's meta['student']"
