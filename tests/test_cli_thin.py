"""A thin CLI (issue 12): the command modules in src/accelopt/cli/ parse options into a typed options object and
call the library; no function there carries a long positional parameter list.

Rules, checked on the source with `ast` (nothing is imported or run):

1. Every function other than a typer command callback (a function decorated with `@<app>.command(...)` or
   `@<app>.callback(...)`) takes at most MAX_PARAMS parameters (positional + keyword-only, `self`/`cls` and
   `*args`/`**kwargs` aside). An options dataclass counts as one parameter: that is the point.
2. A command callback's body, its docstring and import statements aside, holds at most MAX_COMMAND_STATEMENTS
   top-level statements: build the options object, call the library (an early `if ...: return` for a group's
   subcommand dispatch fits too). Its work lives in functions that take the options object.
3. A command callback with more than MAX_PARAMS parameters builds its options: its body constructs an object of a
   class whose name ends in `Options`.

Modules that other work owns at present are listed in PENDING: each violation there is an expected failure that
says so, so a fix turns it into an XPASS (strict) and the module must then leave the list.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CLI = Path(__file__).resolve().parents[1] / "src" / "accelopt" / "cli"
MAX_PARAMS = 6
MAX_COMMAND_STATEMENTS = 3
PENDING: dict[str, str] = {
}
"""module file name -> why it is not thin yet (rule 1-3 violations there are strict xfails)."""


def _is_command(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for dec in fn.decorator_list:
        call = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(call, ast.Attribute) and call.attr in ("command", "callback"):
            return True
    return False


def _param_count(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    a = fn.args
    names = [x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    return len([n for n in names if n not in ("self", "cls")])


def _statements(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    body = list(fn.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return [s for s in body if not isinstance(s, ast.Import | ast.ImportFrom)]


def _builds_options(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for node in ast.walk(fn):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name.endswith("Options"):
                return True
    return False


def _functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def violations(path: Path) -> list[str]:
    """Each rule broken in one module, as 'file:line name: what'."""
    out = []
    for fn in _functions(path):
        where = f"{path.name}:{fn.lineno} {fn.name}"
        n = _param_count(fn)
        if not _is_command(fn):
            if n > MAX_PARAMS:
                out.append(f"{where}: {n} parameters (at most {MAX_PARAMS}; pass an options object)")
            continue
        stmts = len(_statements(fn))
        if stmts > MAX_COMMAND_STATEMENTS:
            out.append(f"{where}: command body has {stmts} statements (at most {MAX_COMMAND_STATEMENTS}: build "
                       "the options, call the library)")
        if n > MAX_PARAMS and not _builds_options(fn):
            out.append(f"{where}: {n} options and no *Options object built")
    return out


MODULES = sorted(p for p in CLI.glob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("path", [
    pytest.param(p, id=p.name, marks=pytest.mark.xfail(strict=True, reason=PENDING[p.name])) if p.name in PENDING
    else pytest.param(p, id=p.name) for p in MODULES])
def test_cli_module_is_thin(path: Path) -> None:
    found = violations(path)
    assert not found, "\n".join(found)


def test_the_checker_catches_a_fat_helper_and_a_fat_command(tmp_path: Path) -> None:
    """The rules above fail on code that breaks them (so the module test can fail)."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import typer\napp = typer.Typer()\n\n"
        "def helper(a, b, c, d, e, f, g):\n    return a\n\n"
        "def ok(self, a, b, c, d, e, f):\n    return a\n\n"
        "@app.command('x')\n"
        "def cmd(a: int = 1, b: int = 2, c: int = 3, d: int = 4, e: int = 5, f: int = 6, g: int = 7) -> None:\n"
        "    '''doc'''\n    import os\n    x = a\n    y = b\n    z = c\n    print(x, y, z)\n", encoding="utf-8")
    found = violations(bad)
    assert any("helper: 7 parameters" in v for v in found)
    assert not any(" ok:" in v for v in found)
    assert any("cmd: command body has 4 statements" in v for v in found)
    assert any("cmd: 7 options and no *Options object built" in v for v in found)
