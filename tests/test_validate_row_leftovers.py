"""ut4left (validate's leftovers): `validate --row ID --calibration FILE` said the report's warnings on the file (a
misspelt fitted_on id, a table that drops the bundled stack tables) on stderr alone, or not at all, where the report
carries them in its JSON input_notes; `validate --row A --row B --row C` stopped at B's error without A's and C's
figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import USER_FAMILY_TABLE as TABLE
from conftest import USER_RUNS_HEADER as HEADER
from conftest import USER_RUNS_ROWS as ROWS
from conftest import run_main, run_main_expect

TP3 = "my-tp3,our lab,h100-sxm,24,32,4096,32,11008,32000,4096,64,3,1,8,none,5.1,swiglu,1,1,1\n"
TYPO = "[family.my-h100] fitted_on names 'my-fitt', a run in neither the runs validated nor the bundled file"


def _files(tmp_path: Path, fitted_on: str, more: str = "") -> list[str]:
    runs, cal = tmp_path / "mine.csv", tmp_path / "mine.toml"
    runs.write_text(f"{HEADER}\n{ROWS}{more}", encoding="utf-8")
    cal.write_text(TABLE.format(fitted_on=fitted_on), encoding="utf-8")
    return ["--runs", str(runs), "--calibration", str(cal), "--config-dir", str(tmp_path / "cfg")]


def test_row_carries_the_reports_calibration_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The report's input_notes on the --calibration file are --row's too: JSON input_notes and stderr, text or JSON."""
    files = _files(tmp_path, '["my-fitt", "my-a100"]')
    out, _ = run_main_expect(capsys, "validate", *files[:4], "--json")
    report = [n for n in json.loads(out)["input_notes"] if "fitted_on names" in n]
    assert len(report) == 2 and TYPO in report[0], report  # the typo, and my-a100 predicted with another table
    out, err = run_main_expect(capsys, "validate", *files, "--row", "my-a100", "--row", "my-fit", "--json")
    doc = json.loads(out)
    assert doc["schema_version"] == 4 and doc["input_notes"] == report, doc["input_notes"]
    assert all(n in " ".join(err.split()) for n in report), err
    out, err = run_main_expect(capsys, "validate", *files, "--row", "my-fit")
    assert TYPO in " ".join(err.split()) and "run my-fit (our lab)" in out, err


