"""prune-structured after another technique names the user's layers, not our wrapper's (utopt5, 2026-12-05).

In a chain `bf16+prune-structured` (a combination the runner measures, or an --apply recipe), the model
prune-structured receives is bf16's autocast wrapper, and its notes read "not pruned: inner.out (Linear)",
"inner.bert.encoder.layer.0.attention.self.value kept whole", "shared weight kept one tensor: inner.wte.weight = ...":
modules the user's model does not have. They now carry the user's names (steps.user_names, as --save's state dict).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from accelopt.workload.userfile import ModelBundle


class _LM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(20, 16)
        self.hidden = nn.Linear(16, 32)
        self.back = nn.Linear(32, 16)
        self.out = nn.Linear(16, 20)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # (B, T) -> (B, T, 20)
        return self.out(self.back(torch.relu(self.hidden(self.emb(ids)))))


def _bundle() -> ModelBundle:
    def batches() -> Any:
        g = torch.Generator().manual_seed(0)
        for _ in range(2):
            ids = torch.randint(0, 20, (4, 6), generator=g)
            yield ids, ids

    return ModelBundle(name="lm", model=_LM(), batches=batches,
                       loss_fn=lambda out, y: nn.functional.cross_entropy(out.flatten(0, 1), y.flatten()),
                       batch_size=4)


def test_a_chain_after_bf16_names_the_users_layers() -> None:
    from accelopt.optimize.runner import RunOptions, run_optimize

    result, _ = run_optimize(_bundle(), RunOptions(recipe=[("bf16", {}), ("prune-structured", {"finetune_steps": 0})],
                                                   profile_bounds=False, rounds=3, block_s=0.01, warmup=0))
    chain = result.get("bf16+prune-structured")
    assert chain is not None and chain.status == "measured", chain
    notes = " | ".join(chain.notes)
    assert "not pruned: emb (Embedding), out (Linear)" in notes, notes
    assert "inner." not in notes


def test_user_names_takes_out_autocast_and_compile() -> None:
    from accelopt.optimize.steps import AutocastModule, user_names

    model = _LM()
    wrapped = AutocastModule(model, "cpu", torch.bfloat16)
    rename = user_names(wrapped)
    assert [rename(n) for n in ("inner.out", "inner.emb.weight", "inner", "not.a.module")] == [
        "out", "emb.weight", "", "not.a.module"]
    compiled = user_names(torch.compile(model))
    assert compiled("_orig_mod.hidden") == "hidden" and compiled("_orig_mod.hidden.bias") == "hidden.bias"


def test_a_tie_kept_after_bf16_is_named_as_the_user_names_it() -> None:
    """Its not-applicable reason read 'cut the shared weight inner.emb.weight = inner.out.weight differently'; the
    layers feeding the tied head are now kept whole (tests/test_prune_structured_tied_head.py), so the chain is
    measured and its note names the tie as the user's model does."""
    from accelopt.optimize.runner import RunOptions, run_optimize

    bundle = _bundle()
    bundle.model.out = nn.Linear(16, 20, bias=False)
    bundle.model.out.weight = bundle.model.emb.weight  # tied head
    result, _ = run_optimize(bundle, RunOptions(recipe=[("bf16", {}), ("prune-structured", {"finetune_steps": 0})],
                                                profile_bounds=False, rounds=3, block_s=0.01, warmup=0))
    chain = result.get("bf16+prune-structured")
    assert chain is not None and chain.status == "measured", chain
    notes = " | ".join(chain.notes)
    assert "shared weight kept one tensor: emb.weight = out.weight" in notes and "inner." not in notes, notes


def test_a_module_reached_by_two_names_keeps_each_name() -> None:
    """s32 utopt's trial: a T5 whose `shared` Embedding is also `encoder.embed_tokens` and `decoder.embed_tokens` (one
    module, three paths) had its tie named 'm.decoder.embed_tokens.weight = m.encoder.embed_tokens.weight =
    m.decoder.embed_tokens.weight = m.lm_head.weight': user_names mapped the module's first path to its last."""
    from accelopt.optimize.steps import AutocastModule, user_names

    model = _LM()
    model.again = model.emb  # the same module under a second name, registered after the first
    for rename, prefix in ((user_names(model), ""), (user_names(AutocastModule(model, "cpu", torch.bfloat16)),
                                                     "inner.")):
        assert [rename(prefix + n) for n in ("emb", "emb.weight", "again", "again.weight")] == [
            "emb", "emb.weight", "again", "again.weight"]
