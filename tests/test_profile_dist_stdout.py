"""`profile MODEL --nproc N --json`: what the model's own code prints while accelopt loads it in this process (a
factory's "building my model...") went to stdout before the JSON document, so `| jq` failed; the one-process
`profile --json` already sent it to stderr. Now the distributed run does too."""

from __future__ import annotations

import json
from typing import Any

import pytest

from accelopt.cli import profile_dist
from accelopt.distributed.types import CommTime, DistributedResult, RankResult


def _result() -> DistributedResult:
    comm = CommTime(comm_s=1e-3, overlapped_s=0.0, compute_s=2e-3, profiled_step_s=4e-3)
    ranks = [RankResult(rank=i, world_size=2, host="h", step_times_s=[3e-3] * 3, losses=[1.0], comm=comm,
                        peak_memory_bytes=2**20, memory_source="process peak resident set (getrusage)", threads=1)
             for i in range(2)]
    return DistributedResult(name="chatty", parallel="ddp", schedule=None, nproc=2, nnodes=1, backend="gloo",
                             device="cpu", global_batch=8, microbatches=1, ranks=ranks, single=None, partition=None,
                             prediction=None, environment={"threads_per_rank": 1})


def _options() -> profile_dist.DistOptions:
    return profile_dist.DistOptions(model="chatty.py:build", size=None, batch_size=None, seq_len=None, mode="train",
                                    dtype="fp32", device="cpu", steps=3, warmup=1, catalog_device=None, probed=None,
                                    nproc=2, parallel="ddp", schedule="1f1b", microbatches=None,
                                    stage_memory_gib=None, nnodes=1, node_rank=0, rdzv_endpoint=None, timeout_s=60.0,
                                    as_json=True, html=None)


def test_a_chatty_model_leaves_stdout_to_the_json_document(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    def measure(o: Any) -> DistributedResult:
        print("building my model...")  # what a user's factory prints when this process loads it
        return _result()

    monkeypatch.setattr(profile_dist, "measure", measure)
    profile_dist.run_distributed(_options())
    out, err = capsys.readouterr()
    assert json.loads(out)["name"] == "chatty"
    assert "building my model..." in err  # kept, on stderr
