"""utserve3 (2026-12-05): `plan serve --ep N` on a stage of fewer devices (tp x attention-dp) than N names the way to
keep --ep N: attention data parallelism (or a larger --tp) to a multiple of it. Before, the fix offered only smaller
--ep values ('use --ep 1 ..., or an --ep dividing 1' for --ep 4 of a 4-expert model at --tp 1), never how to run the
expert parallelism asked for; the suggested layout must run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

CONFIG = {"architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "hidden_size": 1024,
          "intermediate_size": 2048, "num_hidden_layers": 6, "num_attention_heads": 16, "num_key_value_heads": 8,
          "vocab_size": 32000, "max_position_embeddings": 4096, "num_local_experts": 8, "num_experts_per_tok": 2,
          "rms_norm_eps": 1e-5}


@pytest.mark.parametrize(("tp", "ep", "dp"), [(1, 4, 4), (2, 8, 4), (4, 8, 2)])
def test_the_fix_keeps_the_ep_asked_for_and_runs(tp: int, ep: int, dp: int, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(CONFIG), encoding="utf-8")
    base = ["plan", "serve", "-m", str(path), "--hardware", "h100-sxm", "--batch", "8", "--prompt", "512",
            "--output", "64", "--tp", str(tp), "--ep", str(ep)]
    code, _, err = run_main(base, capsys)
    assert code == 2
    assert f"keep --ep {ep} and give a stage a multiple of it, e.g. --tp {tp} --attention-dp {dp}" in " ".join(
        err.split())
    code, out, err = run_main([*base, "--attention-dp", str(dp), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["results"][0]["points"][0]["moe"]["ep"] == ep