def test_row_of_the_file_not_named_is_no_typo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A fitted_on id of the runs file that --row does not name is no misspelling: no warning, as in the report."""
    files = _files(tmp_path, '["my-fit"]')
    out, err = run_main_expect(capsys, "validate", *files, "--row", "my-test", "--json")
    assert json.loads(out)["input_notes"] == [] and "fitted_on" not in err, err


def test_row_reports_each_run_then_exits_2_naming_the_unpredictable(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = _files(tmp_path, "[]", TP3)  # tp 3 does not divide the 32 heads: the report refuses the file
    code, out, err = run_main(["validate", *files, "--row", "my-fit", "--row", "my-tp3", "--row", "my-test"], capsys)
    assert code == 2, err
    assert "run my-fit (our lab)" in out and "run my-test (our lab)" in out and "my-tp3" not in out, out
    flat = " ".join(err.split())
    named = f"runs file {tmp_path / 'mine.csv'}: "  # the report's errors name the user's file, and so do --row's
    assert f"error: {named}run 'my-tp3': layout tp=3" in flat and "tp must divide the 32 attention heads" in flat, flat
    assert "not predicted: my-tp3; the other 2 run(s) named by --row are printed above" in flat, flat
    assert "fix: give a --tp dividing the 32 heads" in flat, flat
    code, out, err = run_main(["validate", *files, "--row", "my-tp3", "--row", "my-test", "--json"], capsys)
    assert code == 2 and [r["result"]["id"] for r in json.loads(out)["runs"]] == ["my-test"], err
    code, out, err = run_main(["validate", *files, "--row", "my-tp3"], capsys)  # the one run named: its error alone
    assert code == 2 and out == "" and "printed above" not in err, err
    assert f"error: {named}run 'my-tp3'" in " ".join(err.split()), err
    code, out, err = run_main(["validate", *files, "--row", "my-tp3", "--json"], capsys)  # its error document
    assert code == 2 and json.loads(out)["schema"] == "accelopt.error", out
    assert json.loads(out)["error"].startswith(f"{named}run 'my-tp3': layout tp=3"), out


@pytest.mark.parametrize("serving", [False, True])
def test_a_column_in_another_case_is_named_with_its_spelling(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], serving: bool) -> None:
    """A header 'MLP' / 'Step_s' was refused as lacking mlp, and 'Step_s' as a column no predictor reads, without
    the column meant; spreadsheets capitalize headers."""
    runs = tmp_path / "caps.csv"
    runs.write_text(f"{HEADER.replace('mlp', 'MLP').replace('step_s', 'Step_s').replace('tp,', 'TP,')}\n{ROWS}",
                    encoding="utf-8")
    code, _, err = run_main(["validate", *(["--serving"] if serving else []), "--runs", str(runs)], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "spelled other than the format's (column names are lower case" in flat, flat
    want = "'TP' -> tp" if serving else "'TP' -> tp, 'Step_s' -> step_s, 'MLP' -> mlp"
    assert f"fix: rename them in the header: {want} (the spelling of the bundled published_" in flat, flat
    (tmp_path / "one.csv").write_text(f"{HEADER.replace('step_s', 'Step_s')}\n{ROWS}", encoding="utf-8")
    code, _, err = run_main(["validate", "--runs", str(tmp_path / "one.csv")], capsys)  # every required column there
    assert code == 2 and "'Step_s' -> step_s" in err and "no predictor reads" not in err, err


def test_a_toml_runs_file_is_said_not_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs.toml"
    runs.write_text('[[run]]\nid = "mine"\nsource = "our lab"\n', encoding="utf-8")
    code, _, err = run_main(["validate", "--runs", str(runs)], capsys)
    flat = " ".join(err.split())
    assert code == 2 and "is not CSV: its first line starts '[[run]]', as TOML or JSON do" in flat, flat
    assert "fix: write the runs as CSV, one line per run under a header line (docs/runs_files.md" in flat, flat


SERVING = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
           "published,role\n"
           "s1,lab,vllm,h100-sxm,llama3-8b,1,1,bf16,bf16,1000,1000,64,output_tok_s,5000,test\n"
           "s-tp3,lab,vllm,h100-sxm,llama3-8b,3,1,bf16,bf16,1000,1000,64,output_tok_s,5000,test\n"
           "s-70b,lab,vllm,h100-sxm,llama3-70b,1,1,bf16,bf16,1000,1000,64,output_tok_s,5000,test\n")


def test_serving_row_reports_each_run_and_its_memory_line(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """`validate --serving --row` stopped at the row it cannot predict (tp 3 of 32 heads) too; and a row the model
    puts over the engine's memory (Llama 3 70B bf16 on one H100: 140 GB of weights alone) was printed without the
    report's memory line."""
    runs = tmp_path / "srv.csv"
    runs.write_text(SERVING, encoding="utf-8")
    code, out, err = run_main(["validate", "--serving", "--runs", str(runs), "--row", "s1", "--row", "s-tp3",
                               "--row", "s-70b"], capsys)
    assert code == 2 and "run s1 (lab)" in out and "run s-70b (lab)" in out, err
    flat, said = " ".join(err.split()), " ".join(out.split())
    assert "serving run 's-tp3' cannot be predicted: --tp 3 does not divide the 32 attention heads" in flat, flat
    assert "not predicted: s-tp3; the other 2 run(s) named by --row are printed above" in flat, flat
    assert ("memory: 1 row(s) ran as published but the model puts them over the engine's usable memory (weights + "
            "KV cache + workspace per device): s-70b (") in said, said
    assert said.count("memory:") == 1  # s1 fits


def test_training_row_prints_its_memory_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run the memory model puts over its devices' memory (GPT-3 175B's shape on 8 H100 without tp, pp or ZeRO):
    the report's `memory:` line names it; --row printed its prediction without a word."""
    runs = tmp_path / "big.csv"
    runs.write_text(f"{HEADER}\nbig,our lab,h100-sxm,8,96,12288,96,49152,50257,2048,64,1,1,8,none,100,gelu,1,1,0\n",
                    encoding="utf-8")
    out, _ = run_main_expect(capsys, "validate", "--runs", str(runs))
    report = [ln for ln in out.splitlines() if ln.startswith("memory:")]
    assert len(report) == 1 and "big (" in report[0], out
    out, _ = run_main_expect(capsys, "validate", "--runs", str(runs), "--row", "big", "--config-dir", str(tmp_path))
    assert f"  {report[0]}" in out.splitlines(), out


