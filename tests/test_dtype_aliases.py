"""The dtype spellings torch users type (`--dtype bfloat16`, `--kv-dtype float8`, `--dtypes float32,half`) were
refused ('dtype 'bfloat16' is not a training dtype', '--dtype 'float16' is not a known dtype'). Every option that
takes a dtype now reads them as accelopt's names (accelopt.dtypes.ALIASES), says so on stderr, and gives the same
result as the name it stands for."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

from accelopt.cli.dtype_aliases import canonical_list
from accelopt.dtypes import canonical

EXPLAIN = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--zero", "3",
           "--json"]
SERVE = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1", "--json"]


def _prediction(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[dict, str]:
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    return json.loads(out), err


@pytest.mark.parametrize(("typed", "meant"), [("bfloat16", "bf16"), ("torch.float16", "fp16"), ("half", "fp16"),
                                               ("float8", "fp8"), ("float8_e4m3fn", "fp8"), ("Float32", "fp32"),
                                               ("float32", "fp32"), ("bf16", "bf16"), ("tf32", "tf32")])
def test_torch_spellings_read_as_accelopt_names(typed: str, meant: str) -> None:
    assert canonical(typed) == meant


def test_a_list_and_an_unknown_spelling() -> None:
    assert canonical_list("float32,half") == "fp32,fp16"
    assert canonical_list("bfloat17") == "bfloat17"  # left for the command's own check to refuse


@pytest.mark.parametrize(("typed", "item"), [("float32,,half", "item 2 of 3"), ("float32,", "item 2 of 2"),
                                             (",bf16", "item 1 of 2"), ("fp32, ,bf16", "item 2 of 3")])
def test_an_empty_item_is_refused_naming_it(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                            typed: str, item: str) -> None:
    from accelopt.cli import probe

    def measured(*a: object, **k: object) -> None:
        raise AssertionError("the device was measured with an empty --dtypes item")

    monkeypatch.setattr(probe, "_run", measured)
    code, out, err = run_main(["probe", "--quick", "--device", "cpu", "--no-save", "--dtypes", typed], capsys)
    assert code == 2 and f"--dtypes {typed!r} has an empty item ({item}" in err, err
    assert "e.g. --dtypes " in err and out == ""


def test_plan_explain_bfloat16_is_bf16(capsys: pytest.CaptureFixture[str]) -> None:
    typed, err = _prediction(capsys, [*EXPLAIN, "--dtype", "bfloat16"])
    named, _ = _prediction(capsys, [*EXPLAIN, "--dtype", "bf16"])
    assert typed["prediction"] == named["prediction"]
    assert "--dtype bfloat16 read as bf16" in err


def test_plan_serve_weight_and_kv_spellings(capsys: pytest.CaptureFixture[str]) -> None:
    typed, err = _prediction(capsys, [*SERVE, "--weight-dtype", "torch.bfloat16", "--kv-dtype", "float8"])
    named, _ = _prediction(capsys, [*SERVE, "--weight-dtype", "bf16", "--kv-dtype", "fp8"])
    assert typed["results"] == named["results"]
    assert "--kv-dtype float8 read as fp8" in err and "--weight-dtype torch.bfloat16 read as bf16" in err


def test_catalog_list_float16(capsys: pytest.CaptureFixture[str]) -> None:
    code, typed, err = run_main(["catalog", "list", "--dtype", "float16"], capsys)
    assert code == 0 and "--dtype float16 read as fp16" in err, err
    assert typed == run_main(["catalog", "list", "--dtype", "fp16"], capsys)[1]


def test_an_unknown_spelling_is_still_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*EXPLAIN, "--dtype", "bfloat17"], capsys)
    assert code == 2 and "bfloat17" in err and "read as" not in err


@pytest.mark.parametrize("typed", ["bf16,", "bf16,,", "bfloat16,fp16"])
def test_a_one_dtype_flag_refuses_a_list_in_its_own_words(capsys: pytest.CaptureFixture[str], typed: str) -> None:
    """utcode (2026-12-05): `catalog list --dtype bf16,` was told it 'has an empty item' and to 'write each dtype once
    between commas', a list form --dtype does not take."""
    code, out, err = run_main(["catalog", "list", "--dtype", typed], capsys)
    assert code == 2 and out == "" and f"--dtype {typed!r}: --dtype takes one dtype" in err, err
    assert "fix: give one dtype, e.g. --dtype bf16" in err and "between commas" not in err, err


@pytest.mark.parametrize(("typed", "example"), [("bfloat17,fp16", "e.g. --dtype fp16"),
                                                ("bfloat17,fp16x", "the command's --help lists those --dtype takes")])
def test_the_list_refusals_example_is_a_known_dtype(capsys: pytest.CaptureFixture[str], typed: str,
                                                    example: str) -> None:
    """rvcode (2026-12-05): `--dtype bfloat17,fp16` was told 'give one dtype, e.g. --dtype bfloat17', an example
    the command then refuses; the example is the first item that is a known dtype, or none where no item is."""
    code, out, err = run_main(["catalog", "list", "--dtype", typed], capsys)
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "--dtype takes one dtype" in flat and example in flat, flat
    assert "bfloat17" not in flat.partition("fix:")[2], flat
