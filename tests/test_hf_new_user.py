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

    # a ResNet config (no vocab_size, no patches); a ViT config is built now (tests/test_plan_infer_vit_config.py;
    # 2026-12-04, leftovers: this test used one)
    resnet = {"model_type": "resnet", "num_channels": 3, "embedding_size": 16, "hidden_sizes": [16, 32],
              "depths": [1, 1]}
    with pytest.raises(AcceloptError) as e:
        build_from_hf_config(_config(tmp_path, resnet))
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


def test_vision_config_is_refused_before_any_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 'takes no token ids' check runs right after the config is read: no meta-device count, no build."""
    import accelopt.workload.hf as hf

    def fail(*_: object) -> None:
        raise AssertionError("the weights were counted before the config was refused")

    monkeypatch.setattr(hf, "_check_fits_here", fail)
    resnet = {"model_type": "resnet", "num_channels": 3, "embedding_size": 16, "hidden_sizes": [16, 32],
              "depths": [1, 1]}  # a ViT config is built now (2026-12-04, leftovers)
    with pytest.raises(AcceloptError) as e:
        hf.build_from_hf_config(_config(tmp_path, resnet))
    assert "takes no token ids" in e.value.problem


def test_a_runtime_error_that_is_not_out_of_memory_keeps_its_message(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A RuntimeError from from_config that is no allocator refusal says what transformers said (was 'needs more
    memory than this machine has' for every RuntimeError)."""
    import transformers

    from accelopt.workload.hf import build_from_hf_config

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("shape '[2, 3]' is invalid for input of size 7\nsecond line")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_config", broken)
    llama = {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
             "num_attention_heads": 2, "vocab_size": 64, "architectures": ["LlamaForCausalLM"]}
    with pytest.raises(AcceloptError) as e:
        build_from_hf_config(_config(tmp_path, llama))
    assert "more memory" not in e.value.problem and "is invalid for input of size 7" in e.value.problem
    assert "second line" not in e.value.problem and "config.json" in e.value.fix


@pytest.mark.parametrize("model_type", [["llama"], {"t": 1}, 7, "  "])
def test_a_model_type_that_is_not_a_name_is_refused(tmp_path: Path, model_type: object) -> None:
    """A list as model_type was a TypeError traceback (unhashable, from transformers' mapping lookup)."""
    from accelopt.workload.hf import build_from_hf_config

    with pytest.raises(AcceloptError) as e:
        build_from_hf_config(_config(tmp_path, {"model_type": model_type, "vocab_size": 10}))
    assert "is not a name" in e.value.problem and "quoted name" in e.value.fix


@pytest.mark.parametrize(("key", "value"), [("num_layers", 0), ("num_heads", -2)])
def test_gpt_neo_spelling_of_a_size_must_be_a_count(tmp_path: Path, key: str, value: int) -> None:
    # GPTNeoConfig names its layers num_layers and heads num_heads: num_layers 0 built a model of its embeddings alone
    # (289,280 parameters) that `plan infer` planned without a word
    from accelopt.workload.hf import build_from_hf_config

    neo = {"model_type": "gpt_neo", "architectures": ["GPTNeoForCausalLM"], "hidden_size": 256, "num_layers": 2,
           "num_heads": 4, "attention_types": [[["global", "local"], 1]], "vocab_size": 1000,
           "max_position_embeddings": 128, "window_size": 64, key: value}
    with pytest.raises(AcceloptError) as e:
        build_from_hf_config(_config(tmp_path, neo))
    assert f"{key} = {value}" in e.value.problem and "is not a whole number" in e.value.problem


def test_sizes_that_do_not_divide_point_at_the_sizes(tmp_path: Path) -> None:
    """hidden_size 65 with 4 heads: transformers said 'not a multiple of the number of attention heads' and the fix
    was 'check the config's architectures / model_type', which are right; the fix now names the sizes."""
    from accelopt.workload.hf import build_from_hf_config

    bad = {"model_type": "bert", "hidden_size": 65, "num_hidden_layers": 1, "num_attention_heads": 4,
           "intermediate_size": 128, "vocab_size": 100}
    with pytest.raises(AcceloptError) as e:
        build_from_hf_config(_config(tmp_path, bad))
    assert "not a multiple of the number of attention heads" in e.value.problem
    assert "hidden_size by num_attention_heads" in e.value.fix


def test_kv_heads_that_do_not_divide_the_heads_are_named_before_the_build(tmp_path: Path) -> None:
    """num_key_value_heads 3 over 4 attention heads: transformers built the Llama, and `profile` stopped in the
    train step with 'The size of tensor a (4) must match the size of tensor b (3)' and a fix about a model file's
    batches(). Now the config is refused naming both fields."""
    from accelopt.workload.hf import build_from_hf_config

    cfg = {"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 3,
           "num_hidden_layers": 1, "intermediate_size": 128, "vocab_size": 100, "max_position_embeddings": 64}
    with pytest.raises(AcceloptError) as e:
        build_from_hf_config(_config(tmp_path, cfg), seq_len=8)
    assert "num_key_value_heads 3 does not divide num_attention_heads 4" in e.value.problem
    assert "divisor of num_attention_heads" in e.value.fix
    build_from_hf_config(_config(tmp_path, {**cfg, "num_key_value_heads": 2}), seq_len=8)  # 2 divides 4: built
