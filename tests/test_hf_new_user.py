"""A Hugging Face config that accelopt cannot build says why in a line and a fix: an unknown model_type with close
matches (was transformers' list of every type, 2,000+ characters), a vision model without token ids (was 'set
vocab_size', which would not make it read tokens)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelopt.errors import AcceloptError

pytest.importorskip("transformers")


def _config(tmp_path: Path, d: dict[str, object]) -> str:
    (tmp_path / "config.json").write_text(json.dumps(d))
    return str(tmp_path)


def test_unknown_model_type_names_close_matches(tmp_path: Path) -> None:
    from accelopt.workload.hf import build_from_hf_config

    with pytest.raises(AcceloptError) as e:
        build_from_hf_config(_config(tmp_path, {"model_type": "lama", "hidden_size": 64}))
    assert "'lama' is not known" in e.value.problem and len(e.value.problem) < 300
    assert "did you mean 'llama'" in e.value.fix and "upgrade transformers" in e.value.fix


def test_vision_config_says_it_takes_no_token_ids(tmp_path: Path) -> None:
    from accelopt.workload.hf import build_from_hf_config

    vit = {"model_type": "vit", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
           "num_attention_heads": 2, "image_size": 16, "patch_size": 8}
    with pytest.raises(AcceloptError) as e:
        build_from_hf_config(_config(tmp_path, vit))
    assert "takes no token ids" in e.value.problem and "examples/my_model.py" in e.value.fix


def test_known_type_with_a_bad_field_keeps_transformers_message(tmp_path: Path) -> None:
    """A known model_type whose config class refuses a field says what transformers said (was 'model_type
    'llama' is not known ... did you mean 'llama'?')."""
    from accelopt.workload.hf import build_from_hf_config

    bad = {"model_type": "llama", "hidden_size": 64, "rope_scaling": {"type": "bogus", "factor": 2.0}}
    with pytest.raises(AcceloptError) as e:
        build_from_hf_config(_config(tmp_path, bad))
    assert "not known" not in e.value.problem and "rope_scaling" in e.value.problem
    assert "\n" not in e.value.problem and "did you mean" not in e.value.fix
    assert "fix that field of config.json" in e.value.fix
