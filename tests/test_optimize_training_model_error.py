"""prune-structured's fine-tune, prune-unstructured's (finetune_steps), and distill's two students train the model
in training mode (model.train()) inside an inference run. A model whose own code raises there (an inference-only
model refusing training mode, as a user's export wrapper may) read as a bare 'RuntimeError: this model is
inference-only' in the variant's row: the same as a bug of the technique, with no word that the model's own forward
raised, nor where (the user never asked for training). The training loop now calls the step through user_call,
as every other call into the bundle is: 'model NAME raised RuntimeError in prune-structured's fine-tune, ...'."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torch_pruning")

from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.optimize.runner import RunOptions, run_optimize  # noqa: E402
from accelopt.workload.usercode import ModelCodeError  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

CPU = Target(mode="inference", device="cpu", budget_s=60)


class _EvalOnly(nn.Module):
    """Runs in eval mode only; the dropout must stay off."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.drop, self.head = nn.Linear(8, 32), nn.Dropout(0.5), nn.Linear(32, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 8) -> (B, 3)
        if self.training:
            raise RuntimeError("inference-only model: call model.eval()")
        return self.head(self.drop(torch.relu(self.a(x))))


def _bundle() -> ModelBundle:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    data = [(torch.randn(8, 8, generator=g), torch.randint(0, 3, (8,), generator=g)) for _ in range(3)]
    return ModelBundle(name="eval-only", model=_EvalOnly().eval(), batches=lambda: iter(data[:2]),
                       loss_fn=nn.functional.cross_entropy, batch_size=8, eval_batches=lambda: iter(data[2:]),
                       metric="accuracy")


@pytest.mark.parametrize(("technique", "options", "where"), [
    ("prune-structured", {"finetune_steps": 2}, "in prune-structured's fine-tune"),
    ("prune-unstructured", {"finetune_steps": 2}, "in prune-unstructured's fine-tune"),
    ("distill", {"steps": 2}, "in distill's training of the student on the teacher's soft targets"),
])
def test_the_model_raising_in_a_techniques_training_is_named_as_the_models(technique: str, options: dict[str, int],
                                                                            where: str) -> None:
    with pytest.raises(ModelCodeError) as e:
        get_technique(technique).apply(_bundle(), CPU, options)
    assert e.value.problem.startswith(f"model 'eval-only' raised RuntimeError {where}, training step 1 "
                                      "(model.train()): inference-only model: call model.eval()"), e.value.problem


def test_the_failed_row_says_where_the_model_raised() -> None:
    result, _ = run_optimize(_bundle(), RunOptions(only=["prune-structured"], rounds=3, block_s=0.001,
                                                   profile_bounds=False, combinations=0))
    row = next(r for r in result.variants if r.name == "prune-structured")
    assert row.status == "failed"
    assert row.reason.startswith("model 'eval-only' raised RuntimeError in prune-structured's fine-tune"), row.reason
