"""Per-engine serving calibration (peng, session 37, 2026-12-06): a `[serving.NAME.engine.ENGINE]` overlay holds the
engine-dependent fields (calibration.ENGINE_FIELDS: per_step_overhead_s, per_request_overhead_s) fitted on that
engine's rows; `plan serve --engine`, its JSON and `validate --serving` take it through one path
(serving.calibration_for_spec), and a fitted table without an overlay for the engine says its costs are another
engine's. The ut4srv note (2026-12-06) is why: vLLM / SGLang on Hopper ran whole decode steps below the 4.5 ms
[serving.nvidia-hopper] charges, fitted on TensorRT-LLM rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.predict.calibration import load_serving_tables

_TABLE = """
[serving.my-h100]
match = ["h100*"]
per_step_overhead_s = 0.004
fitted_on = ["my-trtllm-row"]
[serving.my-h100.engine.vllm]
per_step_overhead_s = 0.001
per_request_overhead_s = 0.02
fitted_on = ["my-vllm-row"]
"""


def _file(tmp_path: Path, text: str = _TABLE) -> str:
    path = tmp_path / "cal.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_overlay_is_read_and_taken_for_its_engine_only(tmp_path: Path) -> None:
    path = _file(tmp_path)
    spec = get_device("h100-sxm")
    vllm = serving.calibration_for_spec(spec, path=path, engine="vllm")
    assert (vllm.per_step_overhead_s, vllm.per_request_overhead_s) == (0.001, 0.02)
    assert vllm.engine == "vllm" and vllm.table_name == "my-h100.engine.vllm"
    assert vllm.engine_fitted_on == ("my-vllm-row",) and vllm.fitted_on == ("my-trtllm-row", "my-vllm-row")
    for engine in ("sglang", None):  # no overlay: the table's own values
        other = serving.calibration_for_spec(spec, path=path, engine=engine)
        assert (other.per_step_overhead_s, other.per_request_overhead_s, other.engine) == (0.004, 0.0, "")


def test_plan_serve_uses_the_overlay_and_its_json_names_it(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path)
    args = ("plan", "serve", "-m", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1", "--calibration", path,
            "--json")
    docs = {e: json.loads(run_main_expect(capsys, *args, "--engine", e)[0]) for e in ("vllm", "sglang")}
    vllm, sglang = (docs[e]["results"][0] for e in ("vllm", "sglang"))
    assert vllm["calibration"]["engine"] == "vllm" and sglang["calibration"]["engine"] == ""
    assert vllm["calibration"]["per_step_overhead_s"] == 0.001
    # 3 ms less a forward, 20 ms more a request: TPOT and TTFT move by the overlay's figures
    assert sglang["points"][0]["tpot_s"] - vllm["points"][0]["tpot_s"] == pytest.approx(0.003, abs=1e-9)
    assert vllm["points"][0]["ttft_s"] - sglang["points"][0]["ttft_s"] == pytest.approx(0.02 - 0.003, abs=1e-9)
    said = " ".join(docs["vllm"]["notes"])
    assert "[serving.my-h100.engine.vllm]" in said  # the host-overhead line names the overlay that gave the value


def test_no_calibration_of_its_own_line_console_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    """The bundled Hopper table is fitted on TensorRT-LLM rows: an engine without an overlay there says so."""
    tables = load_serving_tables()
    engine = next(e for e in ("gpt-fast", "vllm", "sglang") if e not in tables["nvidia-hopper"].engines)
    args = ("plan", "serve", "-m", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1", "--engine", engine)
    out, err = run_main_expect(capsys, *args)
    line = f"engine {engine}: no calibration of its own on nvidia-hopper"
    assert line in " ".join((out + err).split())
    doc = json.loads(run_main_expect(capsys, *args, "--json")[0])
    assert any(line in n and "trtllm" in n for n in doc["notes"])
    out, err = run_main_expect(capsys, "plan", "serve", "-m", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1",
                               "--engine", "trtllm")
    assert "no calibration of its own" not in out + err  # the engine the table was fitted on


@pytest.mark.parametrize(("text", "words"), [
    (_TABLE.replace("engine.vllm]", "engine.vlm]"), "did you mean 'vllm'"),
    (_TABLE + "decode_bandwidth_efficiency = 0.5\n", "only the engine-dependent fields"),
    (_TABLE.replace('fitted_on = ["my-vllm-row"]', ""), "gives values but no fitted_on"),
    (_TABLE.replace("0.02", "20"), "if 20 is in ms, write 0.02"),
])
def test_bad_overlay_is_named(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(InputError) as e:
        serving.calibration_for_spec(get_device("h100-sxm"), path=_file(tmp_path, text), engine="vllm")
    assert words in str(e.value)
