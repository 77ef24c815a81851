"""fix4a (validate / plan serve leftovers, session 36): a training row on a device not NVIDIA's with a blank stack
cell was predicted with stack megatron, shown in the table's stack column, with no 'default used:' line naming it
(console, JSON input_notes, `validate --row`); a user's input error inside `plan serve`'s prediction was no longer
preceded by the config keys it ignored (ut4fix printed them after the prediction)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main, run_main_expect

HEADER = ("id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,step_s,"
          "mlp,flash,overlap,zero,stack")
SHAPE = "8,32,4096,32,11008,32000,4096,64,1,1,8,none,5.1,swiglu,1,1,1"
STACK_NOTE = "default used: stack megatron on tpu-v5p (the stack cell is blank"


def _runs(tmp_path: Path) -> Path:
    runs = tmp_path / "tpu.csv"
    runs.write_text(f"{HEADER}\ntpu-blank,our lab,tpu-v5p,{SHAPE},\ntpu-maxtext,our lab,tpu-v5p,{SHAPE},maxtext\n"
                    f"h100-blank,our lab,h100-sxm,{SHAPE},\n", encoding="utf-8")
    return runs


def test_a_blank_stack_off_nvidia_is_said_as_a_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Named for the TPU run whose cell is blank only: the one that says maxtext, and an NVIDIA run (the file's
    default is Megatron-LM's on NVIDIA GPUs), are not."""
    runs = _runs(tmp_path)
    out, err = run_main_expect(capsys, "validate", "--runs", str(runs))
    [line] = [ln for ln in err.splitlines() if STACK_NOTE in ln]
    assert line.startswith("note: 1 run(s) (tpu-blank): ") and "maxtext" in line, err
    assert "h100-blank" not in line and "tpu-maxtext" not in line.split(":")[1], line
    out, _ = run_main_expect(capsys, "validate", "--runs", str(runs), "--json")
    assert [n for n in json.loads(out)["input_notes"] if STACK_NOTE in n] == [line], out
    out, err = run_main_expect(capsys, "validate", "--runs", str(runs), "--row", "tpu-blank", "--json",
                               "--config-dir", str(tmp_path / "cfg"))
    assert line in json.loads(out)["runs"][0]["notes"], out
    _, err = run_main_expect(capsys, "validate", "--runs", str(runs), "--row", "tpu-blank",
                             "--config-dir", str(tmp_path / "cfg"))
    assert line in err.splitlines(), err
    _, err = run_main_expect(capsys, "validate", "--runs", str(runs), "--row", "tpu-maxtext", "--row", "h100-blank",
                             "--config-dir", str(tmp_path / "cfg"))
    assert STACK_NOTE not in err, err


IGNORED = "config key(s) not modelled by the predictor, ignored: quantization_config"


def test_plan_serve_says_the_ignored_keys_before_an_input_error(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """An hqq checkpoint (a format no flag says: its quantization_config stays ignored, ut4fix) served with a flag
    the model refuses inside the prediction: the warning precedes the error; once on success, and with the error
    from the model itself (no config read) none."""
    root = Path(__file__).resolve().parents[1]
    cfg = json.loads((root / "examples" / "hf_tiny_llama" / "config.json").read_text(encoding="utf-8"))
    model = tmp_path / "config.json"
    model.write_text(json.dumps({**cfg, "quantization_config": {"quant_method": "hqq", "nbits": 4}}),
                     encoding="utf-8")
    base = ["plan", "serve", "--model", str(model), "--hardware", "h100-sxm", "--batch", "1"]
    code, _, err = run_main([*base, "--expert-weight-dtype", "mxfp4"], capsys)  # a dense model: refused
    flat = " ".join(err.split())
    assert code == 2 and flat.count(IGNORED) == 1 and "error: --expert-weight-dtype mxfp4" in flat, err
    assert flat.index(IGNORED) < flat.index("error:"), err
    code, _, err = run_main(base, capsys)
    assert code == 0 and " ".join(err.split()).count(IGNORED) == 1, err
    code, _, err = run_main([*base[:3], str(tmp_path / "none.json"), *base[4:]], capsys)
    assert code == 2 and IGNORED not in " ".join(err.split()), err
