"""`--help` texts that said something the command does not do, each checked against what it does."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from accelopt.cli.main import app


def _help_text(cmd: list[str]) -> str:
    """`accelopt CMD --help` on one line per option (wide terminal), whitespace collapsed."""
    out = CliRunner().invoke(app, [*cmd, "--help"], env={"COLUMNS": "2000"}).stdout
    return " ".join(out.replace("│", " ").split())


@pytest.mark.parametrize("cmd", [["plan"], ["plan", "explain"]])
def test_attention_kernel_help_names_the_soft_capping_exception(cmd: list[str]) -> None:
    """The help said fused was 'the default' without exception, while a soft-capped model (Gemma 2) with
    --attention-kernel left out is timed with flash2 on an NVIDIA GPU of Ampere or newer (and a typed fused is
    refused there): `plan explain --model gemma2-9b --hardware h100-sxm` prints 'attention kernel flash2'."""
    from accelopt.hardware.catalog import get_device
    from accelopt.predict.compute import softcap_attention_kernel
    from accelopt.workload.presets import get_model

    assert softcap_attention_kernel(get_model("gemma2-9b"), get_device("h100-sxm")) == "flash2"
    text = _help_text(cmd)
    assert "except for a model with attention-logit soft-capping (Gemma 2) on NVIDIA GPUs of Ampere or newer, " \
           "which left out gets flash2" in text, text[:400]


def test_plan_infer_dtype_help_and_refusal_list_every_dtype_it_takes() -> None:
    """`plan infer --dtype tf32` runs (tf32 where the catalog has its peak, else fp32, marked (!)), but its help and
    the refusal of a bad --dtype listed int8, fp16, bf16, fp32, fp8, int4 only."""
    from accelopt.errors import InputError
    from accelopt.hardware.catalog import get_device
    from accelopt.predict.inference import FLOAT_DTYPES, INT_DTYPES, run_precision

    assert run_precision(get_device("h100-sxm"), "tf32").run == "tf32"
    text = _help_text(["plan", "infer"])
    start = text.index("precision asked for")
    line = text[start:text.index("--latency-budget-ms", start)]
    with pytest.raises(InputError) as e:
        run_precision(get_device("h100-sxm"), "fp64")
    for dtype in FLOAT_DTYPES + INT_DTYPES:
        assert dtype in line, (dtype, line)
        assert dtype in e.value.fix, (dtype, e.value.fix)
