"""User trial utplan (s33): an error in a config.json names the file once. A Phi-3 config with partial_rotary_factor 2
printed 'error: PATH: PATH: partial_rotary_factor = 2.0 is not a rotary width' (the rotary check ran inside the block
that prefixes the file to TransformerConfig's own errors)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main, write_hf_config

PHI3_MINI = {  # microsoft/Phi-3-mini-4k-instruct config.json (sizes)
    "model_type": "phi3", "hidden_act": "silu", "hidden_size": 3072, "intermediate_size": 8192,
    "max_position_embeddings": 4096, "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
    "tie_word_embeddings": False, "vocab_size": 32064}


@pytest.mark.parametrize(("key", "value"), [("partial_rotary_factor", 2.0), ("rotary_dim", 500)])
def test_a_bad_rotary_width_names_the_file_once(key: str, value: float, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = write_hf_config(tmp_path, "phi3", {**PHI3_MINI, key: value})
    code, _, err = run_main(["plan", "explain", "--model", str(path), "--hardware", "h100-sxm", "--devices", "8"],
                            capsys)
    assert code == 2 and f"{key} = " in err and "fix:" in err, err
    assert err.count(str(path)) == 1, err
