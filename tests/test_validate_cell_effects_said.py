"""A user's runs file whose cells `plan explain` would comment on: the same row typed as the command prints 'default
used:' for the distributed optimizer's bucket when --dp-bucket-params is left out, and '--p2p-overlap has no effect
here' (or the like) for a flag the layout ignores; `validate --runs` filled the blank dp_bucket_params cell with
Megatron-Core's default and dropped a p2p_overlap 1 on a layout without interleaving, both without a word (utval,
2026-12-05). Now the report names those runs, in the command's words (stderr, the --json document's input_notes and
the page).

The row: dgxc-benchmarking at 143b90d, llama3.1/README_8b.md, table 'Llama 3.1 8b 24.09 BF16 (TP=1, PP=1, CP=2,
MBS=1, GA=32)': training step time 12.91 s on 8 x H100 at GBS 128 (the bundled dgxc-h100-llama31-8b-bf16-8 row's
cells, re-typed under a user's id)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

HEADER = ("id,source,hardware,devices,layers,hidden,heads,kv_heads,ffn,vocab,seq,global_batch,tp,pp,dp,cp,dtype,"
          "recompute,step_s,mbs,zero,flash,overlap,mlp,tied,attention_kernel,p2p_overlap,dp_bucket_params")
ROW = ("my-l31-8b{suffix},dgxc-benchmarking 143b90d,h100-sxm,8,32,4096,32,8,14336,128256,8192,128,1,1,4,2,bf16,"
       "selective,12.91,1,{zero},1,1,swiglu,0,fused,{p2p},{bucket}")


def _validate(tmp_path: Path, capsys: pytest.CaptureFixture[str], *rows: str) -> tuple[str, dict]:
    path = tmp_path / "runs.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    code, out, err = run_main(["validate", "--runs", str(path), "--json"], capsys)
    assert code == 0, err
    return " ".join(err.split()), json.loads(out)


def test_blank_bucket_cell_is_the_default_plan_explain_names(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    err, doc = _validate(tmp_path, capsys, ROW.format(suffix="", zero=1, p2p="", bucket=""))
    # dp x cp = 4 x 2 = 8: Megatron-Core's max(40M, 1M x 8) = 40,000,000 parameters, as `plan explain` says it
    said = ("default used: distributed-optimizer bucket of Megatron-Core's default max(40M, 1M x dp x cp) = "
            "40,000,000 parameters")
    assert said in err and "1 run(s) (my-l31-8b)" in err
    assert "--dp-bucket-params is the dp_bucket_params cell" in err  # the flag's cell, for the runs file's user
    assert any(said in line for line in doc["input_notes"])


def test_a_given_bucket_says_no_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err, _ = _validate(tmp_path, capsys, ROW.format(suffix="", zero=1, p2p="", bucket="134217728"))
    assert "distributed-optimizer bucket" not in err and "dp-bucket-params" not in err


def test_cells_the_layout_ignores_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """p2p_overlap 1 at pp 1 (`plan explain --p2p-overlap` says it has no effect), and a bucket under ZeRO 0 (no
    distributed optimizer to bucket)."""
    err, doc = _validate(tmp_path, capsys, ROW.format(suffix="-a", zero=1, p2p=1, bucket=""),
                         ROW.format(suffix="-b", zero=0, p2p="", bucket="134217728"))
    assert "1 run(s) (my-l31-8b-a): --p2p-overlap has no effect here" in err
    assert "--p2p-overlap is the p2p_overlap cell" in err
    assert "1 run(s) (my-l31-8b-b): --dp-bucket-params has no effect here" in err
    assert sum("has no effect here" in line for line in doc["input_notes"]) == 2


def test_chunks_that_do_not_split_the_layers_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """pp 2 x vp 3 = 6 chunks over Llama 3.1 8B's 32 layers (a made-up layout of the row above): `plan explain --vp 3`
    says the busiest rank is counted with 18 layers where 16 would do, an upper bound; the report did not."""
    header = HEADER + ",vp"
    row = ROW.format(suffix="-vp", zero=1, p2p="", bucket="134217728")
    cells = row.split(",")
    cells[12:16] = ["1", "2", "2", "2"]  # tp, pp, dp, cp: 1 x 2 x 2 x 2 = 8 devices
    path = tmp_path / "runs.csv"
    path.write_text(f"{header}\n{','.join(cells)},3\n", encoding="utf-8")
    code, out, err = run_main(["validate", "--runs", str(path), "--json"], capsys)
    assert code == 0, err
    said = ("pp 2 x vp 3 = 6 chunks do not split 32 layers evenly: the busiest rank is counted with ceil(32 / 6) x 3 "
            "= 18")
    assert said in " ".join(err.split()) and "(my-l31-8b-vp)" in " ".join(err.split())
    assert any(said in n for n in json.loads(out)["input_notes"])


def test_a_kernel_without_a_published_rate_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """attention_kernel flash2 on an MI300X (the row above moved there, a made-up run): [family.amd-instinct-cdna3]
    gives no flash2_attention_eff, so the attention core runs on the GEMM curve, a default `plan explain
    --attention-kernel flash2` prints; the report did not."""
    row = ROW.format(suffix="-mi300x", zero=1, p2p="", bucket="134217728").replace(",h100-sxm,", ",mi300x,")
    err, doc = _validate(tmp_path, capsys, row.replace(",fused,", ",flash2,"))
    said = ("attention kernel flash2: no published FlashAttention-2 rate for device family 'amd-instinct-cdna3' "
            "(calibration flash2_attention_eff); its attention core runs on the GEMM curve instead (a default)")
    assert f"1 run(s) (my-l31-8b-mi300x): {said}" in err
    assert any(said in n for n in doc["input_notes"])
