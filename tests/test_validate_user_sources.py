"""`validate --runs` grouped a user's runs "by source" on the source cell's first word: "our cluster 2026-11" and
"our lab" were one group, "our". A user's file is grouped by the whole source (as `validate --serving` does); the
bundled file keeps its citation keys ("MaxText v5e README" -> "MaxText"), which the README quotes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

HEADER = "id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,step_s,dtype,mlp"
RUN = "{id},{source},h100-sxm,8,32,4096,32,11008,32000,4096,64,1,1,8,none,{step_s},bf16,swiglu"


def test_user_sources_sharing_a_first_word_are_two_groups(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "mine.csv"
    p.write_text("\n".join([HEADER, RUN.format(id="r1", source="our cluster 2026-11", step_s=5.1),
                            RUN.format(id="r2", source="our  lab", step_s=4.0)]) + "\n")
    d = json.loads(_cli(capsys, "validate", "--runs", str(p), "--json")[0])
    groups = {g["group"]: (g["held_out_runs"], g["worst_run"]) for g in d["by_source"]}
    assert groups == {"our cluster 2026-11": (1, "r1"), "our lab": (1, "r2")}
    assert set(d["median_abs_error_held_out_by_source"]) == set(groups)
    out, _ = _cli(capsys, "validate", "--runs", str(p))
    assert "our cluster 2026-11 │ 1" in out


def test_bundled_file_keeps_its_citation_keys(capsys: pytest.CaptureFixture[str]) -> None:
    d = json.loads(_cli(capsys, "validate", "--json")[0])
    groups = {g["group"] for g in d["by_source"]}
    assert {"MaxText", "MosaicML", "Megatron-Bridge25.09", "Korthikanti2022"} <= groups
    assert not any(" " in g for g in groups)


def test_bundled_rows_in_a_users_file_keep_their_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A user who copies the bundled file and adds a run sees the bundled groups unchanged and their run's own."""
    from importlib import resources

    bundled = (resources.files("accelopt.predict") / "data" / "published_training_runs.csv").read_text("utf-8")
    header = next(line for line in bundled.splitlines() if line.startswith("id,")).split(",")
    mine = dict(zip(HEADER.split(","), RUN.format(id="r1", source="MaxText on our cluster", step_s=5.1).split(","),
                    strict=True))
    p = tmp_path / "runs.csv"
    p.write_text(bundled + ",".join(mine.get(c, "") for c in header) + "\n", encoding="utf-8")
    d = json.loads(_cli(capsys, "validate", "--runs", str(p), "--json")[0])
    groups = {g["group"]: g["held_out_runs"] for g in d["by_source"]}
    bundled_groups = {g["group"]: g["held_out_runs"] for g in json.loads(_cli(capsys, "validate", "--json")[0])
                      ["by_source"]}
    assert groups == {**bundled_groups, "MaxText on our cluster": 1}
