"""A zoo model and a Hugging Face config's random weights are the same every build (utopt5, 2026-12-05).

A file.py factory is called with torch seeded (userfile.FACTORY_SEED), but zoo.build and a config.json's
from_config drew from torch's default generator, seeded from /dev/urandom at start-up: two builds of one 2-layer
GPT-2 config had first weights summing 0.0280 and 0.0159. `optimize --apply RECIPE` of a recipe saved on such a model
rebuilt other weights than the saved model's while its note said 'unchanged since the recipe was saved', and two runs'
qualities (train mode) differed for no change. The caller's random state is put back after the build.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("name", ["mlp", "gpt"])
def test_a_zoo_model_is_built_with_the_same_weights(name: str) -> None:
    from accelopt.workload import zoo

    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first = zoo.build(name, "tiny").model
    assert torch.equal(torch.rand(3), expected_next)  # the caller's generator as it was
    torch.manual_seed(7)  # another caller state: the same weights
    assert _same(first, zoo.build(name, "tiny").model)


def test_a_hugging_face_config_is_built_with_the_same_weights(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    from accelopt.workload.hf import build_from_hf_config

    config = tmp_path / "config.json"
    config.write_text(json.dumps({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_layer": 1,
                                  "n_head": 2, "n_embd": 32, "n_positions": 16, "vocab_size": 50}))
    torch.manual_seed(1)
    first = build_from_hf_config(str(config)).model
    torch.manual_seed(2)
    assert _same(first, build_from_hf_config(str(config)).model)
