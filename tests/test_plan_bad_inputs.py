"""Every bad input to plan / plan explain / plan serve / validate ends in `error: ... fix: ...` (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.cli.main import main


def _fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run the CLI, require exit status 2 with a problem and a fix on stderr; return stderr."""
    with pytest.raises(SystemExit) as e:
        main(list(args))
    err = capsys.readouterr().err
    assert e.value.code == 2, err
    assert "error:" in err and "fix:" in err and "Traceback" not in err, err
    return err


PLAN = ("plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "64", "--tokens", "1e12")


@pytest.mark.parametrize(("args", "needle"), [
    (("plan", "--model", "llama3-7b"), "llama3-8b"),  # typo: closest names suggested
    (("plan", "--model", "llama3-8b", "--hardware", "h100-sxmm"), "h100-sxm"),
    (("plan", "--model", "llama3-8b", "--devices", "0"), "--devices"),
    (("plan", "--model", "llama3-8b", "--devices", "abc"), "--devices"),
    (("plan", "--model", "llama3-8b", "--tokens", "-5"), "--tokens"),
    ((*PLAN, "--deadline", "soon"), "duration"),
    ((*PLAN, "--global-batch", "1000001tok"), "--global-batch"),
    # PLAN's own --hardware left out below: an option typed twice is an error of its own (test_repeated_options.py)
    ((*PLAN[:3], "--hardware", "", *PLAN[5:]), "--hardware"),
    ((*PLAN[:3], "--hardware", ",", *PLAN[5:]), "--hardware"),
    ((*PLAN, "--objective", "speed"), "--objective"),
    ((*PLAN, "--top", "0"), "--top"),
    ((*PLAN, "--dtype", "int3"), "dtype"),
    (("plan", "--model", "llama3-8b", "--hardware", "v100", "--devices", "64"), "fp16"),  # fix names what it has
    (("plan", "--model", "llama3-8b", "--hardware", "a100", "--devices", "64", "--dtype", "fp8"), "bf16"),
    (("plan", "--model", "llama3-405b", "--hardware", "a100-40gb", "--devices", "8"), "no feasible layout"),
    ((*PLAN, "--calibration", "/nonexistent/cal.toml"), "does not exist"),
])
def test_plan_bad_input(capsys: pytest.CaptureFixture[str], args: tuple[str, ...], needle: str) -> None:
    assert needle in _fails(capsys, *args)


def test_malformed_calibration(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "cal.toml"
    bad.write_text("garbage [[", encoding="utf-8")
    assert "not valid TOML" in _fails(capsys, *PLAN, "--calibration", str(bad))
    bad.write_text("[family.default]\nmatmul_eff_max = 2.0\n", encoding="utf-8")
    assert "lacks" in _fails(capsys, *PLAN, "--calibration", str(bad))


@pytest.mark.parametrize(("text", "needle"), [
    ("not json {", "is not JSON"),
    ('{"model_type": "llama", "hidden_size": 4096}', "num_hidden_layers"),
    ('{"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 0, "vocab_size": 10}', "positive"),
    ('{"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "vocab_size": 10, '
     '"intermediate_size": "big"}', "intermediate_size"),
    ("[1, 2]", "no JSON object"),
])
def test_bad_hf_config(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, needle: str) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(text, encoding="utf-8")
    assert needle in _fails(capsys, "plan", "--model", str(cfg), "--devices", "8")
    assert needle in _fails(capsys, "plan", "serve", "--model", str(cfg))


def test_model_folder_and_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert "no such file" in _fails(capsys, "plan", "--model", str(tmp_path / "nope.json"))
    assert "without a config.json" in _fails(capsys, "plan", "--model", str(tmp_path))
    (tmp_path / "config.json").write_text('{"num_hidden_layers": 2}', encoding="utf-8")
    assert "hidden_size" in _fails(capsys, "plan", "--model", str(tmp_path))  # the folder's config.json is read


@pytest.mark.parametrize("argv", [("plan", "--devices", "8"),
                                  ("plan", "explain", "--hardware", "h100-sxm", "--devices", "8"),
                                  ("plan", "serve", "--batch", "1")])
def test_an_empty_model_is_refused_not_read_from_the_working_folder(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        argv: tuple[str, ...]) -> None:
    """`--model ""` (a script's unset $MODEL) planned the working folder's config.json, as a model named 'config'
    (Path('') is '.'), exit 0: it is refused, naming the empty flag."""
    (tmp_path / "config.json").write_text(json.dumps({
        "model_type": "llama", "hidden_size": 256, "num_hidden_layers": 2, "num_attention_heads": 4,
        "intermediate_size": 512, "vocab_size": 1000, "max_position_embeddings": 512}), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert "--model '' is empty" in _fails(capsys, *argv, "--model", "")


@pytest.mark.parametrize(("flag", "word"), [("--batch", "batch"), ("--concurrency", "concurrency")])
def test_a_load_that_does_not_fit_is_named_by_its_flag(capsys: pytest.CaptureFixture[str], flag: str,
                                                       word: str) -> None:
    """`plan serve --concurrency 5000` that does not fit said 'batch 5000 ... fix: use a --batch that fits', a flag
    the user had not given (and --batch is exclusive with --concurrency): the error names the flag typed."""
    err = _fails(capsys, "plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", flag, "8,5000")
    assert f"error: {word} 5000 on 1 x h100-sxm needs" in err and f"use a {flag} that fits (h100-sxm: <= " in err


def test_malformed_workload_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    wl = tmp_path / "wl.json"
    wl.write_text('{"name": "x", "ops": [1, 2', encoding="utf-8")
    assert "profile --save-workload" in _fails(capsys, "plan", "--model", str(wl), "--devices", "8")
    wl.write_text('{"name": "x", "ops": [{"a": 1}]}', encoding="utf-8")
    assert "workload" in _fails(capsys, "plan", "--model", str(wl), "--devices", "8")


EXPLAIN = ("plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "64")


@pytest.mark.parametrize(("extra", "needle"), [
    (("--tp", "3"), "tp must divide the 32 attention heads"),
    (("--pp", "64", "--tp", "1"), "pp cannot exceed"),
    (("--global-batch", "10"), "global batch"),  # fewer sequences than the 64 data-parallel ranks
    (("--tp", "0"), "--tp"),
    (("--zero", "4"), "--zero"),
    (("--recompute", "some"), "--recompute"),
    (("--slice-devices", "3"), "whole number of slices (scale-up domains)"),  # 64 chips are not slices of 3
])
def test_explain_invalid_layout(capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], needle: str) -> None:
    err = _fails(capsys, *EXPLAIN, *extra)
    assert needle in err
    assert capsys.readouterr().out == ""  # no arithmetic of an invalid layout


def test_explain_memory_infeasible_prints_arithmetic_then_fails(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["plan", "explain", "--model", "llama3-70b", "--hardware", "h100-sxm", "--devices", "8", "--zero", "0",
              "--global-batch", "8"])
    out, err = capsys.readouterr()
    assert e.value.code == 2
    assert "mem_optimizer_bytes" in out and "does not fit" in err and "fix:" in err


def test_explain_memory_parts_add_up_to_the_need(capsys: pytest.CaptureFixture[str]) -> None:
    """The 'does not fit' line listed weights, grads, optimizer and activations, which fell short of the total it
    named by the calibration's framework overhead (Gemma 2 9B, tp 8 on L4s: 24.0 of '26.4 GiB'): it lists that too,
    the mem_overhead_bytes term of the table and the JSON."""
    import re

    with pytest.raises(SystemExit) as e:
        main(["plan", "explain", "--model", "gemma2-9b", "--hardware", "l4", "--devices", "8", "--tp", "8", "--json"])
    out, err = capsys.readouterr()
    assert e.value.code == 2, err
    why = json.loads(out)["infeasible_because"][0]
    need, parts = why.split(": ", 1)[0], why.split(": ", 1)[1].split(" — ")[0]
    gib = [float(x) for x in re.findall(r"([\d.]+) GiB", parts)]
    assert "framework overhead" in parts and len(gib) == 5, why
    assert sum(gib) == pytest.approx(float(re.findall(r"([\d.]+) GiB", need)[0]), abs=0.05), why


SERVE = ("plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm")


@pytest.mark.parametrize(("extra", "needle"), [
    (("--batch", "0"), "--batch"),
    (("--batch", "abc"), "--batch"),
    (("--tp", "3"), "attention heads"),
    (("--tp", "0"), "tp"),
    (("--prompt", "0"), "--prompt 0 must be"),  # named the library argument prompt_len before
    (("--prompt", "10000000"), "KV cache"),  # does not fit at batch 1: memory breakdown and fix
    (("--weight-dtype", "fp4"), "--weight-dtype 'fp4'"),
    (("--kv-dtype", "int2"), "--kv-dtype 'int2'"),
    (("--output", "0"), "--output 0 must be"),
    (("--tp", "3"), "--tp 3 does not divide"),
    (("--pp", "99"), "--pp 99 exceeds the 32 layers"),
    (("--rate", "0"), "--rate 0"),
    (("--price-usd-per-hour", "0"), "--price-usd-per-hour 0"),
    (("--hardware", "a100", "--weight-dtype", "fp8"), "bf16"),
    (("--hardware", "v100"), "fp16"),
    (("--hardware", ""), "--hardware"),
    (("--hardware", "h100-sxmm"), "h100-sxm"),
    (("--price-usd-per-hour", "-1"), "price"),
])
def test_serve_bad_input(capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], needle: str) -> None:
    assert needle in _fails(capsys, *_without(SERVE, extra), *extra)


def _without(base: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    """`base` less each option (and its value) that `extra` types: an option typed twice is an error of its own
    (test_repeated_options.py), where the last one typed used to win."""
    out: list[str] = []
    for i, word in enumerate(base):
        typed_again = {w for w in extra if w.startswith("--")}
        if word in typed_again or (i and base[i - 1] in typed_again):  # the option, or its value
            continue
        out.append(word)
    return tuple(out)


def test_validate_bad_runs_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert "fix:" in _fails(capsys, "validate", "--runs", str(tmp_path / "none.csv"))
    bad = tmp_path / "runs.csv"
    bad.write_text("id,model\nx,llama9\n", encoding="utf-8")
    _fails(capsys, "validate", "--runs", str(bad))


def test_json_mode_of_serve_stays_json(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main([*SERVE, "--batch", "1", "--json"])
    assert e.value.code in (0, None)
    assert json.loads(capsys.readouterr().out)["estimate"] is True


@pytest.mark.parametrize(("extra", "needle"), [
    (("--seq-len", "0"), "--seq-len"),  # used to fall back to the model's length silently
    (("--seq-len", "-3"), "--seq-len"),
    (("--devices", "1e9"), "no layout of"),  # more devices than sequences in the global batch
    (("--pue", "0.5"), "pue"),
    (("--grid-kg-per-kwh", "-1"), "grid"),
    (("--budget-usd", "-5"), "--budget-usd"),  # refused up front (it used to drop every layout as over budget)
    (("--deadline", "0s"), "deadline"),
])
def test_plan_bad_numbers(capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], needle: str) -> None:
    assert needle in _fails(capsys, *_without(PLAN, extra), *extra)


@pytest.mark.parametrize(("argv", "needle"), [
    (("plan", "serve", "--model", "llama3-8b", "--memory-fraction", "1.5"), "--memory-fraction 1.5"),
    (("plan", "serve", "--model", "llama3-8b", "--memory-fraction", "nan"), "--memory-fraction nan"),
    (("plan", "serve", "--model", "llama3-8b", "--max-prefill-tokens", "0"), "--max-prefill-tokens 0"),
    (("plan", "serve", "--model", "llama3-8b", "--max-batch-size", "0"), "--max-batch-size 0"),
    # an engine capped at 4 requests cannot run a static batch of 8 (it ran without a word before)
    (("plan", "serve", "--model", "llama3-8b", "--max-batch-size", "4", "--batch", "1,8"),
     "--batch 8 is above --max-batch-size 4"),
    (("plan", "serve", "--model", "llama3-8b", "--max-batch-size", "4", "--concurrency", "16"),
     "--concurrency 16 is above --max-batch-size 4"),
    ((*EXPLAIN, "--collectives", "/no/such/probe.toml"), "--collectives file"),
])
def test_engine_and_collectives_errors_name_the_flag(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...],
                                                     needle: str) -> None:
    """The error names the option the user typed, not the calibration field or 'catalog file' behind it."""
    assert needle in _fails(capsys, *argv)


@pytest.mark.parametrize(("argv", "problem", "fix"), [
    # a dense model: the fix says to leave the expert flag out (was the generic tp/pp/devices fix)
    ((*EXPLAIN, "--etp", "2"), "--etp 2: llama3-8b is a dense model", "leave --etp out"),
    ((*EXPLAIN, "--ep", "2"), "--ep 2: llama3-8b is a dense model", "leave --ep out"),
    # etp above tp was predicted as free expert memory (the expert layers are timed at tp's split)
    (("plan", "explain", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--devices", "64", "--tp", "2",
      "--ep", "8", "--etp", "8"), "--etp 8 is above --tp 2", "give --etp at most --tp 2"),
])
def test_explain_expert_flags_get_a_specific_fix(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...],
                                                 problem: str, fix: str) -> None:
    code, out, err = run_main(list(argv), capsys)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert problem in lines[0] and "fix:" in err
    assert fix in err.split("fix:", 1)[1] and "--devices a multiple" not in err


def test_plan_etp_all_above_tp_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """The search skips etp above a layout's tp; a list with only such values used to end in 'no layout of 64
    devices exists ... use fewer --devices', blaming the device count."""
    err = _fails(capsys, "plan", "--model", "mixtral-8x7b", "--devices", "64", "--etp", "64")
    assert "--etp 64" in err and "above the largest tensor-parallel degree searched (32)" in err
    assert "fewer --devices" not in err


def test_serve_errors_name_flags_not_library_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    """No error reachable from `plan serve` names an argument of the serving library (prompt_len, output_len,
    weight_dtype, kv_dtype, 'tp = ', 'request rate', 'price') where the user typed a flag."""
    cases = [("--prompt", "0"), ("--output", "-1"), ("--weight-dtype", "x"), ("--kv-dtype", "x"), ("--tp", "0"),
             ("--pp", "0"), ("--tp", "3"), ("--pp", "99"), ("--rate", "-2"), ("--price-usd-per-hour", "-1")]
    for flag, value in cases:
        err = _fails(capsys, *SERVE, flag, value)
        assert f"{flag} " in err.splitlines()[0], (flag, err)
        for name in ("prompt_len", "output_len", "weight_dtype", "kv_dtype", "tp =", "pp =", "request rate"):
            assert name not in err, (flag, err)


def test_serve_nothing_fits_says_what_does_not_fit(capsys: pytest.CaptureFixture[str]) -> None:
    """When not even one request fits, the error said 'batch=1' whatever the user asked; it now names the cause
    (the weights alone, or one request's KV cache) with GiB per device, the requested batch's KV cache, and a fix
    for that cause."""
    from accelopt.hardware.catalog import get_device
    from accelopt.predict.serving import (
        DEFAULT_CALIBRATION,
        calibration_for_spec,
        kv_cache_bytes_per_token,
        weight_bytes_per_param,
    )
    from accelopt.workload.presets import get_model

    err = _fails(capsys, *SERVE, "--prompt", "10000000", "--batch", "8")
    assert "batch=1" not in err
    # one request's KV cache: 10,000,256 tokens x 128 KiB per token (Llama 3 8B bf16: 2 x 32 layers x 8 KV heads x
    # 128 x 2 B), written from the formula
    kv1_gib = 10_000_256 * 2 * 32 * 8 * 128 * 2 / 2**30
    assert kv1_gib == pytest.approx(10_000_256 * kv_cache_bytes_per_token(get_model("llama3-8b")) / 2**30)
    assert f"one request of 10,000,000 + 256 tokens needs {kv1_gib:.1f} GiB of KV cache per device" in err
    assert f"the requested batch 8 would need {8 * kv1_gib:.1f} GiB of KV cache" in err
    fix = err.split("fix:", 1)[1]
    # an fp8 KV cache would still need half of 1,221 GiB: not named (utmisc 2026-12-04: it was, and was refused next)
    assert "--prompt" in fix and "--kv-dtype fp8" not in fix and "--weight-dtype" not in fix

    err = _fails(capsys, "plan", "serve", "--model", "llama3.1-405b", "--hardware", "h100-sxm", "--tp", "8")
    m = get_model("llama3.1-405b")
    spec = get_device("h100-sxm")
    frac = calibration_for_spec(spec, DEFAULT_CALIBRATION).memory_utilization
    usable_gib = frac * spec.memory_bytes / 2**30  # memory_basis 'total': the engine's fraction of the capacity
    w_gib = m.params_total() * weight_bytes_per_param("bf16") / 8 / 2**30  # the bf16 weights over tp 8
    assert "the weights alone need" in err and f"above the {usable_gib:.1f} GiB usable" in err
    need = float(err.split("the weights alone need ")[1].split(" GiB")[0])
    assert need == pytest.approx(w_gib, rel=0.01)  # tp-replicated norms and the like: < 1%
    fix = err.split("fix:", 1)[1]
    assert "--tp/--pp" in fix and "--weight-dtype fp8 or int4" in fix and "--prompt" not in fix


@pytest.mark.parametrize(("argv", "needle"), [
    # used to end in 'no layout of 8 devices exists ... use fewer --devices' (every layout refused)
    ((*PLAN[:-2], "--edge-stage-layers", "0"), "--edge-stage-layers 0: the first and last stages"),
    ((*EXPLAIN, "--pp", "4", "--edge-stage-layers", "16"), "--edge-stage-layers 16"),
    # the facility checks named the library field only (pue = nan, host_power_w_per_device = -1.0)
    ((*PLAN, "--pue", "nan"), "--pue nan"),
    ((*EXPLAIN, "--host-w", "-1"), "--host-w -1.0"),
    ((*PLAN, "--grid-kg-per-kwh", "inf"), "--grid-kg-per-kwh inf"),
    ((*EXPLAIN, "--seq-len", "100000000"), "--seq-len 100,000,000"),
    # validate dropped --inference (with --serving) and --calibration (with --inference) without a word
    (("validate", "--inference", "--serving"), "--inference and --serving given together"),
    (("validate", "--inference", "--calibration", "my.toml"), "--calibration with --inference"),
])
def test_odd_inputs_name_the_flag(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], needle: str) -> None:
    err = _fails(capsys, *argv)
    assert needle in err.splitlines()[0] and "fix:" in err
    assert "no layout of" not in err


