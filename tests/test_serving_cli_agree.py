"""`validate --serving` and the command line agree on every row of the serving runs file: each row, written down as
a user would (`plan serve` flags: the engine's memory rule, its max_batch_size, its all-reduce, the MoE layout,
`--batch max` for the max-throughput rows: fixed-length closed loops, in waves), gives exactly the figure
`validate --serving` reports (issue 10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.serving_validation import read_serving_runs, reproduce

ROWS, _SOURCES = read_serving_runs()


def _flags(row: dict[str, str]) -> list[str]:
    """The row as `plan serve` flags (--engine applies the engine's memory rule, as validate does)."""
    flags = ["plan", "serve", "--model", row["model"], "--hardware", row["hardware"], "--tp", row["tp"],
             "--pp", row["pp"], "--prompt", row["prompt_len"], "--output", row["output_len"],
             "--weight-dtype", row["weight_dtype"], "--kv-dtype", row["kv_dtype"],
             "--engine", row["engine"],
             "--json"]
    # max-throughput rows keep as many requests in flight as the engine holds (fixed lengths: in waves, a static
    # batch of that many); the others are one static batch
    flags += ["--batch", row["batch"]]
    for col, flag in (("ep", "--ep"), ("attention_dp", "--attention-dp"), ("redundant_experts", "--redundant-experts"),
                      ("max_batch_size", "--max-batch-size"), ("tp_allreduce", "--tp-allreduce"),
                      ("memory_fraction", "--memory-fraction"), ("int4_group_size", "--int4-group-size"),
                      ("requests", "--requests")):
        if (row.get(col) or "").strip():
            flags += [flag, row[col].strip()]
    if (row.get("two_batch_overlap") or "").strip() == "yes":
        flags.append("--two-batch-overlap")
    if (row.get("dense_experts") or "").strip() == "yes":  # trt09: every routed expert on every token
        flags.append("--dense-experts")
    return flags


def _figure(point: dict, metric: str) -> float:
    """The row's metric read from the CLI's JSON point (the same fields a user reads)."""
    per_device = point["n_devices"]
    return {"output_tok_s": lambda: point["output_tokens_per_s"],
            "output_tok_s_per_device": lambda: point["output_tokens_per_s_per_device"],
            "decode_tok_s": lambda: point["decode_tokens_per_s"],
            "decode_tok_s_per_device": lambda: point["decode_tokens_per_s"] / per_device,
            "ttft_ms": lambda: point["ttft_s"] * 1e3,
            "tpot_ms": lambda: point["tpot_s"] * 1e3,
            "prefill_tok_s_per_device": lambda: point["batch"] * point["prompt_len"] / point["prefill"]["total_s"]
            / per_device}[metric]()


@pytest.mark.parametrize("row", [r for r in ROWS if r["role"] != "gap"], ids=lambda r: r["id"])
def test_cli_matches_validate_serving(row: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    want = reproduce(row, _SOURCES)
    code, out, err = run_main(_flags(row), capsys)
    assert code in (0, 2), err  # 2: a static batch beyond memory; its figures are still in the JSON
    point = json.loads(out)["results"][0]["points"][0]
    assert point["batch"] == want.batch
    assert _figure(point, row["metric"]) == pytest.approx(want.predicted, rel=1e-12)


def test_concurrency_max_is_the_engine_limit(capsys: pytest.CaptureFixture[str]) -> None:
    # --concurrency max runs the largest batch whose KV cache fits, or --max-batch-size x attention-DP ranks when
    # that is smaller: the same model at a cap of 64 runs 64 requests, without it the (much larger) KV limit
    base = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--prompt", "1024", "--output", "256",
            "--concurrency", "max", "--json"]
    code, out, _ = run_main(base, capsys)
    assert code == 0
    free = json.loads(out)["results"][0]
    assert free["points"][0]["batch"] == free["max_batch"] > 64
    code, out, _ = run_main([*base, "--max-batch-size", "64"], capsys)
    assert code == 0 and json.loads(out)["results"][0]["points"][0]["batch"] == 64


@pytest.mark.parametrize(("flag", "value", "fix"), [("--concurrency", "max,8", "--concurrency max"),
                                                     ("--batch", "8,max", "--batch max")])
def test_max_is_a_whole_concurrency_value(flag: str, value: str, fix: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "serve", "--model", "llama3-8b", flag, value], capsys)
    assert code == 2 and flag in err and fix in err.split("fix:")[1]


def test_prompt_beyond_the_models_positions_is_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a config whose positions end at 4096 (max_position_embeddings): 4000 + 200 tokens is a request it was not built
    # for; the figures are still printed, with the note in the text and in the JSON
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"model_type": "llama", "num_hidden_layers": 4, "hidden_size": 1024,
                               "num_attention_heads": 8, "num_key_value_heads": 8, "intermediate_size": 4096,
                               "vocab_size": 32000, "max_position_embeddings": 4096}), encoding="utf-8")
    base = ["plan", "serve", "--model", str(cfg), "--batch", "1", "--output", "200"]
    code, out, _ = run_main([*base, "--prompt", "4000", "--json"], capsys)
    assert code == 0 and any("beyond the model's 4096 positions" in n for n in json.loads(out)["notes"])
    code, out, _ = run_main([*base, "--prompt", "4000"], capsys)
    assert code == 0 and "4200 tokens is beyond" in " ".join(out.split())
    code, out, _ = run_main([*base, "--prompt", "3896", "--json"], capsys)  # exactly 4096: no note
    # (the notes also carry the model's count and architecture lines, utplanhf: only the positions note must go)
    assert code == 0 and not [n for n in json.loads(out)["notes"] if "positions" in n]


def test_engine_flag_is_its_memory_rule_and_explicit_flags_override_it(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["plan", "serve", "--model", "llama3-8b", "--hardware", "gaudi2", "--batch", "1", "--json"]

    def usable(*extra: str) -> float:
        code, out, err = run_main([*base, *extra], capsys)
        assert code == 0, err
        return json.loads(out)["results"][0]["points"][0]["usable_memory_bytes_per_device"]

    cap = get_device("gaudi2").memory_bytes
    assert usable() == pytest.approx(0.9 * cap)  # vLLM's default rule
    assert usable("--engine", "optimum-habana") == pytest.approx(cap)  # its own KV cache, no pool: 100%
    assert usable("--engine", "optimum-habana", "--memory-fraction", "0.5") == pytest.approx(0.5 * cap)
    code, _, err = run_main([*base, "--engine", "vlm"], capsys)
    assert code == 2 and "vllm" in err


def _pairs(argv: list[str]) -> list[tuple[str, ...]]:
    """An argv as its flags, each with the value that follows it (order-free)."""
    out: list[tuple[str, ...]] = []
    for a in argv:
        if a.startswith("--"):
            out.append((a,))
        elif out:
            out[-1] = (*out[-1], a)
    return sorted(out)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["id"])
def test_validate_row_prints_these_flags(row: dict[str, str]) -> None:
    # `validate --serving --row ID` prints serving_row_argv: the same flags as the row written down above
    from accelopt.predict.serving_validation import serving_row_argv

    argv = serving_row_argv(row)
    assert argv[:2] == ["plan", "serve"]
    assert _pairs(argv) == _pairs([a for a in _flags(row) if a != "--json"])
