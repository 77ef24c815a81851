"""prune-structured (and distill's derived student) on a Hugging Face GPT-2, whose blocks are transformers' Conv1D
layers (`x @ W + b`, weight stored (in, out): the transpose of nn.Linear's). torch-pruning 1.6.1 has no pruner for
Conv1D, so its dependency graph stopped at them and the model was 'nothing could be pruned structurally'. They are
pruned as the nn.Linear they equal (conversion checked bit for bit here) and put back narrowed as Conv1D.

The GPT-2 is built from a config (2 layers, n_embd 64, 4 heads, vocabulary 512) with random weights: no download."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
from torch import nn

from accelopt.optimize.base import Target, get_technique
from accelopt.optimize.pruning import conv1d_as_linear, linear_as_conv1d, prune_structured
from accelopt.optimize.steps import pruned_state
from accelopt.workload.userfile import ModelBundle

transformers = pytest.importorskip("transformers")
tp = pytest.importorskip("torch_pruning")

pytestmark = pytest.mark.usefixtures("torch_one_thread")  # conftest: the model is tiny

CPU = Target(mode="inference", device="cpu", budget_s=30)
VOCAB, SEQ = 512, 16


def _config() -> Any:
    return transformers.GPT2Config(n_layer=2, n_embd=64, n_head=4, vocab_size=VOCAB, n_positions=64)


def _gpt2() -> Any:
    torch.manual_seed(0)
    return transformers.GPT2LMHeadModel(_config()).eval()


def _ids(seed: int, batch: int = 4) -> torch.Tensor:
    return torch.randint(0, VOCAB, (batch, SEQ), generator=torch.Generator().manual_seed(seed))


def _lm_loss(out: Any, ids: torch.Tensor) -> torch.Tensor:
    logits = out.logits[:, :-1]  # (B, T-1, V): each position predicts the next token
    return nn.functional.cross_entropy(logits.reshape(-1, VOCAB), ids[:, 1:].reshape(-1))


def _bundle() -> ModelBundle:
    train = [(_ids(i), _ids(i)) for i in range(4)]
    held = [(_ids(100 + i), _ids(100 + i)) for i in range(2)]
    return ModelBundle(name="gpt2-tiny", model=_gpt2(), batches=lambda: iter(train), loss_fn=_lm_loss,
                       batch_size=4, eval_batches=lambda: iter(held), metric="loss")


def _conv1d() -> Any:
    return transformers.pytorch_utils.Conv1D


def test_conv1d_as_linear_is_exact_and_undone_exactly() -> None:
    model = _gpt2()
    x = _ids(1)
    with torch.no_grad():
        want = model(x).logits
    state = {k: v.clone() for k, v in model.state_dict().items()}
    taken = conv1d_as_linear(model)
    assert sorted(taken) == sorted(n for n, m in _gpt2().named_modules() if isinstance(m, _conv1d()))
    assert len(taken) == 8  # per block: attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj
    assert not any(isinstance(m, _conv1d()) for m in model.modules())
    fc = model.transformer.h[0].mlp.c_fc
    assert isinstance(fc, nn.Linear) and (fc.in_features, fc.out_features) == (64, 256)
    with torch.no_grad():
        assert torch.equal(model(x).logits, want)  # bit for bit
    linear_as_conv1d(model, taken)
    assert isinstance(model.transformer.h[0].mlp.c_fc, _conv1d())
    after = model.state_dict()
    assert after.keys() == state.keys() and all(torch.equal(after[k], state[k]) for k in state)


def test_prune_structured_narrows_gpt2_blocks_and_keeps_its_classes() -> None:
    model = _gpt2()
    x = _ids(1)
    before = sum(p.numel() for p in model.parameters())
    done = prune_structured(model, (x,), 0.5)
    kept, never = done.broke_forward, done.never_pruned
    # the MLP's 256 hidden neurons halved in both blocks; q/k/v (split by a fixed width) and the head kept whole
    assert [b.mlp.c_fc.nf for b in model.transformer.h] == [128, 128]
    assert [tuple(b.mlp.c_proj.weight.shape) for b in model.transformer.h] == [(128, 64), (128, 64)]
    assert all(isinstance(b.mlp.c_fc, _conv1d()) for b in model.transformer.h)
    assert sorted(kept) == ["transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_attn"]
    assert {"lm_head", "transformer.wte", "transformer.wpe"} <= set(never)
    assert model.lm_head.weight is model.transformer.wte.weight  # the tied head stays one tensor
    # 2 blocks x (64*128 + 128 + 128*64) parameters of the MLP removed
    assert before - sum(p.numel() for p in model.parameters()) == 2 * (64 * 128 + 128 + 128 * 64)
    with torch.no_grad():
        assert model(x).logits.shape == (4, SEQ, VOCAB)


def test_prune_structured_technique_on_gpt2_measures_and_saves() -> None:
    bundle = _bundle()
    v = get_technique("prune-structured").apply(bundle, CPU, {"ratio": 0.5, "finetune_steps": 3})
    assert v.params["params_after"] < v.params["params_before"] == 136_960
    assert v.params["params_after"] == 103_936
    assert v.params["forward_flops_after"] < v.params["forward_flops_before"]
    assert any("parameters 136,960 -> 103,936" in n for n in v.notes), v.notes
    assert v.params["finetune_steps"] == 3
    # --save's torch-pruning format loads into a fresh GPT2LMHeadModel (Conv1D's nf is a plain attribute)
    fresh = tp.load_state_dict(_gpt2(), copy.deepcopy(pruned_state(v.model)))
    x = _ids(7)
    with torch.no_grad():
        assert torch.equal(fresh(x).logits, v.model(x).logits)


def test_distill_derives_a_reinitialized_gpt2_student() -> None:
    from accelopt.optimize.distillation import make_student

    bundle = _bundle()
    student, how = make_student(bundle, CPU, 0.5, seed=0)
    assert [b.mlp.c_fc.nf for b in student.transformer.h] == [128, 128]
    pruned = copy.deepcopy(bundle.model)
    prune_structured(pruned, (_ids(0),), 0.5)
    # re-initialized: the Conv1D blocks too (they have no reset_parameters; they kept the teacher's pruned weights)
    assert not torch.equal(student.transformer.h[0].mlp.c_fc.weight, pruned.transformer.h[0].mlp.c_fc.weight)
    assert abs(float(student.transformer.h[0].mlp.c_fc.weight.detach().std()) - 0.02) < 0.005  # Conv1D's own init
    assert "re-initialized" in how


def test_distill_on_gpt2_trains_the_derived_student() -> None:
    v = get_technique("distill").apply(_bundle(), CPU, {"steps": 3})
    assert (v.params["teacher_params"], v.params["student_params"]) == (136_960, 103_936)
    assert v.params["distilled_quality"] is not None


def test_prune_unstructured_reaches_gpt2_conv1d_weights() -> None:
    # only nn.Linear/Conv weights were pruned: a GPT-2's blocks (Conv1D) stayed dense, and of its weights only the
    # tied head (= the token embedding) got zeros
    v = get_technique("prune-unstructured").apply(_bundle(), CPU, {"sparsity": 0.5})
    fc = v.model.transformer.h[0].mlp.c_fc.weight
    assert 0.2 < float((fc == 0).float().mean()) < 0.8
    assert abs(v.params["sparsity_reached"] - 0.5) < 0.01
    assert any("pruning of 9 Linear/Conv weights" in n for n in v.notes), v.notes  # 8 Conv1D + the tied head
