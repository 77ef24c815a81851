"""A new user's review of the distributed half (ut_dist): a rank's error as the user's code raised it, the
partitioner's figures for a model with tied weights. No torchrun is started."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def _stage_error(tmp_path: Path, raised: BaseException) -> BaseException:
    """What a pipeline rank catches when its stage's module raises `raised`: torch's own PipelineStage, on a
    one-rank gloo group, re-raises it wrapped as RuntimeError('[Stage 0] failed to run forward: ...')."""
    import torch
    import torch.distributed as dist
    from torch.distributed.pipelining import PipelineStage

    class Raises(torch.nn.Module):
        def forward(self, x: Any) -> Any:
            raise raised

    dist.init_process_group("gloo", store=dist.FileStore(str(tmp_path / "store"), 1), rank=0, world_size=1)
    try:
        stage = PipelineStage(Raises(), 0, 1, torch.device("cpu"))
        with pytest.raises(Exception) as e:
            stage.forward_one_chunk(0, (torch.ones(2),))
    finally:
        dist.destroy_process_group()
    return e.value


def test_a_pipeline_rank_names_the_users_error_not_torchs_stage_wrapper(tmp_path: Path) -> None:
    # before: 'rank 1 crashed: RuntimeError: [Stage 1] failed to run forward: args: (...) (at .../torch/distributed/
    # pipelining/stage.py:900)': the user's 'rank one exploded' and its file and line were not said
    from accelopt.distributed.worker import _error_record

    record = _error_record(_stage_error(tmp_path, ValueError("rank one exploded")))
    assert record["problem"].startswith("ValueError: rank one exploded (at ")
    assert "test_dist_ut_review.py" in record["problem"] and "pipelining" not in record["problem"]
    assert record["type"] == "ValueError" and not record["input"]


def test_a_pipeline_stage_out_of_memory_is_the_runs_size_not_a_crash(tmp_path: Path) -> None:
    # before: torch's RuntimeError wrapper hid the MemoryError, so the run said 'fix the error in the model'
    from accelopt.distributed.worker import OOM_FIX, _error_record

    record = _error_record(_stage_error(tmp_path, MemoryError()))
    assert record["type"] == "InfeasibleError" and record["input"] and record["fix"] == OOM_FIX


def test_an_accelopt_input_error_inside_a_stage_keeps_its_fix(tmp_path: Path) -> None:
    from accelopt.distributed.worker import _error_record
    from accelopt.errors import InputError

    record = _error_record(_stage_error(tmp_path, InputError("the stage got a str", "pass tensors")))
    assert record == {**record, "type": "InputError", "problem": "the stage got a str", "fix": "pass tensors",
                      "input": True}


def test_a_stage_holding_tied_layers_counts_their_shared_weight_once() -> None:
    # before: layers 0 and 2 share one 16 x 16 weight; the stage holding both estimated 4 x (272 + 272) parameter
    # bytes x 4 B, the shared 1 KiB weight counted twice (14 KiB for a stage of 10 KiB in the review's model)
    from accelopt.distributed.model import load_bundle, pipeline_layers
    from accelopt.distributed.partition import in_flight, partition_model

    bundle = load_bundle("tests/dist_models.py:tied_middle", {})
    part = partition_model(bundle, 2, microbatches=2)
    lo, hi = part.balanced.bounds[0], part.balanced.bounds[1]
    assert hi >= 3  # the tied layers 0 and 2 are on stage 0
    modules = pipeline_layers(bundle.model)[lo:hi]
    held = {id(p): p for m in modules for p in m.parameters()}  # what stage 0's rank holds, each tensor once
    weights = sum(p.numel() * p.element_size() for p in held.values())
    assert weights == 4 * (16 * 16 + 16 + 16)  # one shared weight, two biases
    acts = sum(x.activation_bytes for x in part.layers[lo:hi])
    # weights + gradients; its SGD (no momentum) keeps no state
    assert part.balanced.stage_memory_bytes[0] == 2 * weights + in_flight(0, 2, 2, "1f1b") * acts
    assert sum(x.param_bytes for x in part.layers) == sum(p.numel() * p.element_size()
                                                          for p in bundle.model.parameters())


def test_the_equal_layer_split_that_cuts_tied_layers_is_said_not_to_run() -> None:
    # before: 'balance 1.41 (slowest / mean stage) vs the equal-layer split [0, 4]: 1.11': the split the
    # partitioner may not pick (layers 0 and 4 share a weight) read as the better one, with no word of why
    from accelopt.distributed.partition import partition
    from accelopt.distributed.types import LayerCost
    from accelopt.report.distributed_view import split_line

    # 4 of 7 equal layers on the slowest stage: 4 / 3.5 = 1.14
    layers = [LayerCost(name=f"{i}:Linear", fwd_bwd_s=1e-3, activation_bytes=64.0, param_bytes=64.0)
              for i in range(7)]
    part = partition(layers, 2, tied=[(0, 4)])
    assert part.naive.bounds == [0, 4, 7] and part.balanced.bounds == [0, 5, 7]
    assert part.naive_cut_ties == ["0:Linear and 4:Linear"]
    line = split_line(part)
    assert ("vs the equal-layer split [0, 4]: 1.14 (not runnable: it puts tied layers 0:Linear and 4:Linear on two "
            "stages, each training its own copy)") in line
    untied = partition(layers, 2, tied=[(0, 2)])
    assert untied.naive_cut_ties == [] and "not runnable" not in split_line(untied)


def test_ddp_predicts_the_all_reduce_of_the_trainable_gradients_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # before: a fine-tuning run (frozen 74 K-parameter backbone, 2 K-parameter head) was predicted to all-reduce
    # every parameter, 36x the gradients DDP reduces (DDP buckets the parameters that require a gradient only)
    import numpy as np
    from test_distributed_review import _fake_launch

    from accelopt.distributed import run as run_mod
    from accelopt.distributed.model import load_bundle
    from accelopt.distributed.predict_check import links_for
    from accelopt.hardware.catalog import get_device
    from accelopt.predict import comm

    _fake_launch(monkeypatch, [2.3, 2.2, 2.1])
    spec = get_device("xeon-8480plus")
    r = run_mod.profile_distributed(run_mod.DistConfig(bundle_ref="tests/dist_models.py:frozen_backbone", steps=3),
                                    run_mod.Launch(nproc=2), spec=spec)
    assert r.prediction is not None
    model = load_bundle("tests/dist_models.py:frozen_backbone", {}).model
    grads = sum(p.numel() * 4 for p in model.parameters() if p.requires_grad)
    assert grads == (256 * 8 + 8) * 4 < sum(p.numel() * 4 for p in model.parameters()) / 30
    links, _ = links_for(spec)
    # ring all-reduce on one host, 2 ranks: 2 (p-1) alpha + 2 (p-1) / p S / B (predict/comm.py)
    ring = 2 * links.up_lat + grads / links.up_bw
    expected = float(comm.allreduce_s(np.asarray([float(grads)]), np.asarray([2.0]), np.asarray([links.up_bw]),
                                      np.asarray([links.up_lat]), p_in=np.ones(1),
                                      lat_in=np.asarray([links.up_lat]))[0])
    predicted = next(t.predicted_s for t in r.prediction.terms if t.term == "communication")
    assert predicted == pytest.approx(expected, rel=1e-9)
    assert predicted == pytest.approx(ring, rel=0.5)  # the same order as the plain ring formula


def test_a_frozen_layer_holds_its_weights_only_in_the_stage_estimate() -> None:
    # before: a stage of frozen layers (fine-tuning) was estimated at 4 x its weights, as if AdamW kept gradients and
    # two moments for them: the frozen 74 K-parameter backbone read 1.13 MiB where its rank holds 290 KiB of weights
    from accelopt.distributed.model import load_bundle
    from accelopt.distributed.partition import STATE_COPIES, in_flight, partition_model
    from accelopt.report.distributed_view import split_line

    bundle = load_bundle("tests/dist_models.py:frozen_backbone", {})
    part = partition_model(bundle, 2, microbatches=2)
    assert part.balanced.bounds == [0, 1, 2]  # the backbone (one nn.Sequential) on stage 0, the head on stage 1
    backbone, head = part.layers
    frozen = (32 * 256 + 256 + 256 * 256 + 256) * 4
    assert backbone.param_bytes == backbone.frozen_param_bytes == frozen and head.frozen_param_bytes == 0
    assert part.balanced.stage_memory_bytes[0] == frozen + in_flight(0, 2, 2, "1f1b") * backbone.activation_bytes
    assert part.balanced.stage_memory_bytes[1] == STATE_COPIES * (256 * 8 + 8) * 4 + head.activation_bytes
    assert "1 x the 290 KiB of frozen weights, which have neither" in split_line(part)


def test_a_prediction_error_near_minus_100_percent_reads_alike_on_console_and_page() -> None:
    # before: the console rounded -99.92% to '-100%' (a prediction of zero, to the reader) where the page said -99.9%
    from test_distributed_view import _console, _page, _result

    from accelopt.distributed.types import PredictionCheck, TermError

    terms = [TermError(term="communication", predicted_s=5.62e-6, measured_s=6.9e-3),
             TermError(term="compute", predicted_s=3.1e-3, measured_s=2.97e-3)]
    r = _result(PredictionCheck(device="xeon", link_source="l", terms=terms, notes=[]))
    text, page = _console(r), _page(r)
    assert "-100%" not in text and "+4.4%" in text
    for shown in (text, page):
        assert "-99.9%" in shown and "4.4%" in shown


def test_a_node_rank_without_nnodes_names_the_flag_that_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    # before: 'error: --node-rank 1 is outside 0..0 / fix: number the machines 0 .. nnodes-1': nothing said that
    # --nnodes (default 1) was what the user left out
    from conftest import run_main

    code, out, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--node-rank", "1"], capsys)
    err = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in err
    assert "--node-rank 1 on a one-machine run (--nnodes 1, the default)" in err
    assert "pass --nnodes M and --rdzv-endpoint HOST:PORT" in err


def test_the_stage_estimate_holds_the_runs_own_optimizer_state_not_adamws() -> None:
    # before: every stage was estimated at 4 x its weights ('the default AdamW's two moments') though the model
    # trains with its own SGD (lr 0.5, no momentum), which keeps no state: twice the stage's weights and gradients
    from accelopt.distributed.model import load_bundle
    from accelopt.distributed.partition import in_flight, optimizer_state_bytes, partition_model
    from accelopt.report.distributed_view import split_line

    bundle = load_bundle("tests/dist_models.py:mlp", {})  # Linear 32-64, 64-64, 64-8 with SGD(lr=0.5)
    part = partition_model(bundle, 2, microbatches=2)
    assert [x.optimizer_state_bytes for x in part.layers] == [0.0] * 5
    lo, hi = part.balanced.bounds[:2]
    weights = sum(x.param_bytes for x in part.layers[lo:hi])
    acts = sum(x.activation_bytes for x in part.layers[lo:hi])
    assert part.balanced.stage_memory_bytes[0] == 2 * weights + in_flight(0, 2, 2, "1f1b") * acts
    assert "the optimizer's state, measured by one step of the run's optimizer" in split_line(part)
    # the default AdamW keeps exp_avg and exp_avg_sq: 2 x the weights (its scalar 'step' tensors left out)
    linear = __import__("torch").nn.Linear(64, 8)
    assert optimizer_state_bytes(load_bundle("tests/dist_models.py:frozen_backbone", {}),
                                 list(linear.parameters())) == 2 * (64 * 8 + 8) * 4
