"""What optimize saves and sizes: one state-dict size for every variant and the baseline (compress and steps each
had their own: the quantization notes' 'before' size disagreed with the baseline row by the pickled metadata), and
a saved variant loads into the user's own class, even one with a submodule called `inner` (our autocast wrapper's
attribute name: its 'inner.' prefix was stripped by name)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize import compress, steps  # noqa: E402
from accelopt.optimize.base import Target, Variant, get_technique  # noqa: E402
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


class _Convs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                  nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())
        self.head = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 1, 8, 8) -> (B, 4)
        return self.head(self.body(x).mean((2, 3)))


def test_a_saved_pruned_model_loads_into_the_users_class(tmp_path: Path) -> None:
    """--save of prune-structured wrote a plain state dict of the pruned widths: `YourModel().load_state_dict`
    failed with 'size mismatch'. It is written as torch-pruning's state_dict, which rebuilds the pruned layers in a
    fresh instance of the user's class; the rebuilt model gives the variant's outputs (stated: within 1e-6)."""
    tp = pytest.importorskip("torch_pruning")
    from accelopt.optimize.recipe import save
    from accelopt.optimize.results import OptimizeResult, Recommendation, VariantResult

    torch.manual_seed(0)
    data = [(torch.randn(8, 1, 8, 8), torch.randint(0, 4, (8,)))]
    bundle = ModelBundle(name="convs", model=_Convs().eval(), batches=lambda: iter(data),
                         loss_fn=nn.functional.cross_entropy, batch_size=8)
    v = get_technique("prune-structured").apply(bundle, Target(mode="inference", device="cpu"), {"finetune_steps": 0})
    rows = [VariantResult(name="baseline", techniques=[], family="baseline", status="measured"),
            VariantResult(name="prune-structured", techniques=["prune-structured"], family="pruning",
                          status="measured")]
    result = OptimizeResult(name="convs", mode="inference", device="cpu", dtype="fp32", batch_size=8, metric="loss",
                            higher_is_better=False, quality_tolerance=1.0, quality_tolerance_unit="percent",
                            variants=rows)
    result.recommendation = Recommendation(name="prune-structured", techniques=["prune-structured"], speedup=1.5,
                                           reason="(the test's)")
    _, path = save(tmp_path, result, {"prune-structured": v}, bundle.model)
    assert path is not None
    fresh = tp.load_state_dict(_Convs().eval(), torch.load(path, weights_only=False))
    x = data[0][0]
    with torch.no_grad():
        assert (fresh(x) - v.forward(x)).abs().max() < 1e-6
    assert any("torch_pruning.load_state_dict" in n for n in result.notes)


_USER_FILE = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


class Block(nn.Module):  # a custom submodule class: pickled by tp.state_dict under accelopt's module name
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, padding=1)
        self.blocks = nn.Sequential(Block(16), Block(16))
        self.head = nn.Linear(16, 4)

    def forward(self, x):  # (B, 1, 8, 8) -> (B, 4)
        return self.head(self.blocks(torch.relu(self.stem(x))).mean((2, 3)))


def build():
    torch.manual_seed(0)
    data = [(torch.randn(8, 1, 8, 8), torch.randint(0, 4, (8,)))]
    return ModelBundle(name="blocks", model=Net().eval(), batches=lambda: iter(data),
                       loss_fn=nn.functional.cross_entropy, batch_size=8)
'''


def _result_recommending(name: str, techniques: list[str], mode: str = "inference") -> Any:
    from accelopt.optimize.results import OptimizeResult, Recommendation, VariantResult

    rows = [VariantResult(name="baseline", techniques=[], family="baseline", status="measured"),
            VariantResult(name=name, techniques=techniques, family="x", status="measured")]
    result = OptimizeResult(name="m", mode=mode, device="cpu", dtype="fp32", batch_size=8, metric="loss",
                            higher_is_better=False, quality_tolerance=1.0, quality_tolerance_unit="percent",
                            variants=rows)
    result.recommendation = Recommendation(name=name, techniques=techniques, speedup=1.5, reason="(the test's)")
    return result


def test_a_saved_pruned_model_of_a_user_file_loads_in_the_users_own_process(tmp_path: Path) -> None:
    """tp.state_dict pickled each module's whole __dict__, child modules included: the user's Block class was
    recorded under the name accelopt imported the user's file as (accelopt_user_<hash>), so a fresh process doing
    `from my_model import Net` failed with ModuleNotFoundError. Loaded there, the model gives the variant's outputs
    (stated: within 1e-5)."""
    import subprocess
    import sys

    pytest.importorskip("torch_pruning")
    from accelopt.optimize.recipe import save
    from accelopt.workload.userfile import load_user_factory

    (tmp_path / "my_model.py").write_text(_USER_FILE)
    bundle = load_user_factory(f"{tmp_path / 'my_model.py'}:build")
    v = get_technique("prune-structured").apply(bundle, Target(mode="inference", device="cpu"), {"finetune_steps": 0})
    result = _result_recommending("prune-structured", ["prune-structured"])
    _, path = save(tmp_path / "out", result, {"prune-structured": v}, bundle.model)
    assert path is not None
    x = next(bundle.batches())[0]
    with torch.no_grad():
        torch.save(v.forward(x), tmp_path / "expected.pt")
    torch.save(x, tmp_path / "x.pt")
    script = ("import torch, torch_pruning as tp; from my_model import Net; "
              f"m = tp.load_state_dict(Net().eval(), torch.load({str(path)!r}, weights_only=False)); "
              f"x = torch.load({str(tmp_path / 'x.pt')!r}); e = torch.load({str(tmp_path / 'expected.pt')!r}); "
              "d = (m(x) - e).abs().max().item(); print(d); assert d < 1e-5, d")
    env = {**__import__("os").environ, "PYTHONPATH": f"{tmp_path}:{Path(__file__).parents[1] / 'src'}"}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert any("torch_pruning.load_state_dict(Net(...)" in n for n in result.notes)


class _Listed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(nn.Linear(16, 16) for _ in range(3))
        self.layers = nn.Sequential(*(nn.Linear(16, 16) for _ in range(4)), nn.Linear(16, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for b in self.blocks:
            x = torch.relu(b(x))
        return self.layers(x)


@pytest.mark.parametrize("blocks", ["blocks", "layers"])
def test_a_saved_checkpointed_variant_loads_into_the_users_class(blocks: str, tmp_path: Path) -> None:
    """activation-checkpointing's save kept its wrapper in the names ('blocks.0.inner.weight', a Sequential's
    layers renumbered into segments), so it loaded into nothing, and recipe.save rewrote it with tp.state_dict,
    whose pickling of the local wrapper class raised "Can't pickle local object" after the whole run."""
    from accelopt.optimize import trainloop
    from accelopt.optimize.recipe import save

    model = _Listed()
    wrapped, _ = trainloop._checkpoint(model, blocks, getattr(model, blocks))
    v = Variant(technique="activation-checkpointing", model=wrapped, forward=wrapped,
                save=steps.state_dict_saver(wrapped, "activation-checkpointing"))
    result = _result_recommending("activation-checkpointing", ["activation-checkpointing"], mode="train")
    _, path = save(tmp_path, result, {"activation-checkpointing": v}, _Listed())
    assert path is not None
    fresh = _Listed()
    fresh.load_state_dict(torch.load(path), strict=True)
    x = torch.randn(2, 16)
    with torch.no_grad():
        assert torch.equal(fresh(x), wrapped.eval()(x))
    assert not any("pruned layer widths" in n for n in result.notes)


def test_a_saved_train_mode_unstructured_prune_stays_a_plain_state_dict(tmp_path: Path) -> None:
    """Train-mode prune-unstructured keeps masks (weight_orig, weight_mask) on its model, so its keys differ from
    the user's: recipe.save replaced the folded plain state dict with tp.state_dict of the masked model and noted
    'holds pruned layer widths'."""
    pytest.importorskip("torch_pruning")
    from accelopt.optimize.recipe import save

    b = _bundle()
    v = get_technique("prune-unstructured").apply(b, Target(mode="train", device="cpu"), {"finetune_steps": 0})
    result = _result_recommending("prune-unstructured", ["prune-unstructured"], mode="train")
    _, path = save(tmp_path, result, {"prune-unstructured": v}, b.model)
    assert path is not None
    _WithInner().load_state_dict(torch.load(path), strict=True)
    assert not any("pruned layer widths" in n for n in result.notes)


def test_a_save_that_fails_is_an_error_and_keeps_the_files_there(tmp_path: Path) -> None:
    """A model torch.save cannot write raised a bare exception after the run (result lost) and left the model file
    half-written in place of the one there, with no recipe.json."""
    from accelopt.errors import AcceloptError
    from accelopt.optimize.recipe import save

    def broken(folder: Path) -> Path:
        (folder / "model-t.pt").write_bytes(b"half")
        raise AttributeError("Can't pickle local object")

    (tmp_path / "model-t.pt").write_bytes(b"the user's earlier model")
    (tmp_path / "recipe.json").write_text("{}")
    v = Variant(technique="t", model=None, forward=lambda x: x, save=broken)
    with pytest.raises(AcceloptError, match="could not write the t model"):
        save(tmp_path, _result_recommending("t", ["t"]), {"t": v})
    assert (tmp_path / "model-t.pt").read_bytes() == b"the user's earlier model"
    assert (tmp_path / "recipe.json").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model-t.pt", "recipe.json"]


@pytest.mark.parametrize("name", ["int8-dynamic", "int8-weight-only"])
def test_a_saved_torchao_model_says_how_it_loads_and_loads_so(name: str, tmp_path: Path) -> None:
    """--save of a torchao-quantized variant wrote a state dict of Int8Tensor weights that the README's
    `YourModel().load_state_dict(torch.load(path))` cannot load (weights_only refuses the subclass; without it the
    copy into the fp32 Parameter fails) and nothing said how. A note now gives the load line; following it gives the
    variant's outputs exactly (the same kernels on the same int8 weights)."""
    pytest.importorskip("torchao")
    import re

    from accelopt.optimize.recipe import save

    b = _bundle()
    v = get_technique(name).apply(b, Target(mode="inference", device="cpu"), {})
    result = _result_recommending(name, [name])
    _, path = save(tmp_path, result, {name: v}, b.model)
    assert path is not None
    with pytest.raises(Exception):  # noqa: B017 - what a user tried first, as for every other save
        _WithInner().load_state_dict(torch.load(path, weights_only=False))
    notes = [n for n in result.notes if "quantized tensors" in n]
    assert len(notes) == 1 and "_WithInner(...).load_state_dict(" in notes[0], result.notes
    assert re.search(r"weights_only=False\), assign=True\)", notes[0])
    fresh = _WithInner()
    fresh.load_state_dict(torch.load(path, weights_only=False), assign=True)
    x = torch.randn(4, 16)
    with torch.no_grad():
        assert torch.equal(fresh.eval()(x), v.forward(x))