@pytest.mark.parametrize(("extra", "fix", "not_in_fix"), [
    # the fix was one generic list (devices, tp, pp x vp, mbs) whatever rule broke
    # 2026-12-05, utdist: the fixes bounded by a figure name it (test_explain_fix_figures)
    (("--mbs", "100000"), "--mbs at most the 8 sequences per data-parallel rank", "--tp dividing"),
    (("--zero", "3", "--hsdp", "3"), "an --hsdp dividing dp x cp", "--mbs"),
    (("--recompute-layers", "5"), "--recompute full with --recompute-layers", "--devices a multiple"),
    (("--vp", "2"), "--vp 1, or --pp > 1", "--mbs"),
    (("--tp", "3"), "a --tp dividing the 32 heads", "--mbs"),
    # 'recompute_layers cannot exceed the layers of a pipeline stage' held the phrase of the pp x vp rule ('cannot
    # exceed the layer'), so the fix also told to lower --pp x --vp
    (("--recompute", "full", "--recompute-layers", "100"), "--recompute-layers at most the 32 layers of a stage",
     "--pp x --vp"),
])
def test_explain_structural_fix_is_the_broken_rules(capsys: pytest.CaptureFixture[str], extra: tuple[str, ...],
                                                    fix: str, not_in_fix: str) -> None:
    err = _fails(capsys, *EXPLAIN, *extra)
    got = err.split("fix:", 1)[1]
    assert fix in got and not_in_fix not in got


