"""`simulate run --hf CONFIG.json` builds the model on PyTorch's meta device (sim_meta, 2026-12-02).

simulate reads only the layers' shapes from one captured forward pass, but built the config's model with
transformers' random initialisation on the CPU first: a 3.2B config needed 12.9 GB of memory (refused past this
machine's) and minutes of initialisation. It is now built and captured on meta, as `plan infer` does
(tests/test_plan_infer_meta_build.py); a model whose forward does not run on meta (BERT's pad-token check calls
.item()) is built with random weights and captured on the CPU, as before, and the source line says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

pytest.importorskip("transformers")

from test_plan_infer_meta_build import GPT2, LLAMA, LLAMA_32_3B, _write  # Llama 3.2 3B's sizes, as published

from accelopt.simulate.models import _captured, hf_layers
from accelopt.workload.hf import build_from_hf_config

BERT = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 320, "max_position_embeddings": 128}


@pytest.mark.parametrize("cfg", [LLAMA, GPT2, BERT], ids=["llama", "gpt2", "bert"])
def test_layers_are_the_same_built_on_meta_and_with_random_weights(tmp_path: Path, cfg: dict[str, Any]) -> None:
    path = _write(tmp_path, cfg)
    layers, source = hf_layers(path, 2, 16)
    real, _ = _captured(build_from_hf_config(path, batch_size=2, seq_len=16), "with weights")
    assert layers == real and len(layers) > 0  # every GEMM: name, M, N, K, repeats
    if cfg is BERT:  # transformers' pad-token check calls .item(): captured on the CPU, and said
        assert "random weights, on the CPU: its forward does not run on the meta device (RuntimeError" in source
    else:
        assert "built on PyTorch's meta device: shapes only" in source and "random weights" not in source


def test_simulate_json_is_the_same_but_for_its_source_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole simulated result of a small llama config, built on meta and (transformers made to refuse the meta
    build) with random weights: equal, the source line apart."""
    import accelopt.workload.hf as hf

    path = _write(tmp_path, LLAMA)
    argv = ["simulate", "run", "-d", "tpu-v1", "--hf", path, "--batch", "2", "--seq-len", "16", "--json"]
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    on_meta = json.loads(out)
    real_build = hf._build_model

    def no_meta(auto: Any, config: Any, p: Path, *, meta: bool) -> Any:
        model, weights, _ = real_build(auto, config, p, meta=False)
        return model, weights, "NotImplementedError: refused on meta (test)" if meta else ""

    monkeypatch.setattr(hf, "_build_model", no_meta)
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    materialised = json.loads(out)
    src_meta, src_real = on_meta.pop("source"), materialised.pop("source")
    assert "meta device: shapes only" in src_meta
    assert "random weights: transformers cannot build it on the meta device (NotImplementedError" in src_real
    assert on_meta == materialised


def test_a_3b_config_is_simulated_without_building_its_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Llama 3.2 3B: 12.9 GB of fp32 random weights; this machine is made to have 1 GB available. Before: exit 2
    ('its random weights need 12.9 GB'); now simulated, with no weight memory."""
    import accelopt.workload.hf as hf

    monkeypatch.setattr(hf, "available_memory_bytes", lambda: 10**9)
    path = _write(tmp_path, LLAMA_32_3B)
    argv = ["simulate", "run", "-d", "tpu-v1", "--hf", path, "--batch", "1", "--seq-len", "8", "--json"]
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    result = json.loads(out)
    assert "meta device: shapes only" in result["source"]
    assert "q_proj" in json.dumps(result)


def test_the_memory_refusal_of_a_small_model_names_its_size(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiny llama (2 layers, 64 wide: 133,440 fp32 weights, 534 kB) with 100 kB available: the refusal said
    'need 0.0 GB ... more than the 0.0 GB this machine has available'."""
    import accelopt.workload.hf as hf

    monkeypatch.setattr(hf, "available_memory_bytes", lambda: 10**5)
    path = _write(tmp_path, LLAMA)
    code, _out, err = run_main(["profile", path, "--mode", "inference", "--batch-size", "1", "--seq-len", "8",
                                "--steps", "3"], capsys)
    assert code == 2 and "fix:" in err
    assert "0.0 GB" not in err
    assert "need 534 kB (as transformers builds them), more than the 100 kB this machine has available" in " ".join(
        err.split())