def test_a_plain_save_carries_no_quantized_load_note(tmp_path: Path) -> None:
    from accelopt.optimize.recipe import save

    model = _WithInner()
    v = Variant(technique="t", model=model, forward=model, save=steps.state_dict_saver(model, "t"))
    result = _result_recommending("t", ["t"])
    save(tmp_path, result, {"t": v}, model)
    assert not any("quantized tensors" in n for n in result.notes)


def test_a_train_mode_save_holds_the_weights_the_technique_made(tmp_path: Path) -> None:
    """--mode train --save wrote the recommended variant's weights after the run's own training steps (quality
    steps, warm-up, every timed step: as many as the machine's speed allowed), so model-baseline.pt was not the
    user's model, and reloading a GRU's scored a held-out loss of 4.1e-4 against the 7.1e-4 the recipe recorded.
    fused-optimizer changes no weight, so whichever of it and the baseline is recommended, the file holds the
    user's weights exactly."""
    from accelopt.optimize.recipe import save
    from accelopt.optimize.runner import RunOptions, run_optimize

    torch.manual_seed(0)
    data = [(torch.randn(8, 16), torch.randint(0, 4, (8,))) for _ in range(3)]
    model = _WithInner()
    given = {k: t.clone() for k, t in model.state_dict().items()}
    bundle = ModelBundle(name="with-inner", model=model, batches=lambda: iter(data),
                         loss_fn=nn.functional.cross_entropy, batch_size=8, eval_batches=lambda: iter(data[:1]),
                         metric="accuracy", make_optimizer=lambda ps: torch.optim.SGD(ps, lr=0.5))
    opts = RunOptions(mode="train", only=["fused-optimizer"], rounds=3, block_s=0.005, warmup=1, quality_steps=3,
                      profile_bounds=False, quality_tolerance=100.0)
    result, variants = run_optimize(bundle, opts)
    trained = {k: t.clone() for k, t in variants["baseline"].model.state_dict().items()}
    assert any(not torch.equal(trained[k], given[k]) for k in given)  # the run did train its copies
    _, path = save(tmp_path, result, variants, model)
    assert path is not None
    saved = torch.load(path)
    assert sorted(saved) == sorted(given)
    for k, t in given.items():
        assert torch.equal(saved[k], t), k
    assert any("before the run trained them" in n and "after 3 training steps" in n for n in result.notes)
    after = variants["baseline"].model.state_dict()
    assert all(torch.equal(after[k], trained[k]) for k in trained)  # the run's models are put back after the save
