"""`profile` of a model whose work depends on its input (ut5prof): the forward of the first two batches is counted
(capture.forward_work) and a difference is said in the JSON (`input_dependence`, profile schema 7), as the first
diagnosis note, in the work table's FLOPs row and in `history show`'s key figures. It reported the captured batch's
FLOPs as every step's, unsaid: a branch on x.mean() read 4.89 MFLOP of forward while the other batches ran 44.6
kFLOP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from accelopt.measure.diagnose import diagnose
from accelopt.measure.profiler import check_input_dependence, profile_step
from accelopt.measure.roofline import Ceilings
from accelopt.report import figures, schema
from accelopt.report.profile_view import compute_rows
from accelopt.workload.capture import forward_work
from accelopt.workload.userfile import ModelBundle

ROOFS = Ceilings(peak_flop_per_s=1e10, memory_bandwidth_byte_per_s=1e10, dtype="fp32", source="test",
                 is_measured=False)  # given: no in-process roof measurement


class Branchy(nn.Module):
    """A data-dependent branch: a 64 -> 1024 -> 10 MLP for a batch of positive mean, else one 64 -> 10 layer."""

    def __init__(self) -> None:
        super().__init__()
        self.small = nn.Linear(64, 10)
        self.big = nn.Sequential(nn.Linear(64, 1024), nn.ReLU(), nn.Linear(1024, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.big(x) if x.mean() > 0 else self.small(x)


class EarlyExit(nn.Module):
    """Stops after the first of 4 layers once every sample's top probability passes 0.5 (an early-exit network)."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(64, 64) for _ in range(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
            if x.softmax(-1).amax(-1).min() > 0.5:
                break
        return x


def _bundle(model: nn.Module, shift: float, batches: int = 4, rows: tuple[int, int] = (32, 32),
            classes: int = 10) -> ModelBundle:
    """Batches of alternating mean (+shift, -shift), `rows` samples in the first two."""
    torch.manual_seed(0)

    def gen() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        g = torch.Generator().manual_seed(0)
        for i in range(batches):
            n = rows[i % 2]
            x = torch.randn(n, 64, generator=g) + (shift if i % 2 == 0 else -shift)
            yield x, torch.randint(0, classes, (n,), generator=g)
    return ModelBundle(name=type(model).__name__.lower(), model=model, batches=gen,
                       loss_fn=nn.functional.cross_entropy, batch_size=rows[0])


def test_forward_work_follows_the_branch_taken() -> None:
    b = _bundle(Branchy(), 3.0)
    it = iter(b.batches())
    (big, n_big), (small, n_small) = (forward_work(b, next(it)) for _ in range(2))
    # the matmuls alone: 2 FLOP per multiply-accumulate, batch 32
    assert big >= 2 * 32 * (64 * 1024 + 1024 * 10) and small >= 2 * 32 * 64 * 10
    assert small < 2 * 32 * 64 * 10 * 1.5 and n_big > n_small


def test_same_path_for_every_batch_is_not_flagged() -> None:
    dep = check_input_dependence(_bundle(nn.Linear(64, 10), 3.0), "train", "fp32", "cpu")
    assert dep is not None and not dep.varies and dep.same_shapes and dep.note == ""
    assert dep.forward_flops[0] == dep.forward_flops[1]


def test_one_batch_only_is_not_checked() -> None:
    assert check_input_dependence(_bundle(Branchy(), 3.0, batches=1), "train", "fp32", "cpu") is None


def test_an_early_exit_is_flagged_at_inference() -> None:
    torch.manual_seed(0)
    model = EarlyExit()
    with torch.no_grad():  # batch 1 exits after layer 1, batch 2 runs all 4
        model.layers[0].weight.zero_()
        model.layers[0].bias.copy_(torch.arange(64.0))  # logits 0..63: top probability 1 / sum e^-k = 0.63
    x = torch.randn(32, 64)

    def gen() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        yield x, torch.zeros(32, dtype=torch.long)
        yield x * float("nan"), torch.zeros(32, dtype=torch.long)  # NaN: no exit test passes
    b = ModelBundle(name="early-exit", model=model, batches=gen, loss_fn=nn.functional.cross_entropy, batch_size=32)
    dep = check_input_dependence(b, "inference", "fp32", "cpu")
    assert dep is not None and dep.varies and dep.same_shapes
    assert dep.forward_flops[1] > 3 * dep.forward_flops[0]  # 4 layers against 1


def test_batches_of_varying_shape_are_flagged_as_such() -> None:
    dep = check_input_dependence(_bundle(nn.Linear(64, 10), 0.0, rows=(32, 8)), "train", "fp32", "cpu")
    assert dep is not None and dep.varies and not dep.same_shapes
    assert "the two batches' shapes differ" in dep.note


def test_profile_says_it_in_json_notes_work_table_and_history_figures() -> None:
    r = profile_step(_bundle(Branchy(), 3.0), steps=3, warmup=1, breakdown_steps=3, profiler_steps=2,
                     ceilings=ROOFS)
    dep = r.input_dependence
    assert dep is not None and dep.varies and dep.same_shapes
    big, small = dep.forward_flops
    assert big > 50 * small  # 64 x 1024 x 10 MLP against one 64 x 10 layer
    diagnose(r)
    assert r.diagnosis is not None and r.diagnosis.notes[0].startswith("the work varies with the input (same shapes")
    flops_how = dict((label, how) for label, _, how in compute_rows(r))["FLOPs per step"]
    assert "batch 1's: it varies with the input" in flops_how
    doc = json.loads(json.dumps(schema.dump("profile", r)))
    assert doc["schema_version"] == 7 and doc["input_dependence"]["varies"] is True
    back = schema.load("profile", doc)
    assert back.input_dependence.forward_flops == [big, small]
    labels = [f.label for f in figures.key_figures("profile", back)]
    assert "achieved (batch 1's FLOPs: the work varies with the input)" in labels


def test_a_version_6_record_reads_without_it() -> None:
    r = profile_step(_bundle(nn.Linear(64, 10), 3.0), steps=3, warmup=0, breakdown_steps=3, profiler_steps=2,
                     ceilings=ROOFS)
    doc: dict[str, Any] = json.loads(json.dumps(schema.dump("profile", r)))
    doc["schema_version"] = 6
    del doc["input_dependence"]
    back = schema.load("profile", doc)
    assert back.input_dependence is None
    assert "achieved" in [f.label for f in figures.key_figures("profile", back)]


def test_two_clusters_of_step_times_name_the_varying_work_as_a_cause() -> None:
    """A model whose batches alternate between two paths times in two clusters by itself; the warning said only
    'something else ran part of the time'."""
    from accelopt.measure.contention import ContentionReport, check_samples

    samples = [1e-3, 1e-3, 1e-3, 5e-3, 5e-3, 5e-3]
    plain, varying = ContentionReport(), ContentionReport()
    check_samples(plain, "step time", samples)
    check_samples(varying, "step time", samples, work_varies=True)
    assert plain.warnings and not any("varies with the input" in w for w in plain.warnings)
    assert any("or the work varies with the input" in w for w in varying.warnings)
