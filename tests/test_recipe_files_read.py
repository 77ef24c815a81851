"""FilesRead (optimize --save's model_source.inputs) records the opens of the thread that builds the model only."""

from __future__ import annotations

import threading
from pathlib import Path


def test_a_file_another_thread_opens_during_the_build_is_not_recorded(tmp_path: Path) -> None:
    from accelopt.optimize.recipe import FilesRead

    mine, other = tmp_path / "train.csv", tmp_path / "server.log"
    mine.write_text("x,y\n1,2\n")
    other.write_text("a log line\n")
    opened = threading.Event()

    def elsewhere() -> None:  # a thread of the caller's (a log reader, a server) while the build runs
        other.read_text()
        opened.set()

    with FilesRead() as reads:
        mine.read_text()
        t = threading.Thread(target=elsewhere)
        t.start()
        t.join(timeout=10)
    assert opened.is_set()
    assert reads.paths() == [str(mine.resolve())]
