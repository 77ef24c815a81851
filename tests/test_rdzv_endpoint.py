"""`--rdzv-endpoint` HOST:PORT with an IPv6 host: '[::1]:29500' was read as the host '[::1]' (brackets kept), which
then 'could not be resolved'; '::1:29500' passed as host '::1' though nothing tells its port from the address's last
group. Now the bracketed form (RFC 3986 sec. 3.2.2, what torchrun reads) is parsed, the bare one refused with the
bracketed spelling as its fix, and node 0's port check opens an IPv6 socket for an IPv6 host."""

from __future__ import annotations

import socket

import pytest
from conftest import run_main

from accelopt.distributed.launch import Launch, check_port_free, join_endpoint, split_endpoint
from accelopt.errors import InputError


@pytest.mark.parametrize(("text", "host", "port"), [("[::1]:29500", "::1", 29500),
                                                    ("[fd00::1:2]:29501", "fd00::1:2", 29501),
                                                    ("10.0.0.1:29500", "10.0.0.1", 29500),
                                                    ("node-0.cluster:1", "node-0.cluster", 1)])
def test_endpoint_parsed(text: str, host: str, port: int) -> None:
    assert split_endpoint(text) == (host, port)
    assert join_endpoint(host, port) == text  # what an error message suggests is written the same way back


@pytest.mark.parametrize(("text", "named", "fix"), [
    ("::1:29500", "needs brackets", "--rdzv-endpoint [::1]:29500"),
    ("fd00::1:29500", "needs brackets", "--rdzv-endpoint [fd00::1]:29500"),
    ("[::1]", "needs brackets", "[ADDRESS]:PORT"),
    ("[::1:29500", "needs brackets", "[ADDRESS]:PORT"),
    ("[node0]:29500", "'node0' in brackets is not an IPv6 address", "[fd00::1]:29500"),
    ("[::1]:0", "port '0' is not a number from 1 to 65535", "10.0.0.1:29500"),
    ("[::1]:65536", "port '65536'", "10.0.0.1:29500"),
    ("host:http", "port 'http'", "10.0.0.1:29500"),
    ("29500", "is not HOST:PORT", "10.0.0.1:29500"),
    ("host:\u00b2", "port '\u00b2'", "10.0.0.1:29500"),  # str.isdigit() took it, then int() raised a traceback
    ("[::1]:029500", "port '029500'", "10.0.0.1:29500"),  # torchrun takes 1-5 digits, refused once it had started
    ("[::1%lo]:29500", "zone id", "unique-local"),  # torchrun's host check refuses a zone id
])
def test_bad_endpoint_refused_with_a_fix(text: str, named: str, fix: str) -> None:
    with pytest.raises(InputError) as e:
        split_endpoint(text)
    assert named in e.value.problem and fix in e.value.fix, (e.value.problem, e.value.fix)
    if "--rdzv-endpoint [" in e.value.fix:  # the suggested spelling is accepted
        split_endpoint(e.value.fix.split("--rdzv-endpoint ")[1])


def test_bare_ipv6_endpoint_refused_by_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["profile", "mlp", "--nproc", "2", "--rdzv-endpoint", "::1:29500"], capsys)
    assert code == 2 and "needs brackets" in err and "[::1]:29500" in err, err


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_ipv6_port_in_use_is_named_with_a_bracketed_fix() -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as held:
        held.bind(("::1", 0))
        held.listen()
        port = held.getsockname()[1]
        Launch(nproc=2, rdzv_endpoint=f"[::1]:{port}")  # accepted as written
        with pytest.raises(InputError) as e:
            check_port_free(*split_endpoint(f"[::1]:{port}"))
    assert f"port {port} on ::1 is already in use" in e.value.problem
    assert "--rdzv-endpoint [::1]:OTHER_PORT" in e.value.fix
    check_port_free("::1", port)  # free again once the holder is closed


def test_a_bind_error_other_than_in_use_is_not_called_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    # a link-local address without a zone fails to bind with EINVAL; it was reported as 'already in use'
    import errno

    from accelopt.distributed import launch

    class _Sock:
        def __enter__(self) -> _Sock:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def bind(self, addr: object) -> None:
            raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(launch.socket, "socket", lambda *a, **k: _Sock())
    with pytest.raises(InputError) as e:
        launch.check_port_free("fe80::1", 29500)
    assert "cannot listen there" in e.value.problem and "in use" not in e.value.problem
