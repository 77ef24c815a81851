"""`plan serve --hardware edge-tpu --weight-dtype int8` of a model too big for its 8 MB: the error said the weights
do not fit, 'fix: raise --tp/--pp ... or a device with more memory', but the device cannot run int8 weight-only at
all (no bf16/fp16 peak: int8 is dequantized to 16 bits), so that fix led to a second refusal. The dtype refusal comes
first now; a dtype it can run (w8a8) still gets the memory error."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

_CONFIG = ('{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 256, '
           '"intermediate_size": 688, "num_attention_heads": 4, "num_key_value_heads": 4, "num_hidden_layers": 4, '
           '"vocab_size": 32000, "max_position_embeddings": 1024}')


@pytest.mark.parametrize(("dtype", "said"), [
    ("int8", "error: device 'edge-tpu' has no bf16/fp16 peak in the catalog (serving needs a bf16/fp16 peak for "
             "int8 weight-only matmuls) fix: use --weight-dtype w8a8"),
    ("w8a8", "the weights alone need 34.3 MiB per device (w8a8)")])
def test_a_dtype_the_device_cannot_run_is_said_before_memory(dtype: str, said: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "config.json"
    model.write_text(_CONFIG, encoding="utf-8")
    code, out, err = run_main(["plan", "serve", "--model", str(model), "--hardware", "edge-tpu", "--weight-dtype",
                               dtype, "--batch", "1", "--prompt", "64", "--output", "8"], capsys)
    assert code == 2
    assert said in " ".join((out + err).split()), out + err
