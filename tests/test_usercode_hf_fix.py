"""A model built from a Hugging Face config that raises in its step got the fix written for model files, 'check
that model(*inputs), loss_fn(output, targets), the optimizer and the metric run on their own with what batches()
and eval_batches() yield': none of which an HF-config user wrote (seen on a Llama config whose 3 K/V heads did
not divide its 4 heads, before that was refused when the config is read). The fix now names the config."""

from __future__ import annotations

import pytest

from accelopt.workload.usercode import ModelCodeError, user_call
from accelopt.workload.userfile import ModelBundle

torch = pytest.importorskip("torch")


def _raise(*_: object) -> None:
    raise RuntimeError("The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 1")


def _bundle(meta: dict[str, object]) -> ModelBundle:
    data = [(torch.zeros(1, 4, dtype=torch.long), torch.zeros(1, 4, dtype=torch.long))]
    return ModelBundle(name="m", model=torch.nn.Linear(4, 4), batches=lambda: iter(data), batch_size=1,
                       loss_fn=torch.nn.functional.mse_loss, meta=meta)


def test_an_hf_config_model_gets_a_fix_about_its_config() -> None:
    b = _bundle({"source_kind": "hf-config", "hf_config": "/x/config.json"})
    with pytest.raises(ModelCodeError) as e:
        user_call(b, "during its train step", _raise)
    assert "The size of tensor a (4)" in e.value.problem
    assert "'/x/config.json'" in e.value.fix and "batches()" not in e.value.fix


def test_a_model_file_keeps_its_fix() -> None:
    with pytest.raises(ModelCodeError) as e:
        user_call(_bundle({}), "during its train step", _raise)
    assert e.value.fix.startswith("check that model(*inputs), loss_fn(output, targets)")


def test_the_hf_fix_says_the_message_names_tensor_sizes_not_a_config_key() -> None:
    """A tensor-size error names sizes ('tensor a (4)... tensor b (3)'), not the config key that gave them: the fix
    said 'the message names the one that does not fit', which it does not."""
    b = _bundle({"source_kind": "hf-config", "hf_config": "/x/config.json"})
    with pytest.raises(ModelCodeError) as e:
        user_call(b, "during its train step", _raise)
    assert "names the one that does not fit" not in e.value.fix
    assert "names the tensor sizes that clash, not a config key" in e.value.fix
    assert "num_key_value_heads" in e.value.fix
