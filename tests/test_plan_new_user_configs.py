"""What a new user hits first with their own config.json files and runs CSVs (u-plan, issue 10).

Each test is one thing that went wrong on a config or CSV the repository had not seen: a count checked against the
model transformers builds from the same config, or the CLI's exit status and words (tests/conftest.py's run_main).
"""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.predict.serving import kv_cache_bytes_per_token
from accelopt.workload.presets import load_hf_config

# Hand-written like the published configs (sizes of FacebookAI/roberta-large and bigcode/starcoderbase-1b), fewer
# layers so that transformers builds them fast on the meta device.
ROBERTA = {"model_type": "roberta", "hidden_size": 1024, "num_hidden_layers": 2, "num_attention_heads": 16,
           "intermediate_size": 4096, "vocab_size": 50265, "max_position_embeddings": 514, "type_vocab_size": 1,
           "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2, "hidden_act": "gelu"}
STARCODER = {"model_type": "gpt_bigcode", "n_embd": 2048, "n_layer": 2, "n_head": 16, "n_inner": 8192,
             "n_positions": 8192, "vocab_size": 49152, "activation_function": "gelu_pytorch_tanh",
             "multi_query": True}


def _write(tmp_path: Path, cfg: dict[str, Any], name: str = "config.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(cfg), encoding="utf-8")
    return p


def _hf_weights(cfg: dict[str, Any], auto: str, skip: tuple[str, ...]) -> int:
    """Parameters of the model transformers builds from `cfg` (meta device, each tied tensor once), without the
    tensors whose names contain one of `skip` (what params_total does not model: biases, learned positions)."""
    torch = pytest.importorskip("torch")
    tf = pytest.importorskip("transformers")
    fields = {k: v for k, v in cfg.items() if k != "model_type"}
    try:
        hf_cfg = tf.AutoConfig.for_model(cfg["model_type"], **fields)
    except ValueError:
        pytest.skip(f"transformers {tf.__version__} does not know {cfg['model_type']!r}")
    with torch.device("meta"):
        model = getattr(tf, auto).from_config(hf_cfg)
    return sum(p.numel() for n, p in model.named_parameters() if not any(s in n for s in skip))


def test_roberta_ties_its_embeddings_as_transformers_does(tmp_path: Path) -> None:
    # RoBERTa's config has no tie_word_embeddings: RobertaConfig's default ties the LM head to the input embedding.
    # Untied, roberta-large counted 405M instead of its ~355M (one 50265 x 1024 matrix too many).
    ours = load_hf_config(_write(tmp_path, ROBERTA))
    # the position table (514 rows) is counted since 2026-12-02 (tests/test_encoder_positions.py); the MLM transform
    # (lm_head.dense, lm_head.layer_norm) is named in a note, not counted
    skip = ("bias", "token_type_embeddings", "lm_head.dense", "lm_head.layer_norm")
    assert ours.tied_embeddings
    assert ours.params_total() == _hf_weights(ROBERTA, "AutoModelForMaskedLM", skip)


def test_starcoder_multi_query_is_read(tmp_path: Path) -> None:
    # gpt_bigcode's multi_query (StarCoder: one K/V head) was taken as read but only Falcon's reader used it: the KV
    # cache came out 16x too large here (heads = 16) and the parameters too many.
    ours = load_hf_config(_write(tmp_path, STARCODER))
    assert ours.n_kv_heads == 1 and "multi_query" not in ours.unused_keys
    assert kv_cache_bytes_per_token(ours) == 2 * 1 * 128 * 2 * 2  # K and V, 1 head x 128 wide, 2 layers, 2 bytes
    assert ours.params_total() == _hf_weights(STARCODER, "AutoModelForCausalLM", ())  # biases and wpe counted
    mha = load_hf_config(_write(tmp_path, {**STARCODER, "multi_query": False}, "mha.json"))
    assert mha.n_kv_heads == 16


def test_a_family_key_in_another_family_is_listed_unused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # multi_query / parallel_attn are read for Falcon (and multi_query for gpt_bigcode) only; in a llama config they
    # were silently dropped.
    cfg = {"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 256, "num_attention_heads": 4,
           "intermediate_size": 512, "vocab_size": 1000, "max_position_embeddings": 512,
           "multi_query": True, "parallel_attn": True}
    path = _write(tmp_path, cfg)
    assert load_hf_config(path).unused_keys == ("multi_query", "parallel_attn")
    code, out, err = run_main(["plan", "explain", "--model", str(path), "--hardware", "h100-sxm", "--devices", "1",
                               "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["unused_config_keys"] == ["multi_query", "parallel_attn"]
    assert "multi_query, parallel_attn" in err


@pytest.mark.parametrize(("cfg", "words"), [
    ({"model_type": "t5", "d_model": 768, "num_layers": 12, "num_heads": 12, "d_ff": 3072, "vocab_size": 32128,
      "is_encoder_decoder": True}, "encoder-decoder"),
    ({"model_type": "mamba", "hidden_size": 768, "num_hidden_layers": 24, "vocab_size": 50280, "state_size": 16},
     "state-space"),
])
@pytest.mark.parametrize("command", [["plan", "--model"], ["plan", "serve", "-m"]])
def test_unmodelled_architectures_say_so(tmp_path: Path, capsys: pytest.CaptureFixture[str], cfg: dict[str, Any],
                                          words: str, command: list[str]) -> None:
    # These stopped with 'none of num_attention_heads, n_head is set' (T5 has num_heads; Mamba has no heads at all).
    code, _out, err = run_main([*command, str(_write(tmp_path, cfg))], capsys)
    assert code == 2 and words in err and "fix:" in err and "Traceback" not in err


@pytest.mark.parametrize("model", ["config", "bert-base", "bert-large"])
def test_plan_serve_refuses_an_encoder(tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str) -> None:
    # BERT has no output tokens; plan serve printed a TTFT/TPOT/decode-throughput table for it.
    cfg = {**ROBERTA, "model_type": "bert", "num_hidden_layers": 12, "hidden_size": 768, "num_attention_heads": 12,
           "intermediate_size": 3072, "vocab_size": 30522, "max_position_embeddings": 512}
    name = str(_write(tmp_path, cfg)) if model == "config" else model
    code, out, err = run_main(["plan", "serve", "-m", name, "--batch", "1"], capsys)
    assert code == 2 and "encoder-only" in err and "plan infer" in err and not out


# A llama config without intermediate_size or max_position_embeddings, and one of a model type the reader has no
# tie_word_embeddings default for: each figure used in their place must be printed and be in the JSON (the MLP width
# is LlamaConfig's intermediate_size 11,008, as transformers builds it: utleft2, s33; it was 4 x hidden).
_SPARSE = {"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 256, "num_attention_heads": 4,
           "vocab_size": 1000}
_WORDS = ("leaves out intermediate_size 11,008", "no max_position_embeddings")


@pytest.mark.parametrize("command", [
    ["plan", "--tokens", "1e9", "--devices", "1", "--model"],
    ["plan", "explain", "--hardware", "h100-sxm", "--devices", "1", "--model"],
    ["plan", "serve", "--batch", "1", "--prompt", "128", "--output", "16", "-m"],
])
def test_defaults_for_missing_figures_are_printed_and_in_the_json(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  command: list[str]) -> None:
    path = _write(tmp_path, _SPARSE)
    code, out, err = run_main([*command, str(path)], capsys)
    assert code == 0, err
    for w in _WORDS:
        assert w in out.replace("\n", " ")
    code, out, err = run_main([*command, str(path), "--json"], capsys)
    assert code == 0, err
    notes = " ".join(json.loads(out)["notes"])
    assert all(w in notes for w in _WORDS)


def test_no_default_note_when_the_config_gives_the_figures(tmp_path: Path) -> None:
    full = {**_SPARSE, "intermediate_size": 688, "max_position_embeddings": 512, "num_key_value_heads": 4}
    assert load_hf_config(_write(tmp_path, full)).config_defaults == ()
    gpt2 = {"model_type": "gpt2", "n_layer": 2, "n_embd": 256, "n_head": 4, "n_inner": None, "n_positions": 512,
            "vocab_size": 1000}  # n_inner null: GPT-2's MLP is 4 x n_embd by definition, not an assumption
    m = load_hf_config(_write(tmp_path, gpt2, "gpt2.json"))
    assert m.config_defaults == () and m.ffn == 1024
    other = load_hf_config(_write(tmp_path, {**full, "model_type": "olmo"}, "olmo.json"))
    assert len(other.config_defaults) == 2 and "tie_word_embeddings" in other.config_defaults[1]
    assert "'olmo' has no rule in this reader" in other.config_defaults[0]  # test_plan_unknown_model_type.py


# --- validate --runs with a user's CSV ---------------------------------------------------------------------------


def _runs_csv(tmp_path: Path, header_extra: list[str], rows_extra: list[list[str]], copies: int = 1) -> Path:
    """tmp_path/runs.csv: the bundled first training run, its header + `header_extra`, each row + a `rows_extra`
    entry (the row padded to the header first)."""
    text = (resources.files("accelopt.predict") / "data" / "published_training_runs.csv").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    header, row = list(csv.reader(lines[:2]))
    row += [""] * (len(header) - len(row))
    path = tmp_path / "runs.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header + header_extra)
        for extra in rows_extra * copies:
            w.writerow(row + extra)
    return path


@pytest.mark.parametrize(("header_extra", "rows_extra", "copies", "words"), [
    (["my_extra"], [["42"]], 1, "my_extra"),  # a column nothing reads: was dropped without a word
    ([], [["42", "43"]], 1, "more cells than the header"),  # surplus cells: were dropped without a word
    ([], [[]], 2, "appears twice"),  # the same run twice: counted twice in the medians
    ([""], [[""]], 1, "an unnamed column (a trailing comma in the header?)"),  # was named as '' (nothing printed)
])
def test_validate_runs_refuses_what_it_would_drop_or_double(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            header_extra: list[str], rows_extra: list[list[str]],
                                                            copies: int, words: str) -> None:
    path = _runs_csv(tmp_path, header_extra, rows_extra, copies)
    code, _out, err = run_main(["validate", "--runs", str(path)], capsys)
    assert code == 2 and words in err and "fix:" in err


def test_validate_runs_error_names_the_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import edited_runs_csv

    code, _out, err = run_main(["validate", "--runs", str(edited_runs_csv(tmp_path, "published_training_runs.csv",
                                                                         "dtype", "fp4"))], capsys)
    assert code == 2 and "run 'meg-t1-1.7b'" in err and "dtype 'fp4'" in err and "cell" in err


def test_profile_refuses_weights_past_this_machines_memory(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # `profile CONFIG` builds the model with random weights (it runs them); a 40B config on a 23 GB machine was left
    # to the kernel's OOM killer (no error, no fix). Here the machine is made to have 1 MB available: the tiny model's
    # ~2.1M fp32 weights (8 MB) do not fit, and the refusal comes before the build; with 1 TB it runs.
    # `plan infer CONFIG` refused it too until it built the model on the meta device (infer_meta, 2026-12-02): it
    # needs no weight memory now, and plans it with 1 MB available (tests/test_plan_infer_meta_build.py).
    pytest.importorskip("transformers")
    import accelopt.workload.hf as hf

    monkeypatch.setattr(hf, "available_memory_bytes", lambda: 10**6)
    path = _write(tmp_path, {**_SPARSE, "intermediate_size": 688, "max_position_embeddings": 512,
                             "architectures": ["LlamaForCausalLM"]})
    profile = ["profile", str(path), "--mode", "inference", "--batch-size", "1", "--seq-len", "8", "--steps", "3"]
    code, _out, err = run_main(profile, capsys)
    assert code == 2 and "available" in err and "fix:" in err and "Traceback" not in err
    code, _out, err = run_main(["plan", "infer", str(path), "--hardware", "h100-sxm", "--batch", "1"], capsys)
    assert code == 0, err
    monkeypatch.setattr(hf, "available_memory_bytes", lambda: 10**12)
    code, _out, err = run_main(profile, capsys)
    assert code == 0, err


@pytest.mark.parametrize("command", [["plan", "--devices", "8", "--model"], ["plan", "serve", "-m"]])
def test_a_hub_id_says_nothing_is_downloaded(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    # The first thing a new user types: it said only "unknown model", as for a typo.
    code, _out, err = run_main([*command, "meta-llama/Meta-Llama-3-8B"], capsys)
    err = " ".join(err.split())
    assert code == 2 and "Hub id is not downloaded" in err and "config.json" in err and "'llama3-8b'" in err


def test_hardware_all_as_in_plan_infer(capsys: pytest.CaptureFixture[str]) -> None:
    # `plan infer` defaults to --hardware all; `plan` and `plan serve` said "unknown device 'all'". Every catalog
    # device is now searched or named with why not (serve: results or errors; plan: rows or skipped_devices).
    from accelopt.hardware.catalog import default_catalog

    names = {s.name for s in default_catalog()}
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "all", "--json"], capsys)
    doc = json.loads(out)
    assert code == 0, err
    assert {r["device"] for r in doc["results"]} | {e["device"] for e in doc["errors"]} == names
    code, out, err = run_main(["plan", "--model", "gpt3-125m", "--hardware", "all", "--devices", "8", "--tokens",
                               "1e9", "--json"], capsys)
    doc = json.loads(out)
    assert code == 0, err
    skipped = set(doc["skipped_devices"])
    # one calibration entry per device searched (a skipped device gets none: 818fb31)
    assert {b["device"] for b in doc["calibration_basis"]} == names - skipped
    assert skipped < names and {r["hardware"] for r in doc["best"]} < names


def test_a_byte_order_mark_is_not_part_of_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Saved by Excel ("CSV UTF-8") or Notepad: the runs CSV "lacked the column id" and the config.json was "not JSON".
    text = (resources.files("accelopt.predict") / "data" / "published_training_runs.csv").read_text("utf-8")
    runs = tmp_path / "runs.csv"
    runs.write_bytes(b"\xef\xbb\xbf" + "\n".join([ln for ln in text.splitlines() if not ln.startswith("#")][:2])
                     .encode("utf-8"))
    code, _out, err = run_main(["validate", "--runs", str(runs)], capsys)
    assert code == 0, err
    cfg = tmp_path / "config.json"
    cfg.write_bytes(b"\xef\xbb\xbf" + json.dumps({**_SPARSE, "intermediate_size": 688,
                                                  "max_position_embeddings": 512}).encode("utf-8"))
    code, _out, err = run_main(["plan", "explain", "--model", str(cfg), "--hardware", "h100-sxm", "--devices", "1"],
                               capsys)
    assert code == 0, err


def test_simulate_says_what_plan_says_of_a_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `simulate run -m config.json` dropped unused keys and defaults without a word, and any error of the config
    # (T5 here) became "unknown model" with the list of presets.
    path = _write(tmp_path, {**_SPARSE, "my_key": 5})
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", str(path), "--seq-len", "16", "--json"], capsys)
    assert code == 0, err
    source = json.loads(out)["source"]
    assert "my_key" in source and all(w in source for w in _WORDS)
    t5 = _write(tmp_path, {"model_type": "t5", "d_model": 64, "num_layers": 2, "num_heads": 2, "vocab_size": 100},
                "t5.json")
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", str(t5)], capsys)
    assert code == 2 and "encoder-decoder" in err and "unknown model" not in err


def test_a_zero_mlp_width_is_refused_not_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # n_inner 0 in a gpt2 config was read as 'left out' and became 4 x hidden without a word
    path = _write(tmp_path, {"model_type": "gpt2", "n_embd": 128, "n_head": 4, "n_layer": 2, "vocab_size": 1000,
                             "n_positions": 256, "n_inner": 0})
    code, _out, err = run_main(["plan", "explain", "--model", str(path), "--hardware", "h100-sxm", "--devices", "1"],
                               capsys)
    assert code == 2 and "MLP width" in err and "is 0" in err and "fix:" in err


def test_hardware_all_with_a_profiled_workload(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `plan --model WORKLOAD.json --hardware all` said "unknown device 'all'": it now says what the workload path
    # does (the devices named), and the names go through the same resolve_devices as plan / plan serve / plan infer
    wl = tmp_path / "wl.json"
    code, _out, err = run_main(["profile", "mlp", "--steps", "3", "--save-workload", str(wl)], capsys)
    assert code == 0, err
    code, _out, err = run_main(["plan", "--model", str(wl), "--hardware", "all", "--devices", "8"], capsys)
    assert code == 2 and "profiled workload is planned on the devices you name" in err and "fix:" in err
    code, out, err = run_main(["plan", "--model", str(wl), "--hardware", "h100-sxm,a100-sxm-80gb", "--devices", "8",
                               "--json"], capsys)
    assert code == 0, err
    assert {r["hardware"] for r in json.loads(out)["layouts"]} == {"h100-sxm", "a100-sxm-80gb"}


GEMMA2_SHAPE = {"model_type": "gemma2", "hidden_size": 3584, "num_hidden_layers": 42, "num_attention_heads": 16,
                "num_key_value_heads": 8, "head_dim": 256, "intermediate_size": 14336, "vocab_size": 256000,
                "max_position_embeddings": 8192, "sliding_window": 4096, "query_pre_attn_scalar": 256,
                "final_logit_softcapping": 30.0}


@pytest.mark.parametrize("cap", [50.0, None])
def test_attention_softcapping_names_the_kernel_a_run_uses(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           cap: float | None) -> None:
    """Gemma 2's attn_logit_softcapping was read as elementwise and said nothing, while `plan explain` timed the
    default cuDNN fused attention, which Transformer Engine disqualifies for a soft-capped run (FlashAttention-2 or
    unfused run instead, NVIDIA/TransformerEngine PR #3391): a note (JSON notes) now names it and the flag that
    predicts the kernel run; a config without the cap gets none."""
    cfg = _write(tmp_path, {**GEMMA2_SHAPE, "attn_logit_softcapping": cap})
    code, out, err = run_main(["plan", "explain", "--model", str(cfg), "--hardware", "h100-sxm", "--devices", "8",
                               "--tp", "8", "--json"], capsys)
    assert code == 0, err
    notes = [n for n in json.loads(out)["notes"] if "attn_logit_softcapping" in n]
    if cap is None:
        assert notes == []
    else:
        assert len(notes) == 1 and "--attention-kernel flash2" in notes[0] and "#3391" in notes[0]
