"""`validate --serving` / `--inference` rows name their device in the hardware cell only (`--catalog` with either
exits 2), so an unknown device's fix, or a spec TOML holding two devices, must not send the user to `--catalog
FILE`: it did (hardware.catalog's message for commands that take the flag), and the next command was refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

EXAMPLE = Path(__file__).parents[1] / "examples" / "my_accelerator.toml"
INFERENCE = ("id,hardware,model,input_size,batch,dtype,metric,published,role,source,note\n"
             "i1,{hw},mobilenet-v2,224,1,int8,latency_ms,3,test,my bench,\n")
SERVING = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
           "published,role,note\ns1,my bench,vllm,{hw},llama3-8b,1,1,bf16,bf16,1024,256,32,output_tok_s,2500,test,\n")


def _two_devices(tmp_path: Path) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    second = text[text.index("[[device]]"):].replace("my-asic", "my-asic-b").replace("my-chip", "my-chip-b")
    (tmp_path / "two.toml").write_text(text + "\n" + second, encoding="utf-8")
    return "two.toml"


@pytest.mark.parametrize("mode,template", [("--inference", INFERENCE), ("--serving", SERVING)])
@pytest.mark.parametrize("hw", ["qqqqqqqq", "two.toml"])
def test_a_rows_device_error_offers_the_hardware_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str,
                                                      template: str, hw: str) -> None:
    if hw == "two.toml":
        _two_devices(tmp_path)
    runs = tmp_path / "runs.csv"
    runs.write_text(template.format(hw=hw), encoding="utf-8")
    code, _, err = run_main(["validate", mode, "--runs", str(runs)], capsys)
    assert code == 2
    text = " ".join(err.split())
    assert "--catalog FILE" not in text and "pass it with --catalog" not in text, text
    assert "run '" in text
    if hw == "two.toml":
        assert "holds 2 devices" in text and "a .toml file of its own" in text
    else:
        assert "write its spec TOML path in the hardware cell" in text


@pytest.mark.parametrize("mode,template", [("--inference", INFERENCE), ("--serving", SERVING)])
def test_a_near_named_device_of_ones_own_is_told_the_hardware_cell_once(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str],
                                                                        mode: str, template: str) -> None:
    """'my-tpu' has near catalog names (edge-tpu, tpu-v4): since e84532e3 the catalog's fix adds how to read a device
    of one's own, which for these rows said it twice ('pass the path of a spec TOML ... (this command takes no
    --catalog ...)' and then the hardware cell), the first as if the path were an argument of the command (rvtrial)."""
    runs = tmp_path / "runs.csv"
    runs.write_text(template.format(hw="my-tpu"), encoding="utf-8")
    code, _, err = run_main(["validate", mode, "--runs", str(runs)], capsys)
    text = " ".join(err.split())
    assert code == 2 and "did you mean 'edge-tpu' or 'tpu-v4'?" in text, text
    assert text.count("of your own") == 1 and "this command takes no --catalog" not in text, text
    assert "for a device of your own, write its spec TOML path in the hardware cell" in text, text