def test_every_structural_rule_is_checked_and_has_its_own_fix() -> None:
    """The fix of a broken rule is looked up by its Rule key (no longer by a phrase of its message): every rule
    structural_problems checks, edge-stage rules included, has an entry, so none falls back to a generic fix."""
    import numpy as np

    from accelopt.predict.query import structural_fixes
    from accelopt.predict.training import Layout, Layouts, Rule, Setup, structural_problems
    from accelopt.workload.presets import get_model

    model = get_model("llama3-8b")
    setup = Setup(model=model, seq_len=2048, global_batch=64, edge_stage_layers=3)
    checked = [p.rule for p in structural_problems(setup, Layouts.of([Layout(pp=4, dp=2, m=32)]), np.array([8]))]
    assert sorted(checked, key=lambda r: r.value) == list(Rule)  # each rule checked once
    fixes = structural_fixes(model, 8)
    assert set(fixes) == set(Rule) and all(fixes.values())


def test_expert_grid_fix_does_not_name_the_expert_count(capsys: pytest.CaptureFixture[str]) -> None:
    # 'etp x ep must divide tp x dp x cp' also holds the phrase 'ep must divide', so the fix told to pick an --ep
    # dividing the 8 experts when ep = 8 already does
    err = _fails(capsys, "plan", "explain", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--devices", "8",
                 "--tp", "2", "--ep", "8", "--etp", "2")
    got = err.split("fix:", 1)[1]
    assert "--etp x --ep dividing tp x dp x cp" in got and "experts" not in got


