"""A new user's pass over `plan`, `plan explain`, `plan serve` and `catalog` with inputs not seen before: custom
hardware specs, odd sizes and configs written by hand. Each test is a case that misbehaved (traceback, garbage
figures, a silent acceptance) before its fix; it names what the user typed and what happened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main
from test_bad_inputs import workload_doc

SPEC = """[[device]]
name = "acme-x1"
kind = "gpu"
vendor = "Acme"
peak_flop_per_s = {{ bf16 = [400e12, "acme datasheet"] }}
memory_bytes = [96e9, "acme datasheet"]
memory_bandwidth_byte_per_s = [3.0e12, "acme datasheet"]
{extra}
"""


def _spec(tmp_path: Path, extra: str) -> Path:
    p = tmp_path / "acme.toml"
    p.write_text(SPEC.format(extra=extra), encoding="utf-8")
    return p


@pytest.mark.parametrize("field", ["scaleup_bandwidth_byte_per_s", "scaleup_peer_bandwidth_byte_per_s",
                                   "scaleout_bandwidth_byte_per_s"])
@pytest.mark.parametrize("command", ["plan", "catalog"])
def test_zero_link_bandwidth_in_a_spec_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str,
                                                  command: str) -> None:
    """`scaleup_bandwidth_byte_per_s = [0, ...]` in a --hardware spec loaded ('0 B/s' in `catalog show`) and then
    `plan` died with a traceback (KeyError: 'time': every layout's step time was infinite). A link that moves
    nothing is no link: the loader refuses it, naming the field and saying to leave the field out."""
    p = _spec(tmp_path, f'scaleup_domain_devices = [8, "acme"]\n{field} = [0, "acme"]')
    argv = (["plan", "--model", "gpt3-125m", "--hardware", str(p), "--devices", "8", "--top", "1"]
            if command == "plan" else ["catalog", "show", str(p)])
    code, _, err = run_main(argv, capsys)
    assert "Traceback" not in err and code == 2, err[-2000:]
    assert field in err and "fix:" in err and "leave it out" in err, err


@pytest.mark.parametrize("command", ["plan", "explain", "workload"])
def test_tokens_past_any_run_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    """`plan --tokens 1e40` ran and printed 'time 382980162852463603930365… years', '$6687550582268875074489…' (cut
    off by the table); `plan explain` printed a 17-digit number of years. A token target past any run is refused."""
    if command == "workload":
        doc = workload_doc()
        doc["meta"]["params"] = 64 * 64  # the one GEMM's weight
        w = tmp_path / "w.json"
        w.write_text(json.dumps(doc), encoding="utf-8")
        argv = ["plan", "--model", str(w), "--hardware", "h100-sxm", "--devices", "8"]
    else:
        argv = ["plan", "--model", "gpt3-125m", "--hardware", "h100-sxm", "--devices", "8"]
        argv += ["--tp", "1"] if command == "explain" else []
        argv[1:1] = ["explain"] if command == "explain" else []
    code, _, err = run_main([*argv, "--tokens", "1e40"], capsys)
    assert code == 2 and "Traceback" not in err, err[-2000:]
    assert "--tokens" in err and "past any training run" in err and "fix:" in err, err
    code, _, err = run_main([*argv, "--tokens", "1e18"], capsys)  # the bound itself is a run
    assert code == 0, err[-2000:]


def _config(tmp_path: Path, **keys: object) -> Path:
    cfg = {"model_type": "qwen2", "hidden_size": 896, "intermediate_size": 4864, "num_attention_heads": 14,
           "num_key_value_heads": 2, "num_hidden_layers": 24, "vocab_size": 151936, "max_position_embeddings": 32768,
           "tie_word_embeddings": True, **keys}
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg), encoding="utf-8")
    return p


@pytest.mark.parametrize("keys", [{"rope_scaling": "yarn"}, {"rope_scaling": {"rope_type": "linear", "factor": -4}},
                                  # a null head width (one left out is DeepseekV2Config's, s34)
                                  {"model_type": "deepseek_v2", "kv_lora_rank": 512, "qk_rope_head_dim": None}])
def test_config_error_names_its_file_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          keys: dict[str, object]) -> None:
    """A bad rope_scaling or a partial MLA config printed 'error: /x/config.json: /x/config.json: ...'."""
    p = _config(tmp_path, **keys)
    code, _, err = run_main(["plan", "--model", str(p), "--devices", "8"], capsys)
    assert code == 2 and "fix:" in err, err
    assert err.count(str(p)) == 1, err


def test_zero_context_length_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """max_position_embeddings = 0 was read as 'left out': the note said 'the config gives no
    max_position_embeddings' and `plan` trained on 2048-token sequences. 0 is refused as the MLP width 0 is."""
    p = _config(tmp_path, max_position_embeddings=0)
    code, _, err = run_main(["plan", "--model", str(p), "--devices", "8"], capsys)
    assert code == 2 and "max_position_embeddings" in err and "is 0" in err and "fix:" in err, err
    p = _config(tmp_path, max_position_embeddings=None)  # left out: still planned, with the note
    code, out, err = run_main(["plan", "--model", str(p), "--devices", "8", "--tokens", "1e10"], capsys)
    assert code == 0 and "gives no max_position_embeddings" in out, err


@pytest.mark.parametrize("command", ["plan", "explain"])
def test_capped_training_sequence_of_a_config_is_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       command: str) -> None:
    """A Qwen2.5 config (32,768 positions) was planned on 8,192-token sequences with no word (the header said
    'seq 8192', --help said 'default: the model's'): the cap is an assumption, now printed and in the JSON notes,
    and not when --seq-len is given."""
    p = _config(tmp_path)
    argv = ["plan", "--model", str(p), "--hardware", "h100-sxm", "--devices", "8", "--tokens", "1e10"]
    if command == "explain":
        argv[1:1] = ["explain"]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    if command == "plan":
        assert doc["seq_len"] == 8192
    assert any("8,192 tokens assumed" in n and "32,768 positions" in n for n in doc["notes"]), doc["notes"]
    code, out, err = run_main([*argv, "--seq-len", "8192", "--json"], capsys)
    assert code == 0 and not any("assumed (--seq-len" in n for n in json.loads(out)["notes"]), err


