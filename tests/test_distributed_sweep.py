"""A new user's models under `profile --nproc 2` (udist2's sweep): what failed, refused with the problem and the fix
before any rank starts."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import run_main


@pytest.fixture
def no_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    def launched(*_: Any, **__: Any) -> None:
        raise AssertionError("torchrun was started")

    monkeypatch.setattr("accelopt.distributed.run.launch_job", launched)


def test_a_layer_given_an_lstms_tuple_names_what_it_received(no_launch: None,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    # the error said only "Linear.forward() takes 2 positional arguments but 3 were given" and to fix the layer
    code, _, err = run_main(["profile", "tests/dist_models.py:lstm_layers", "--nproc", "2", "--parallel", "pipeline"],
                            capsys)
    err = " ".join(err.split())
    assert code == 2 and "Traceback" not in err
    assert "called with 2 inputs: Tensor(2, 5, 24), tuple of 2 (the outputs of layer 1:LSTM)" in err
    assert "layer(*outputs)" in err and "wrapper module" in err


def test_the_prediction_prints_the_link_defaults_it_uses() -> None:
    # h100-sxm lists no link latency: the DDP all-reduce used plan's 2.4 us per step, and the check printed only
    # "h100-sxm's scale-up link x scaleup_bw_eff 0.8 (catalog)"
    from accelopt.distributed.predict_check import links_for
    from accelopt.hardware.catalog import get_device
    from accelopt.predict import comm

    links, src = links_for(get_device("h100-sxm"))
    assert links.up_lat == comm.DEFAULT_SCALEUP_LATENCY_S
    assert f"scaleup_latency_s = {comm.DEFAULT_SCALEUP_LATENCY_S:.4g} (assumed, not in the spec" in src
    assert "scaleout" not in src  # the ranks of one host use the scale-up figures only


def test_a_multi_node_ddp_prediction_uses_the_scale_out_link() -> None:
    # --nnodes 2: the all-reduce crosses the hosts' network, and was predicted on the NVLink figures of one host
    from types import SimpleNamespace

    from accelopt.distributed.predict_check import links_for, predict_run
    from accelopt.distributed.types import CommTime, DistributedResult, RankResult
    from accelopt.hardware.catalog import get_device

    spec = get_device("h100-sxm")
    links, src = links_for(spec, nnodes=2)
    assert "across 2 hosts: the scale-out link" in src and "scaleout_latency_s = 8e-06 (assumed" in src

    def run(nnodes: int) -> DistributedResult:
        rank = RankResult(rank=0, world_size=2 * nnodes, host="h", step_times_s=[0.01] * 3, losses=[1.0],
                          threads=1, comm=CommTime(comm_s=0.001, overlapped_s=0.0, compute_s=0.005,
                                                   profiled_step_s=0.01), peak_memory_bytes=1.0, memory_source="t")
        return DistributedResult(name="m", parallel="ddp", schedule=None, nproc=2, nnodes=nnodes, backend="nccl",
                                 device="cuda", global_batch=8, microbatches=1, ranks=[rank], single=None)

    n = 1e9  # gradient bytes
    got = {t.term: t.predicted_s for t in predict_run(run(2), SimpleNamespace(ops=[]), spec, n).terms}
    # 4 ranks, 2 per host: ring 2(p-1) a_out + 2(p-1)/p n/B_out; NCCL tree 2((2-1) a_up + log2(4/2) a_out) + 2n/B_out
    ring = 2 * 3 * links.out_lat + 2 * 3 / 4 * n / links.out_bw
    tree = 2 * (links.up_lat + links.out_lat) + 2 * n / links.out_bw
    assert got["communication"] == pytest.approx(min(ring, tree), rel=1e-12)
    one_host = {t.term: t.predicted_s for t in predict_run(run(1), SimpleNamespace(ops=[]), spec, n).terms}
    assert one_host["communication"] == pytest.approx(2 * links.up_lat + n / links.up_bw, rel=1e-12)  # 2 ranks


def test_dict_targets_are_sliced_and_checked_like_tensors() -> None:
    import torch

    from accelopt.distributed.model import check_batch, shard, take, tensors_in
    from accelopt.errors import InputError
    from accelopt.workload.userfile import ModelBundle

    t = {"labels": torch.arange(8), "extra": (torch.arange(8) * 2, "keep")}
    assert shard(t, 1, 2)["labels"].tolist() == [4, 5, 6, 7]
    assert shard(t, 1, 2)["extra"][0].tolist() == [8, 10, 12, 14] and shard(t, 1, 2)["extra"][1] == "keep"
    assert take(t, torch.tensor([2, 3]))["extra"][0].tolist() == [4, 6]
    assert [n for n, _ in tensors_in("targets", t)] == ["targets['labels']", "targets['extra'][0]"]
    bad = ModelBundle(name="m", model=torch.nn.Linear(2, 2), batch_size=8, loss_fn=lambda o, y: o.sum(),
                      batches=lambda: iter([(torch.zeros(8, 2), {"labels": torch.zeros(6)})]))
    with pytest.raises(InputError, match=r"targets\['labels'\] of the first batch has 6 samples"):
        check_batch(bad)


def test_namedtuple_targets_are_sliced_moved_and_named() -> None:
    """A namedtuple of targets crashed every rank ("missing 1 required positional argument", at shard): it was
    rebuilt from a generator."""
    from collections import namedtuple

    import torch

    from accelopt.distributed.model import shard, take, tensors_in
    from accelopt.workload.batch import to_device

    pair = namedtuple("pair", "labels weights")
    t = pair(torch.arange(8), torch.ones(8))
    assert isinstance(shard(t, 1, 2), pair) and shard(t, 1, 2).labels.tolist() == [4, 5, 6, 7]
    assert take(t, torch.tensor([0, 7])).labels.tolist() == [0, 7] and to_device(t, "meta").weights.is_meta
    assert [n for n, _ in tensors_in("targets", t)] == ["targets.labels", "targets.weights"]


def test_a_short_last_batch_is_refused_before_launch_and_in_each_rank() -> None:
    """batches() of 8, 8 then 6 samples (a DataLoader without drop_last): the first batch passed the check, then a
    pipeline rank crashed on the third ('IndexError: index out of range', its targets taken at 8 indices) and DDP
    counted 6 samples as a global batch of 8. Refused before launch (the first batches are scanned) and by each
    rank's stream for a batch past the scan."""
    import torch

    from accelopt.distributed import model as dm
    from accelopt.errors import InputError
    from accelopt.workload.userfile import ModelBundle

    def batches(rows: tuple[int, ...]) -> Any:
        return lambda: iter([(torch.zeros(n, 2), torch.zeros(n, dtype=torch.long)) for n in rows])

    short = ModelBundle(name="m", model=torch.nn.Linear(2, 2), batch_size=8, loss_fn=lambda o, y: o.sum(),
                        batches=batches((8, 8, 6)))
    with pytest.raises(InputError, match=r"inputs\[0\] of batch 2 has 6 samples") as e:
        dm.check_batch(short)
    assert "drop_last=True" in e.value.fix
    late = ModelBundle(name="m", model=torch.nn.Linear(2, 2), batch_size=8, loss_fn=lambda o, y: o.sum(),
                       batches=batches((8,) * dm.SCAN_BATCHES + (5,)))
    dm.check_batch(late)  # past the scan: each rank's stream names it
    stream = dm.BatchStream(late)
    for _ in range(dm.SCAN_BATCHES):
        stream.next()
    with pytest.raises(InputError, match=rf"of batch {dm.SCAN_BATCHES} has 5 samples"):
        stream.next()
