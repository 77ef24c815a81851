"""`validate --runs` says, per run, what `plan explain` says beside the same layout: a run the memory model puts over
its devices' memory (a user's row that cannot have run as written, or a memory-model miss) and the defaults used in
place of link figures the device spec lacks. Both were dropped without a word: a Llama 3 70B row on 8 H100 with
ZeRO 1 and no recompute (over 300 GiB per device) printed a step time like any other, and a row on a --catalog
device without links was timed over an assumed 100 Gb/s network that only `plan explain` named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import explain_terms, row_explain_argv, run_main

CATALOG = str(Path(__file__).resolve().parents[1] / "examples" / "my_accelerator.toml")  # my-asic: no links
ROW = {"id": "big-70b", "source": "our lab 2026-12", "hardware": "h100-sxm", "devices": "8", "layers": "80",
       "hidden": "8192", "heads": "64", "kv_heads": "8", "ffn": "28672", "vocab": "128256", "seq": "8192",
       "global_batch": "16", "tp": "1", "pp": "1", "dp": "8", "cp": "1", "vp": "1", "mbs": "1", "zero": "1",
       "recompute": "none", "step_s": "60", "dtype": "bf16", "mlp": "swiglu", "flash": "1", "overlap": "1",
       "stack": "megatron"}
SMALL = {**ROW, "id": "small-1b", "layers": "16", "hidden": "2048", "heads": "16", "kv_heads": "", "ffn": "5632",
         "vocab": "32000", "seq": "2048", "global_batch": "64", "step_s": "4.0", "recompute": "selective"}


def _runs(tmp_path: Path, *rows: dict[str, str]) -> Path:
    p = tmp_path / "runs.csv"
    p.write_text(",".join(rows[0]) + "\n" + "".join(",".join(r.values()) + "\n" for r in rows), encoding="utf-8")
    return p


def test_a_run_over_its_devices_memory_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = _runs(tmp_path, ROW, SMALL)
    code, out, err = run_main(["validate", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    got = {r["id"]: r for r in json.loads(out)["runs"]}
    code, plan_out, err = run_main(row_explain_argv(ROW, tmp_path), capsys)
    assert code == 2, err  # plan explain: exit 2 when the layout overflows memory
    terms = explain_terms(json.loads(plan_out))
    big = got["big-70b"]
    assert big["fits"] is False
    assert big["memory_bytes_per_device"] == terms["mem_total_bytes"]  # the same number as plan explain's
    assert big["memory_capacity_bytes"] == terms["mem_capacity_bytes"]
    assert got["small-1b"]["fits"] is True
    code, out, err = run_main(["validate", "--runs", str(runs)], capsys)
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if ln.startswith("memory:"))
    gib = terms["mem_total_bytes"] / 2**30
    assert "big-70b" in line and f"{gib:.1f} of 79.6 GiB" in line and "small-1b" not in line


def test_an_assumed_link_figure_is_listed_per_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = {**SMALL, "id": "asic-1", "hardware": "my-asic"}
    runs = _runs(tmp_path, row)
    code, out, err = run_main(["validate", "--runs", str(runs), "--catalog", CATALOG, "--json"], capsys)
    assert code == 0, err
    (got,) = json.loads(out)["runs"]
    code, plan_out, err = run_main(row_explain_argv(row, tmp_path, (CATALOG,)),
                                   capsys)
    assert code == 0, err
    assumed = json.loads(plan_out)["assumed"]
    assert assumed and got["assumed"] == assumed  # what plan explain lists for the same layout
    code, out, err = run_main(["validate", "--runs", str(runs), "--catalog", CATALOG], capsys)
    assert code == 0, err
    lines = [ln for ln in out.splitlines() if ln.startswith("assumed")]
    for a in assumed:
        assert any(a["field"] in ln and "asic-1" in ln for ln in lines), lines


def test_the_html_report_names_them_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = _runs(tmp_path, ROW, SMALL)
    html = tmp_path / "v.html"
    code, out, err = run_main(["validate", "--runs", str(runs), "--html", str(html)], capsys)
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if ln.startswith("memory:"))
    shown = line.split("big-70b (")[1].split(")")[0]  # e.g. '389.1 of 79.6 GiB'
    page = html.read_text(encoding="utf-8")
    assert "big-70b" in page and shown in page


SERVING = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,published,"
           "role,note\n"
           "fits-8b,my bench,vllm,h100-sxm,llama3-8b,1,1,bf16,bf16,1024,128,64,output_tok_s_per_device,3000,test,\n"
           "over-70b,my bench,vllm,h100-sxm,llama3-70b,1,1,bf16,bf16,1024,128,64,output_tok_s_per_device,300,test,\n")


def test_the_serving_page_has_the_consoles_memory_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`validate --serving` printed its memory: line on the console only; the HTML page left it out."""
    runs = tmp_path / "serving.csv"
    runs.write_text(SERVING, encoding="utf-8")
    html = tmp_path / "s.html"
    code, out, err = run_main(["validate", "--serving", "--runs", str(runs), "--html", str(html)], capsys)
    assert code == 0, err
    line = " ".join(out.split("memory:", 1)[1].split("\n\n")[0].split())  # the console may wrap it
    assert "over-70b (" in line and "fits-8b" not in line
    shown = line.split("over-70b (")[1].split(")")[0]  # e.g. '155.8 of 71.7 GiB'
    page = html.read_text(encoding="utf-8")
    assert f"over-70b ({shown})" in page


def test_a_serving_rows_unmodelled_config_keys_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan serve --model CONFIG` warns about config keys the predictor ignores; `validate --serving` ignored them
    without a word when a row's model cell named that config.json."""
    cfg = {"model_type": "mistral", "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
           "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 32768, "max_position_embeddings": 32768,
           "hidden_act": "silu", "tie_word_embeddings": False, "vision_config": {"hidden_size": 1024}}
    path = tmp_path / "mine" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps(cfg), encoding="utf-8")
    runs = tmp_path / "serving.csv"
    runs.write_text(SERVING.replace("llama3-8b", str(path)), encoding="utf-8")
    code, out, err = run_main(["validate", "--serving", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    warnings = json.loads(out)["input_warnings"]
    assert any("fits-8b" in w and "vision_config" in w for w in warnings), warnings
    assert "vision_config" in err and "over-70b" not in " ".join(warnings)


def test_the_page_has_the_consoles_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The console's run table shows each run's calibration family and precision; the HTML page left both out."""
    runs = _runs(tmp_path, SMALL)
    html = tmp_path / "v.html"
    code, _out, err = run_main(["validate", "--runs", str(runs), "--html", str(html)], capsys)
    assert code == 0, err
    page = html.read_text(encoding="utf-8")
    header = page.split("published vs predicted step time", 1)[1].split("</tr>", 1)[0]
    for col in ("family", "dtype"):
        assert f">{col}<" in header, header
    assert ">nvidia-hopper<" in page and ">bf16<" in page
