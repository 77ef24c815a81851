"""rev2 (session 36): `validate --row A --row B --json` where B cannot be predicted printed a validate-row document
holding A alone and exit 2, B's problem and fix on stderr only, saying the other runs were 'printed above'. The
document now names B with its error and fix (not_predicted), and stderr says where the others are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

HEADER = ("id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,step_s,mlp,"
          "flash,overlap,zero")
ROWS = ("my-test,our lab,h100-sxm,8,32,4096,32,11008,32000,4096,128,1,1,8,none,10.0,swiglu,1,1,1\n"
        "my-tp3,our lab,h100-sxm,24,32,4096,32,11008,32000,4096,64,3,1,8,none,5.1,swiglu,1,1,1\n")


def test_json_names_the_runs_not_predicted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "mine.csv"
    runs.write_text(f"{HEADER}\n{ROWS}", encoding="utf-8")
    argv = ["validate", "--runs", str(runs), "--config-dir", str(tmp_path / "cfg"), "--row", "my-tp3", "--row",
            "my-test", "--row", "my-tp3"]
    code, out, err = run_main([*argv, "--json"], capsys)
    doc = json.loads(out)
    assert code == 2 and [r["result"]["id"] for r in doc["runs"]] == ["my-test"], err
    [problem] = doc["not_predicted"]
    assert problem["id"] == "my-tp3" and problem["error"].startswith("run 'my-tp3': layout tp=3"), problem
    assert problem["fix"].startswith("give a --tp dividing the 32 heads"), problem
    flat = " ".join(err.split())
    assert "the other 1 run(s) named by --row are in the JSON document" in flat, flat
    code, out, err = run_main(argv, capsys)  # the text output: the others are printed above
    assert code == 2 and "the other 1 run(s) named by --row are printed above" in " ".join(err.split()), err
    code, out, _ = run_main(["validate", "--runs", str(runs), "--config-dir", str(tmp_path / "cfg"), "--row",
                             "my-test", "--json"], capsys)
    assert code == 0 and json.loads(out)["not_predicted"] == [], out
