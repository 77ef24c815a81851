"""grad-accumulation's train-mode memory on a CPU left out the optimizer state: its step kept its optimizer to
itself, and the runner's counted memory (weights + gradients + optimizer state + activations saved for backward)
read the state from the step's `optimizer` attribute, so it counted 0 for it. A 20,800-parameter transformer under
AdamW read 302 KiB for grad-accumulation, less than its weights, gradients and AdamW's two moments alone
(4 x 83,200 B = 325 KiB), against the baseline's 471 KiB (seen on `accelopt optimize my.py:tied --mode train`).
Now the step carries its optimizer like every other train step."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.optimize.runner import _counted_train_memory  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


def _bundle() -> ModelBundle:
    g = torch.Generator().manual_seed(0)
    data = [(torch.randn(8, 16, generator=g), torch.randint(0, 4, (8,), generator=g))]
    return ModelBundle(name="mlp", model=nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)),
                       batches=lambda: iter(data), batch_size=8, loss_fn=nn.functional.cross_entropy)


def test_the_counted_memory_holds_adamws_two_moments() -> None:
    b = _bundle()
    v = get_technique("grad-accumulation").apply(b, Target(mode="train", device="cpu"), {"micro_batches": 2})
    inputs, targets = b.first_batch()
    assert v.train_step is not None
    step = v.train_step
    memory, _ = _counted_train_memory(lambda: step(inputs, targets), v)
    params_bytes = 4 * sum(p.numel() for p in v.model.parameters())  # fp32: (16*32 + 32 + 32*4 + 4) x 4 B
    assert params_bytes == 4 * 676
    # weights + gradients + AdamW's exp_avg and exp_avg_sq (one each per parameter), before any activation
    assert memory is not None and memory >= 4 * params_bytes


def test_the_activations_are_one_micro_batchs_not_the_sum_of_all() -> None:
    """The saved-tensor meter summed what every micro-batch's forward saved over the whole step, though each
    micro-batch's backward frees its own before the next forward: a BatchNorm CNN's grad-accumulation read 215,408 B
    against the baseline's 215,468 B, its activations (189 KiB) counted as if the whole batch were held at once.
    Now the figure holds the most one backward held: half the baseline's for 2 equal micro-batches of this MLP."""
    from accelopt.optimize.runner import _counted_train_memory

    b = _bundle()
    target = Target(mode="train", device="cpu")
    inputs, targets = b.first_batch()
    counted = {}
    for k in (2, 4):
        v = get_technique("grad-accumulation").apply(b, target, {"micro_batches": k})
        step = v.train_step
        assert step is not None
        counted[k], method = _counted_train_memory(lambda s=step: s(inputs, targets), v)
        assert "the most one backward held" in method
        assert step.backward_done == []  # type: ignore[attr-defined]  # the meter's hook taken out after
    base = get_technique("fused-optimizer")  # a plain whole-batch step of the same model and AdamW
    whole = base.apply(b, target, {})
    assert whole.train_step is not None
    whole_step = whole.train_step
    whole_bytes, _ = _counted_train_memory(lambda: whole_step(inputs, targets), whole)
    state = 4 * 4 * 676  # weights + gradients + AdamW's two moments, fp32 (test above)
    assert whole_bytes is not None and counted[2] is not None and counted[4] is not None
    act_whole, act_2, act_4 = whole_bytes - state, counted[2] - state, counted[4] - state
    # Saved per row, fp32: ReLU's output (32 x 4 B, which the second addmm saves too: one storage) and
    # log_softmax's (4 x 4 B) = 144 B; the input and the targets are saved as row slices of the whole batch's
    # tensors, whose storages (8 x 16 x 4 B, 8 x 8 B) are alive whole whatever the slice: counted whole each time.
    # So a micro-batch of 4 rows holds 4 x 144 B fewer than the batch of 8, one of 2 rows 6 x 144 B fewer.
    assert act_whole - act_2 == 4 * 144, (act_whole, act_2)
    assert act_whole - act_4 == 6 * 144, (act_whole, act_4)


class _Recording(nn.Module):
    """nn.Linear that records whether CPU autocast is on in each forward."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 2)
        self.autocast_on: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.autocast_on.append(torch.is_autocast_enabled("cpu"))
        return self.lin(x)


@pytest.mark.parametrize("dtype", ["bf16", "fp32"])
def test_the_micro_batches_run_under_the_baselines_autocast(dtype: str) -> None:
    """With --mode train --dtype bf16 every variant's step runs under the baseline's bf16 autocast (make_train_step),
    but grad-accumulation's own step ran its micro-batches in fp32: its speed-up and quality compared fp32 with a
    bf16 baseline. Now they run under it too; at fp32 under none."""
    data = [(torch.randn(4, 4), torch.randint(0, 2, (4,)))]
    b = ModelBundle(name="rec", model=_Recording(), batches=lambda: iter(data), batch_size=4,
                    loss_fn=nn.functional.cross_entropy)
    v = get_technique("grad-accumulation").apply(b, Target(mode="train", device="cpu", dtype=dtype), {})
    assert v.train_step is not None
    v.train_step(*data[0])
    assert v.model.autocast_on == [dtype == "bf16"] * 2  # two micro-batches, each forward under it (or not)
