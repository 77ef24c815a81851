"""A --json document or a table printed to stdout is in the file at once, before the process exits.

H200, 2026-12-04 (benchmarks/results/gpu_nvidia-h200/README.md, "Open"): `timeout -s INT 130 accelopt optimize gpt
--size realistic --device cuda --json > out.json` left out.json empty. stdout to a file is block-buffered: a document
printed and left in the buffer is lost when the process, on its way out, hangs (a CUDA or compile-worker teardown)
and is then killed. The test swaps stdout for a block-buffered file and reads the file before any exit (the
console tables need no such test: rich flushes its file after each print)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest


def _buffered(path: Path) -> io.TextIOWrapper:
    """A stdout as the shell gives it with `> file`: a text stream over a block-buffered file (not line-buffered)."""
    return io.TextIOWrapper(io.BufferedWriter(io.FileIO(str(path), "w"), buffer_size=1 << 16), encoding="utf-8",
                            line_buffering=False, write_through=False)


def test_a_json_document_reaches_the_file_before_exit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.report.jsonout import emit

    out = tmp_path / "out.json"
    stream = _buffered(out)
    monkeypatch.setattr(sys, "stdout", stream)
    try:
        emit({"kind": "test", "figures": list(range(50))})
        written = out.read_text()  # what a kill now would leave
    finally:
        stream.close()
    assert '"figures"' in written and written.rstrip().endswith("}")