def test_report_notes_are_one_line_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The report's input notes on stderr were wrapped at the console's width, splitting a note (and a run id or a
    flag in it) over lines; --row prints its notes one line each."""
    runs = tmp_path / "mine.csv"
    runs.write_text(f"{HEADER}\n{ROWS}", encoding="utf-8")
    _, err = run_main_expect(capsys, "validate", "--runs", str(runs))
    [line] = [ln for ln in err.splitlines() if "default used: distributed-optimizer bucket" in ln]
    assert line.startswith("note: ") and line.endswith("(--dp-bucket-params is the dp_bucket_params cell)"), err


@pytest.mark.parametrize(("extra", "rid", "csv"), [
    ([], "meg-t1-1.7b", f"{HEADER}\n{ROWS}"),
    (["--serving"], "sglang-mi355x-l31-8b-tp1-b64-8192-1024-tput", SERVING)])
def test_a_bundled_id_with_a_users_runs_file_is_named_bundled(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], rid: str, csv: str) -> None:
    """A bundled run's id with --runs FILE was 'unknown run id', the fix listing the file's ids."""
    runs = tmp_path / "mine.csv"
    runs.write_text(csv, encoding="utf-8")
    code, out, err = run_main(["validate", *extra, "--runs", str(runs), "--row", rid], capsys)
    flat = " ".join(err.split())
    assert code == 2 and not out, err
    kind = "serving" if extra else "training"
    assert f"error: {rid!r} is a run of the bundled {kind} runs file, not of --runs" in flat, flat
    assert f"fix: leave --runs out for it: `accelopt validate {' '.join([*extra, '--row', rid])}`" in flat, flat


def test_row_prints_the_reports_calibration_and_assumed_lines(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """The report says beside a run on an uncalibrated device that its curve is the default one, and which default
    stood in for a spec's missing link figure (scaleup_latency_s); --row printed its prediction without either."""
    runs = tmp_path / "mine.csv"
    runs.write_text(f"{HEADER}\n{ROWS.replace('a100-sxm-80gb', 'rtx-4090')}", encoding="utf-8")
    out, _ = run_main_expect(capsys, "validate", "--runs", str(runs))
    lines = [ln for ln in out.splitlines() if ln.startswith(("calibration of", "assumed for")) and "my-a100" in ln]
    assert [ln.split(" ", 2)[0] for ln in lines] == ["calibration", "assumed"], out
    out, _ = run_main_expect(capsys, "validate", "--runs", str(runs), "--row", "my-a100", "--config-dir",
                             str(tmp_path))
    said = out.splitlines()
    assert lines[0].startswith("calibration of 1 run(s) on rtx-4090 (my-a100): uncalibrated: default curve — ")
    assert f"  {lines[0]}" in said, out  # the report's line, the run alone on its device
    assert any(ln.startswith("  assumed for 1 run(s) on rtx-4090 (my-a100): scaleup_latency_s = ") for ln in said), out


def test_serving_row_says_the_reports_calibration_warnings(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """`validate --serving --row` said none of the report's warnings on its --calibration file: a [serving.NAME]
    table whose match fits no device ('h100-sx') and a fitted_on id naming no run ('s11' for 's1')."""
    import tomllib

    from accelopt.predict.calibration import bundled_text

    table = {k: v for k, v in tomllib.loads(bundled_text())["serving"]["nvidia-hopper"].items()
             if k not in ("fitted_on", "derived_on", "reference_device", "engine")}  # engine: peng's overlay subtables
    lines = [f"{k} = {json.dumps(v)}" for k, v in {**table, "match": ["h100-sx"], "fitted_on": ["s11"]}.items()]
    cal = tmp_path / "mine.toml"
    cal.write_text("[serving.mine]\n" + "\n".join(lines) + "\n", encoding="utf-8")
    runs = tmp_path / "srv.csv"
    runs.write_text(SERVING.replace("s-tp3,", "s-ok,").replace(",3,1,bf16", ",2,1,bf16"), encoding="utf-8")
    inputs = ["validate", "--serving", "--runs", str(runs), "--calibration", str(cal)]
    _, err = run_main_expect(capsys, *inputs)
    report = [ln for ln in err.splitlines() if ln.startswith("warning:") and "[serving.mine]" in ln]
    assert len(report) == 2 and "fitted_on names 's11'" in report[1], err
    _, err = run_main_expect(capsys, *inputs, "--row", "s1")
    assert all(ln in err.splitlines() for ln in report), err
