"""leftovers3: the collective benchmark rounds each message to whole fp32 elements, a multiple of the rank count and
at least one a rank, and reported only the size moved: 1 KiB over 3 ranks came out as '1020 B' and 1 B over 2 ranks
as '8 B', with nothing saying what was asked. The figure now keeps the size asked for beside the size moved
(asked_size_bytes, schema probe 9) where they differ, and the console says '8 B (asked 1 B)'."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.distributed.collectives import build_result, moved_elements, run_collectives
from accelopt.distributed.types import Job


@pytest.mark.parametrize(("size", "world", "moved_bytes"), [(1024, 2, 1024), (1024, 3, 1020), (1, 2, 8),
                                                           (4, 4, 16), (1 << 20, 8, 1 << 20)])
def test_the_size_moved(size: int, world: int, moved_bytes: int) -> None:
    assert moved_elements(size, world) * 4 == moved_bytes


def test_a_rank_reports_the_size_moved_and_the_size_asked(tmp_path: Path) -> None:
    """One gloo rank (world 1) runs the real ops: 1 B moves one fp32 element (4 B), 1022 B moves 255 (1020 B)."""
    import torch.distributed as dist

    dist.init_process_group("gloo", store=dist.FileStore(str(tmp_path / "store"), 1), rank=0, world_size=1)
    try:
        out = run_collectives(Job(kind="collectives", device="cpu", sizes_bytes=[1, 1024, 1022], ops=["all_reduce"]),
                              0, 1, "cpu")
    finally:
        dist.destroy_process_group()
    got = [(t["size_bytes"], t["asked_size_bytes"]) for t in out["times"]]
    assert got == [(4, 1), (1024, None), (1020, 1022)]


def test_the_figures_and_the_console_say_both() -> None:
    from io import StringIO

    from rich.console import Console

    from accelopt.report.distributed_view import render_collectives

    rank0 = {"times": [{"op": "all_reduce", "size_bytes": 8, "asked_size_bytes": 1, "times_s": [1e-4] * 10},
                       {"op": "all_reduce", "size_bytes": 1 << 20, "times_s": [1e-3] * 10}]}  # an older rank's dict
    res = build_result(rank0, "gloo", "cpu", 2)
    assert [(f.size_bytes, f.asked_size_bytes) for f in res.figures] == [(8, 1), (1 << 20, None)]
    buf = StringIO()
    render_collectives(res, Console(file=buf, width=200))
    text = buf.getvalue()
    assert "8 B (asked 1 B)" in text and "1 MiB (asked" not in text
