"""distill on a model without class scores: its soft-target term is a softmax over the output's last dimension
(Hinton et al. 2015), which over one value is 1, so a regression model's (B, 1) output 'distilled' with a KL term
of 0: the student trained on its labels alone (scaled by 1 - alpha, which AdamW does not feel), its row read
'distill' and 'KD loss of Hinton et al. 2015', and the notes gave the distilled and the label-only students the
same held-out mae, 1.247 and 1.247. A (B,) output was worse: one distribution over the batch's samples. Both are
now 'not-applicable' with the reason; a classifier's (B, C) logits still distil."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torch_pruning")

from torch import nn  # noqa: E402

from accelopt.errors import UnsupportedError  # noqa: E402
from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

CPU = Target(mode="inference", device="cpu", budget_s=60)


class _Squeeze(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.squeeze(-1)


def _bundle(outputs: int, squeeze: bool = False) -> ModelBundle:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    w = torch.randn(10, outputs, generator=g)
    data = [(x, (x @ w).squeeze(-1) if squeeze else x @ w) for x in (torch.randn(16, 10, generator=g)
                                                                      for _ in range(3))]
    layers: list[nn.Module] = [nn.Linear(10, 32), nn.GELU(), nn.Linear(32, outputs)]
    model = nn.Sequential(*layers, *([_Squeeze()] if squeeze else []))
    return ModelBundle(name="regress", model=model.eval(), batches=lambda: iter(data[:2]),
                       loss_fn=nn.functional.mse_loss, batch_size=16, eval_batches=lambda: iter(data[2:]),
                       metric="loss")


@pytest.mark.parametrize(("outputs", "squeeze", "shape"), [(1, False, r"\(16, 1\)"), (1, True, r"\(16,\)")])
def test_a_regression_output_is_not_distilled_on_a_zero_soft_term(outputs: int, squeeze: bool, shape: str) -> None:
    with pytest.raises(UnsupportedError, match=f"output {shape} has no class scores") as e:
        get_technique("distill").apply(_bundle(outputs, squeeze), CPU, {"steps": 5})
    assert "soft-target term is 0" in e.value.problem and "--skip distill" in e.value.fix


def test_scores_over_several_outputs_still_distil() -> None:
    v = get_technique("distill").apply(_bundle(3), CPU, {"steps": 5})
    assert v.params["steps"] == 5 and v.params["student_params"] < v.params["teacher_params"]