def test_serve_weights_past_memory_suggest_only_dtypes_the_device_runs(capsys: pytest.CaptureFixture[str]) -> None:
    # an Edge TPU (8 MB, int8 peak only) said "0.0 GB usable" and "use --weight-dtype fp8 or int4", both refused there
    # (since ut_fresh2: the default bf16, which it cannot run, is refused before memory, naming w8a8 alone)
    code, _, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "edge-tpu"], capsys)
    assert code == 2 and "has no bf16 peak" in err
    assert "use --weight-dtype w8a8\n" in err and "fp8" not in err and "int4" not in err  # int8 peak, no 16-bit one
    code, _, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "edge-tpu", "--weight-dtype", "w8a8"],
                            capsys)
    assert code == 2 and "6.87 MiB usable (90% of 7.63 MiB)" in err and "0.0 GiB" not in err  # 8e6 B
    assert "fp8" not in err and "int4" not in err
    # a T4 has no fp8 peak: int8 (weight-only, W8A16; w8a8 has its bytes) and int4 (W4A16) are named, and the
    # suggestion is then accepted
    code, _, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "t4"], capsys)
    assert code == 2 and "device 't4' has no bf16 peak" in err  # its 16-bit peak is fp16's (since ut_fresh2)
    code, _, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "t4", "--weight-dtype", "fp16"], capsys)
    assert code == 2 and "use --weight-dtype int8 or int4," in err
    code, _, err = run_main(["plan", "serve", "-m", "llama3-8b", "--hardware", "t4", "--weight-dtype", "int8"], capsys)
    assert code == 0, err
