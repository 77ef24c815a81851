"""Two optimize texts that were not true (ut_opt, left alone there):
- a variant whose model code raised (ModelCodeError) kept the error's problem in its row but not its fix, though a
  not-applicable row carries '(fix: ...)'; the row now has the fix and, for a single technique, how to leave it out
  (--skip NAME: for an inference-only model, the way past prune-structured's fine-tune);
- the baseline refusal of a train run whose loss goes non-finite said 'within its N training steps before its
  quality is scored' also without eval_batches, where nothing is scored: the steps only check the loss stays
  finite, and the problem now says that."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torch_pruning")

from conftest import run_main  # noqa: E402
from torch import nn  # noqa: E402

from accelopt.optimize.runner import RunOptions, run_optimize  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


class _EvalOnly(nn.Module):
    """Runs in eval mode only (an export wrapper refusing training mode)."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.head = nn.Linear(8, 32), nn.Linear(32, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 8) -> (B, 3)
        if self.training:
            raise RuntimeError("inference-only model: call model.eval()")
        return self.head(torch.relu(self.a(x)))


def test_a_failed_variants_row_keeps_the_fix_and_how_to_leave_it_out() -> None:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    data = [(torch.randn(8, 8, generator=g), torch.randint(0, 3, (8,), generator=g)) for _ in range(3)]
    bundle = ModelBundle(name="eval-only", model=_EvalOnly().eval(), batches=lambda: iter(data[:2]),
                         loss_fn=nn.functional.cross_entropy, batch_size=8, eval_batches=lambda: iter(data[2:]),
                         metric="accuracy")
    result, _ = run_optimize(bundle, RunOptions(only=["prune-structured"], rounds=3, block_s=0.001,
                                                profile_bounds=False, combinations=0))
    row = next(r for r in result.variants if r.name == "prune-structured")
    assert row.status == "failed"
    assert row.reason.startswith("model 'eval-only' raised RuntimeError in prune-structured's fine-tune"), row.reason
    assert "(fix: check that model(*inputs)" in row.reason
    assert row.reason.endswith("; or leave it out: --skip prune-structured)"), row.reason


def _nan_loss_file(tmp_path: Path, with_eval: bool) -> Path:
    f = tmp_path / f"nanloss_{with_eval}.py"
    f.write_text(
        "import torch\nfrom torch import nn\nfrom accelopt.workload.userfile import ModelBundle\n"
        "def build():\n"
        "    g = torch.Generator().manual_seed(0)\n"
        "    d = [(torch.randn(8, 4, generator=g), torch.randint(0, 3, (8,), generator=g)) for _ in range(2)]\n"
        "    m = nn.Linear(4, 3)\n"
        "    return ModelBundle(name='nanloss', model=m, batches=lambda: iter(d),\n"
        "                       loss_fn=lambda o, y: nn.functional.cross_entropy(o, y) * float('nan'),\n"
        "                       batch_size=8"
        + (", eval_batches=lambda: iter(d[:1]), metric='accuracy'" if with_eval else "") + ")\n")
    return f


@pytest.mark.parametrize(("with_eval", "said"), [
    (False, "within its 2 training steps run to check that the loss stays finite (no eval_batches, so no quality "
            "is scored)"),
    (True, "within its 2 training steps before its quality is scored on eval_batches"),
])
def test_the_baseline_loss_refusal_says_what_the_steps_were_for(tmp_path: Path, with_eval: bool, said: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    f = _nan_loss_file(tmp_path, with_eval)
    code, out, err = run_main(["optimize", f"{f}:build", "--mode", "train", "--only", "fused-optimizer",
                               "--rounds", "3", "--quality-steps", "2", "--no-profile-bounds"], capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in flat, flat
    problem = flat.split("fix:")[0]
    assert "training loss became non-finite" in problem and said in problem, flat
    if not with_eval:
        assert "quality is scored (" not in problem
