"""What optimize saves and sizes: one state-dict size for every variant and the baseline (compress and steps each
had their own: the quantization notes' 'before' size disagreed with the baseline row by the pickled metadata), and
a saved variant loads into the user's own class, even one with a submodule called `inner` (our autocast wrapper's
attribute name: its 'inner.' prefix was stripped by name)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize import compress, steps  # noqa: E402
from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


class _WithInner(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.Linear(16, 8)
        self.head = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.inner(x)))


@pytest.mark.parametrize("wrap", ["none", "autocast", "compile(autocast)"])
def test_a_saved_variant_loads_into_the_users_class(wrap: str, tmp_path: Path) -> None:
    model = _WithInner()
    wrapped: nn.Module = model
    if wrap != "none":
        wrapped = steps.AutocastModule(model, "cpu", torch.bfloat16)
    if wrap.startswith("compile"):
        wrapped = torch.compile(wrapped)  # (not called: nothing is compiled, the wrapper alone is saved)
    path = steps.state_dict_saver(wrapped, "t")(tmp_path)
    fresh = _WithInner()
    fresh.load_state_dict(torch.load(path), strict=True)  # was: unexpected keys 'weight', 'bias'
    assert torch.equal(fresh.inner.weight, model.inner.weight)


def _bundle() -> ModelBundle:
    torch.manual_seed(0)
    data = [(torch.randn(8, 16), torch.randint(0, 4, (8,))) for _ in range(2)]
    return ModelBundle(name="with-inner", model=_WithInner(), batches=lambda: iter(data),
                       loss_fn=nn.functional.cross_entropy, batch_size=8)


def test_one_size_for_the_baseline_and_the_quantization_notes() -> None:
    pytest.importorskip("torchao")
    b = _bundle()
    assert compress.state_dict_bytes is steps.state_dict_bytes
    v = get_technique("int8-dynamic").apply(b, Target(mode="inference", device="cpu"), {})
    before = [int(m.group(1).replace(",", "")) for n in v.notes if (m := re.search(r"vs ([\d,]+) before", n))]
    assert before == [steps.state_dict_bytes(b.model)]  # the baseline row's size (runner._size)
