"""`profile` of a model without convolutions (a GPT) advised 'optimize MODEL --only
channels-last,compile,compile-max-autotune' for its slow matmuls, though channels_last only changes the layout of 4-D
conv activations (optimize/layout.py refuses it there: 'the model has no 2-D convolutions'). The compute advice now
names channels-last only where the step has convolutions still in NCHW, and the 'gain up to' bound optimize prints
for channels-last comes from the recommendations that name it, so a GPT's list and bound agree."""

from __future__ import annotations

import pytest

from accelopt.measure.diagnose import Facts, diagnose_facts, gain_bound
from accelopt.measure.roofline import RooflineRow
from accelopt.report.profile_view import diagnosis_table


def _row(op: str, time_s: float, kinds: tuple[str, ...], t_roof: float) -> RooflineRow:
    return RooflineRow(op=op, calls_per_step=1, time_s=time_s, flops=0.0, bytes=0.0, intensity_flop_per_byte=None,
                       attained_flop_per_s=0.0, attained_byte_per_s=0.0, roofline_time_s=t_roof,
                       efficiency=t_roof / time_s, verdict="compute-bound", kinds=kinds, dtypes=("bf16",))


def _facts(rows: list[RooflineRow], meta: dict | None = None) -> Facts:
    phases = {"data_wait": 0.0, "h2d_copy": 0.0, "forward": 0.3, "backward": 0.5, "optimizer": 0.0}
    return Facts(phase_s=phases, rows=rows, profiled_step_s=1.0, dtype="bf16", device="cpu", train=True,
                 meta=meta or {})


def _compute_rec(f: Facts):  # type: ignore[no-untyped-def]
    return next(r for r in diagnose_facts(f).recommendations if r.action.startswith("raise matmul efficiency"))


def test_a_model_without_convolutions_is_not_told_to_try_channels_last() -> None:
    f = _facts([_row("aten::mm", 0.8, ("matmul",), t_roof=0.08)])  # 10% of the compute roof
    rec = _compute_rec(f)
    assert rec.techniques == ("compile", "compile-max-autotune")
    d = diagnose_facts(f)
    said = " ".join(str(c) for col in diagnosis_table(d).columns for c in col._cells)
    assert "--only compile,compile-max-autotune" in said and "channels-last" not in said
    # no recommendation names channels-last, so optimize gives it no bound (it is not applicable there anyway)
    assert gain_bound(d, ("channels-last",))[0] is None
    # compile keeps its bound, formed from the recommendations that name it (the compute one among them)
    bound, how = gain_bound(d, ("compile",))
    assert bound is not None and bound >= rec.speedup_max and "compute-bound ops" in how


def test_a_model_with_convolutions_keeps_channels_last_and_its_bound() -> None:
    rows = [_row("aten::convolution", 0.6, ("conv",), t_roof=0.12), _row("aten::mm", 0.2, ("matmul",), t_roof=0.02)]
    rec = _compute_rec(_facts(rows))
    assert rec.techniques == ("channels-last", "compile", "compile-max-autotune")
    d = diagnose_facts(_facts(rows))
    bound, how = gain_bound(d, ("channels-last",))
    assert bound is not None and "compute-bound ops" in how
    # already channels_last: nothing left for the layout to change
    assert _compute_rec(_facts(rows, {"channels_last": True})).techniques == ("compile", "compile-max-autotune")


def test_a_conv1d_only_model_is_not_told_to_try_channels_last() -> None:
    """leftovers3: a model whose only convolutions are Conv1d (3-D activations, no channels_last layout: PyTorch
    raises 'required rank 4 tensor to use channels_last format') was offered channels-last, which optimize then
    reported not applicable ('the model has no 2-D convolutions'). The profiler's meta 'conv2d' (False here) now
    keeps it out of the compute advice and drops the channels-last recommendation."""
    rows = [_row("aten::convolution", 0.6, ("conv",), t_roof=0.12), _row("aten::mm", 0.2, ("matmul",), t_roof=0.02)]
    d = diagnose_facts(_facts(rows, {"conv2d": False}))
    assert _compute_rec(_facts(rows, {"conv2d": False})).techniques == ("compile", "compile-max-autotune")
    assert all("channels-last" not in r.techniques for r in d.recommendations)
    assert gain_bound(d, ("channels-last",))[0] is None
    # a 2-D conv net keeps both
    d2 = diagnose_facts(_facts(rows, {"conv2d": True}))
    assert any(r.techniques == ("channels-last",) for r in d2.recommendations)


def test_the_profiler_records_whether_the_model_has_2d_convolutions() -> None:
    import torch
    from torch import nn

    from accelopt.measure.profiler import _result_meta
    from accelopt.workload.userfile import ModelBundle

    def bundle(model: nn.Module) -> ModelBundle:
        return ModelBundle(name="m", model=model, batches=lambda: iter([(torch.zeros(1), torch.zeros(1))]),
                           loss_fn=nn.functional.mse_loss, batch_size=1, meta={"num_workers": 2})

    audio = nn.Sequential(nn.Conv1d(1, 8, 5), nn.ReLU(), nn.Conv1d(8, 8, 5))
    meta = _result_meta(bundle(audio))
    assert meta["conv2d"] is False and meta["num_workers"] == 2  # the bundle's own facts kept
    assert _result_meta(bundle(nn.Sequential(nn.Conv2d(3, 8, 3))))["conv2d"] is True


def test_channels_last_is_bounded_by_the_convolutions_not_every_compute_bound_op() -> None:
    """utopt (2026-12-04): `optimize` of a conv + attention net (odd.py:convattn: Conv2d, MultiheadAttention, Linear)
    printed channels-last 'gain up to 531.94x': its bound summed the compute advice (compute-bound ops, 87% of the
    step, 7.87x: the attention matmuls among them) with the convolutions' own (1.31x), and the overlap cap left
    almost nothing of the step. channels_last changes the convolutions' layout only, so its bound is theirs;
    compile, which the compute advice names too, keeps the compute share."""
    rows = [_row("aten::convolution", 0.2, ("conv",), t_roof=0.1), _row("aten::mm", 0.7, ("matmul",), t_roof=0.007)]
    d = diagnose_facts(_facts(rows))
    conv = next(r for r in d.recommendations if r.techniques == ("channels-last",))
    assert "channels-last" in _compute_rec(_facts(rows)).techniques  # the advice still lists it to try
    bound, how = gain_bound(d, ("channels-last",))
    # the convolutions at their roof: 0.2 -> 0.1 of the step
    assert bound == conv.speedup_max == pytest.approx(1 / (0.8 + 0.1))
    assert "convolutions" in how and "ops at the compute roof" not in how
    # a combination with compile is bounded by the compute share it reaches
    both, _ = gain_bound(d, ("channels-last", "compile"))
    assert both is not None and both > 5 * bound
