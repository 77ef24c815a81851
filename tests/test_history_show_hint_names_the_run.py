"""`history show`'s closing hint names the run shown, so its commands can be pasted as they are.

The defect (ut4hist, 2026-12-06): `history show latest` ended with 'all of it: accelopt history show ID --json; as
a page: --html PATH': a placeholder ID to look up in the first line, and a bare '--html PATH' that is not a
command on its own."""
import json
from pathlib import Path

import pytest
from conftest import run_main


def test_the_hint_names_the_run_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ACCELOPT_NO_HISTORY", raising=False)
    topo = tmp_path / "t.csv"
    topo.write_text("Layer, M, N, K,\nfc, 8, 8, 8,\n")
    code, _, err = run_main(["simulate", "run", "-d", "tpu-v1", "--topology", str(topo), "--json"], capsys)
    assert code == 0, err
    code, out, err = run_main(["history", "show", "latest", "--json"], capsys)
    assert code == 0, err
    run_id = json.loads(out)["id"]
    code, out, err = run_main(["history", "show", "latest"], capsys)
    assert code == 0, err
    hint = " ".join(out.split()).split("all of it: ", 1)[1]
    assert hint == (f"accelopt history show {run_id} --json; as a page: accelopt history show {run_id} "
                    "--html PATH")