def test_zero_tdp_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`tdp_w = [0, ...]` loaded: `plan serve` printed 62.7 mJ per output token (the host's share alone) and `plan`
    an energy column, as if the device drew nothing. A TDP of 0 W is refused; leaving it out prints n/a."""
    p = _spec(tmp_path, 'tdp_w = [0, "acme"]')
    code, _, err = run_main(["plan", "serve", "-m", "gpt3-125m", "--hardware", str(p), "--batch", "8"], capsys)
    assert code == 2 and "tdp_w" in err and "leave it" in err and "fix:" in err, err


def test_workload_plan_says_what_its_time_is_of(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --model WORKLOAD.json` printed a 'time' column (16.6 days) from the default --tokens 300e9 without
    printing it, and for a workload without seq_len counted each 'token' as a sample without a word; the JSON held
    neither. Both now carry the token target and what one sample counts (schema plan-workload 2)."""
    doc = workload_doc()
    doc["meta"]["params"] = 64 * 64
    w = tmp_path / "w.json"
    w.write_text(json.dumps(doc), encoding="utf-8")
    argv = ["plan", "--model", str(w), "--hardware", "h100-sxm", "--devices", "8"]
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    assert "--tokens 300,000,000,000 samples" in " ".join(out.split()), out
    code, out, err = run_main([*argv, "--tokens", "1e9", "--json", "--html", str(tmp_path / "w.html")], capsys)
    data = json.loads(out)
    assert code == 0 and data["tokens"] == 1e9 and data["tokens_per_sample"] == 1, err
    assert "time to train on 1,000,000,000 samples" in (tmp_path / "w.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("key", "value"), [("seq_len", "abc"), ("seq_len", 128.5), ("seq_len", -3),
                                            ("batch_size", "8"), ("batch_size", 0), ("params", "1e6"),
                                            ("params", 1e30)])
def test_workload_meta_numbers_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str,
                                           value: object) -> None:
    """A workload JSON with meta seq_len "abc" ended `plan` in a ValueError traceback; 128.5 or -3 were used."""
    doc = workload_doc()
    doc["meta"]["params"] = 64 * 64
    doc["meta"][key] = value
    w = tmp_path / "w.json"
    w.write_text(json.dumps(doc), encoding="utf-8")
    code, _, err = run_main(["plan", "--model", str(w), "--hardware", "h100-sxm", "--devices", "8"], capsys)
    assert code == 2 and "Traceback" not in err and f"meta.{key}" in err and "fix:" in err, err[-2000:]


def test_device_not_searched_has_no_calibration_line(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --hardware all` listed 'not searched: t4 (no bf16 peak ...)' and then a GEMM-efficiency line for t4 (and
    every other device it skipped), as if its curve had been used."""
    argv = ["plan", "--model", "gpt3-125m", "--hardware", "h100-sxm,t4", "--devices", "8", "--top", "1"]
    code, out, err = run_main(argv, capsys)
    assert code == 0 and "not searched: t4" in out, err
    assert "t4: 16-bit GEMM efficiency" not in out and "h100-sxm: 16-bit GEMM efficiency" in out, out
    code, out, err = run_main([*argv, "--json"], capsys)
    assert [b["device"] for b in json.loads(out)["calibration_basis"]] == ["h100-sxm"], err
