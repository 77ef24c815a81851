"""The note that MFU against a CPU catalog entry divides by the whole socket reads '1 torch thread' for a step on
one thread (`profile --threads 1 --catalog-device xeon-8480plus` printed 'ran on 1 torch threads, 1/56 = 2% of its
cores': user trial ut3prof, session 35); two or more stay plural."""

from __future__ import annotations

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.measure import diagnose


@pytest.mark.parametrize(("threads", "said"), [(1, "ran on 1 torch thread, 1/56"), (2, "ran on 2 torch threads, 2/56")])
def test_one_thread_is_said_in_the_singular(threads: int, said: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagnose, "_cores_used", lambda t: t)  # as many usable cores as threads, whatever this host
    note = diagnose.socket_share_note(get_device("xeon-8480plus"), threads, "MFU vs catalog peak", "this step",
                                      "that MFU is at most {share} here")
    assert note is not None and said in note, note
