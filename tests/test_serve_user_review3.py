"""A new user's `plan serve` / `validate --serving` review (ut_srv3): a repeated --rate printed two equal rows
(--batch and --concurrency keep a repeated value once), and a serving or inference runs row with a blank `source`
cell was validated as a published figure with no origin, though docs/runs_files.md lists `source` as required and
the training runs file refuses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

SERVING_HEADER = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
                  "published,role,note")
INFERENCE_HEADER = "id,hardware,model,input_size,batch,dtype,metric,published,role,source,note"


def test_a_repeated_rate_is_one_point(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "--model", "llama3-8b", "--rate", "1,1,2", "--prompt", "512",
                               "--output", "64", "--json"], capsys)
    assert code == 0, err
    points = json.loads(out)["results"][0]["points"]
    assert [p["request_rate_per_s"] for p in points] == [1.0, 2.0]


@pytest.mark.parametrize("source", ["", "   "])
def test_a_blank_serving_source_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str) -> None:
    p = tmp_path / "runs.csv"
    p.write_text(f"{SERVING_HEADER}\nr1,{source},vllm,h100-sxm,llama3-8b,1,1,bf16,bf16,1024,128,8,tpot_ms,9,test,\n",
                 encoding="utf-8")
    code, _, err = run_main(["validate", "--serving", "--runs", str(p)], capsys)
    err = " ".join(err.split())
    assert code == 2 and "Traceback" not in err
    assert "serving run 'r1': source = '' is blank" in err and "in the source cell of row 'r1'" in err


def test_a_blank_inference_source_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "inference.csv"
    p.write_text(f"{INFERENCE_HEADER}\ni1,h100-sxm,resnet50,224,1,bf16,latency_ms,2.0,test,,\n", encoding="utf-8")
    code, _, err = run_main(["validate", "--inference", "--runs", str(p)], capsys)
    err = " ".join(err.split())
    assert code == 2 and "Traceback" not in err
    assert "run 'i1': source is blank" in err and "source cell" in err


@pytest.mark.parametrize(("flags", "want", "unwanted"), [
    (["--rate", "2,50"], ["TPOT at 2 req/s (concurrency 1)", "h100-sxm: tok/s/device (50 req/s (concurrency ",
                          "throughput per request rate", "label: request rate"], ["TPOT at batch", "best tok/s"]),
    (["--concurrency", "1,4"], ["TPOT at concurrency 1", "best tok/s/device (concurrency 4)",
                                "throughput per concurrency"], ["TPOT at batch"]),
    (["--batch", "1,4"], ["TPOT at batch 1", "best tok/s/device (batch 4)", "throughput per batch size"], []),
])
def test_page_names_points_as_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str],
                                    want: list[str], unwanted: list[str]) -> None:
    """The page's key figures and chart named a --rate point 'batch 3' (its Little's-law concurrency) and called
    the highest rate's offered load the 'best tok/s/device'; a --concurrency point 'batch N' too."""
    page = tmp_path / "serve.html"
    code, _, err = run_main(["plan", "serve", "--model", "llama3-8b", "--prompt", "100", "--output", "10", *flags,
                             "--html", str(page)], capsys)
    assert code == 0, err
    text = page.read_text(encoding="utf-8")
    for w in want:
        assert w in text, w
    for u in unwanted:
        assert u not in text, u


def test_an_unknown_serving_device_points_to_a_spec_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A runs row naming a device of the user's own ('odd-npu') suggested catalog near-names only, and `--catalog`
    with --serving said to leave it out, neither saying that the hardware cell takes a spec TOML path (which works)."""
    toml = tmp_path / "odd.toml"
    toml.write_text('[sources]\nds = "Vendor brief"\n\n[[device]]\nname = "odd-npu"\ndisplay_name = "Odd NPU"\n'
                    'kind = "npu"\nvendor = "Odd"\npeak_flop_per_s = { bf16 = [200e12, "ds"] }\n'
                    'memory_bytes = [24e9, "ds"]\nmemory_bandwidth_byte_per_s = [0.9e12, "ds"]\ntdp_w = [120, "ds"]\n',
                    encoding="utf-8")
    p = tmp_path / "runs.csv"
    row = "r1,mylab,vllm,{hw},llama3-8b,1,1,bf16,bf16,1024,128,8,tpot_ms,30,test,"
    p.write_text(f"{SERVING_HEADER}\n{row.format(hw='odd-npu')}\n", encoding="utf-8")
    code, _, err = run_main(["validate", "--serving", "--runs", str(p)], capsys)
    err = " ".join(err.split())
    assert code == 2 and "unknown device 'odd-npu'" in err and "spec TOML path in the hardware cell" in err
    code, _, err = run_main(["validate", "--serving", "--runs", str(p), "--catalog", str(toml)], capsys)
    err = " ".join(err.split())
    assert code == 2 and "spec TOML path in the row's hardware cell" in err
    p.write_text(f"{SERVING_HEADER}\n{row.format(hw='odd.toml')}\n", encoding="utf-8")  # what the fix says works
    code, out, err = run_main(["validate", "--serving", "--runs", str(p), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["runs"][0]["hardware"] == "odd-npu"


HD = {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 2560, "intermediate_size": 9728,
      "num_hidden_layers": 36, "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
      "vocab_size": 151936, "max_position_embeddings": 40960, "torch_dtype": "bfloat16", "tie_word_embeddings": True}


@pytest.mark.parametrize(("quant", "group"), [
    ({"quant_method": "awq", "bits": 4, "group_size": 64, "zero_point": True, "version": "gemm"}, 64),
    ({"quant_method": "gptq", "bits": 4, "group_size": -1}, 2560),  # per-channel: the layer width (hidden)
])
def test_int4_checkpoint_note_names_its_group(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              quant: dict[str, object], group: int) -> None:
    """An AWQ checkpoint with group_size 64: the note said `--weight-dtype int4` only, and that command predicted the
    default group of 128 ('default used: ... give --int4-group-size (the checkpoint's group_size)'), a group the
    config names. The note now gives the group, and the command it names runs with it."""
    p = tmp_path / "config.json"
    p.write_text(json.dumps({**HD, "quantization_config": quant}), encoding="utf-8")
    code, out, err = run_main(["plan", "serve", "-m", str(p), "--batch", "1", "--json"], capsys)
    assert code == 0, err
    notes = json.loads(out)["notes"]
    flags = f"--weight-dtype int4 --int4-group-size {group}"
    assert any(f"`plan serve {flags}`" in n for n in notes), notes
    code, out, err = run_main(["plan", "serve", "-m", str(p), "--batch", "1", *flags.split(), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["results"][0]["calibration"]["int4_group_size"] == group
    assert not any("default used: int4" in n for n in doc["notes"])
