"""Every malformed input of issue #6 in ONE tree, linted by `python -m prunelint` as a user runs
it: each is one finding at a location (or nothing, when it is fine), the run goes on, and a good
file beside them still gets its finding. `MALFORMED` is also the table of what the user sees.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Union

import pytest

GOOD = (
    "import torch\nimport torch_pruning as tp\n\n"
    "with torch.no_grad():\n    pruner = tp.pruner.MetaPruner(model, example_inputs, importance=imp)\n"
)
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def pitfall(path: str, row: int = 5) -> str:
    """The start of PRL001's line for GOOD's construction at `row` (the rest is the rule's text)."""
    return (
        f"{path}:{row}:14: PRL001 `tp.pruner.MetaPruner(...)` builds a pruner while autograd is disabled"
        f" by `with torch.no_grad()` at line {row - 1}."
    )


def _huge(last: str) -> bytes:
    """100,000 lines: two imports, 99,996 assignments, then `last` on lines 99,999-100,000."""
    body = "".join(f"value_{i} = {i}\n" for i in range(99_996))
    return ("import torch\nimport torch_pruning as tp\n" + body + last).encode()


def _symlink_loop(path: Path) -> None:
    path.symlink_to(path.name)


def _dangling(path: Path) -> None:
    path.symlink_to("nowhere.py")


def _unreadable(path: Path) -> None:
    path.write_bytes(b"import torch_pruning as tp\nx = )\n")
    path.chmod(0)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))


def _folder(path: Path) -> None:
    path.mkdir()
    (path / "inner.py").write_text(GOOD, "utf-8")


Make = Union[bytes, Callable[[Path], None]]


@dataclass(frozen=True)
class Case:
    what: str  # the input, in words
    path: str
    make: Make
    sees: tuple[str, ...]  # each line the user sees; a PRL001 line is matched by its start


MALFORMED = (
    Case("a syntax error", "syntax_error.py", b"import torch_pruning\nx = )\n",
         ("syntax_error.py:2:5: PRL000 syntax error: unmatched ')'",)),
    Case("a file that ends inside a line continuation", "eof_backslash.py", b"import torch_pruning\nx = 1 + \\",
         ("eof_backslash.py:2:10: PRL000 syntax error: unexpected EOF while parsing",)),
    Case("tabs and spaces mixed in one block", "tab_error.py", b"import torch_pruning\nif x:\n        a = 1\n\tb = 2\n",
         ("tab_error.py:4:1: PRL000 syntax error: inconsistent use of tabs and spaces in indentation",)),
    Case("invalid UTF-8", "invalid_utf8.py", b"import torch_pruning\ny = '\xff'\n",
         ("invalid_utf8.py:2:6: PRL000 not valid utf-8 text: invalid start byte",)),
    Case("Latin-1 text without a coding cookie", "latin1.py", "import torch_pruning\n# caf\xe9\n".encode("latin-1"),
         ("latin1.py:2:6: PRL000 not valid utf-8 text: invalid continuation byte",)),
    Case("a coding cookie naming no codec", "bad_cookie.py", b"# -*- coding: no-such-codec -*-\nimport torch_pruning\n",
         ("bad_cookie.py:1:1: PRL000 cannot decode: unknown encoding: no-such-codec",)),
    Case("a UTF-8 BOM and a latin-1 cookie", "bom_and_cookie.py", b"\xef\xbb\xbf# coding: latin-1\nimport torch_pruning\n",
         ("bom_and_cookie.py:1:1: PRL000 cannot decode: a UTF-8 byte order mark, but a coding cookie for another encoding",)),
    Case("a NUL byte", "nul_byte.py", b"import torch_pruning\nx = 1\x00\n",
         ("nul_byte.py:2:1: PRL000 binary file (contains a NUL byte): not Python source",)),
    Case("a binary file named .py", "binary.py", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)),
         ("binary.py:1:1: PRL000 binary file (contains a NUL byte): not Python source",)),
    Case("UTF-16 text", "utf16.py", GOOD.encode("utf-16"),
         ("utf16.py:1:1: PRL000 UTF-16 or UTF-32 text (it starts with that byte order mark): "
          "Python source must be UTF-8 or an ASCII-compatible encoding",)),
    Case("a UTF-8 BOM", "bom.py", b"\xef\xbb\xbf" + GOOD.encode(), (pitfall("bom.py"),)),
    Case("CRLF line endings", "crlf.py", GOOD.replace("\n", "\r\n").encode(), (pitfall("crlf.py"),)),
    Case("CR line endings", "cr.py", GOOD.replace("\n", "\r").encode(), (pitfall("cr.py"),)),
    Case("LF, CRLF and CR mixed", "mixed_endings.py",
         b"import torch\r\nimport torch_pruning as tp\r\rwith torch.no_grad():\n"
         b"    pruner = tp.pruner.MetaPruner(model, example_inputs, importance=imp)\r\n",
         (pitfall("mixed_endings.py"),)),
    Case("no newline at the end", "no_final_newline.py", GOOD.rstrip("\n").encode(), (pitfall("no_final_newline.py"),)),
    Case("an empty file", "empty.py", b"", ()),
    Case("a 100,000-line file (parsed and analysed: nothing to report)", "huge.py",
         _huge("if True:\n    pruner = tp.pruner.MetaPruner(model, example_inputs, importance=imp)\n"), ()),
    Case("a 100,000-line file with a syntax error on its last line", "huge_syntax_error.py",
         _huge("x = 1\ny = )\n"), ("huge_syntax_error.py:100000:5: PRL000 syntax error: unmatched ')'",)),
    Case("parentheses nested 5,000 deep", "deep_parens.py",
         ("import torch_pruning\nx = " + "(" * 5000 + ")" * 5000 + "\n").encode(),
         ("deep_parens.py:2:205: PRL000 syntax error: too many nested parentheses",)),
    Case("lists nested 5,000 deep", "deep_lists.py",
         ("import torch_pruning\nx = " + "[" * 5000 + "]" * 5000 + "\n").encode(),
         ("deep_lists.py:2:205: PRL000 syntax error: too many nested parentheses",)),
    Case("5,000 unary minuses", "deep_unary.py", ("import torch_pruning\nx = " + "-" * 5000 + "1\n").encode(),
         ("deep_unary.py:1:1: PRL000 too deeply nested for Python to compile",)),
    Case("an attribute chain 5,000 long", "deep_attributes.py",
         ("import torch_pruning\nx = a" + ".b" * 5000 + "\n").encode(),
         ("deep_attributes.py:1:1: PRL000 too deeply nested for Python to compile",)),
    Case("a call chain 5,000 long", "deep_calls.py", ("import torch_pruning\nx = f" + "()" * 5000 + "\n").encode(),
         ("deep_calls.py:1:1: PRL000 too deeply nested for Python to compile",)),
    Case("a sum of 5,000 terms", "deep_sum.py", ("import torch_pruning\nx = " + "+".join(["1"] * 5000) + "\n").encode(),
         ("deep_sum.py:1:1: PRL000 too deeply nested for Python to compile",)),
    Case("5,000 nested lambdas", "deep_lambdas.py", ("import torch_pruning\nx = " + "lambda: " * 5000 + "1\n").encode(),
         ("deep_lambdas.py:1:1: PRL000 too deeply nested for Python to compile",)),
    # CPython accepts it (libcst's parser did not): read as any other file, nothing to report.
    Case("5,000 adjacent string literals", "deep_strings.py",
         ("import torch_pruning\nx = " + " ".join(["'a'"] * 5000) + "\n").encode(), ()),
    Case("blocks nested 5,000 deep", "deep_blocks.py",
         ("import torch_pruning\n" + "".join(" " * i + "if x:\n" for i in range(5000)) + " " * 5000 + "pass\n").encode(),
         ("deep_blocks.py:102:1: PRL000 syntax error: too many levels of indentation",)),
    # root reads a chmod 000 file: then the syntax error inside it is what the user sees.
    Case("an unreadable file (chmod 000)", "unreadable.py", _unreadable,
         ("unreadable.py:2:5: PRL000 syntax error: unmatched ')'",) if ROOT
         else ("unreadable.py:1:1: PRL000 cannot read file: Permission denied",)),
    Case("a symlink to itself", "loop.py", _symlink_loop,
         ("loop.py:1:1: PRL000 cannot read file: Too many levels of symbolic links",)),
    Case("a dangling symlink", "dangling.py", _dangling,
         ("dangling.py:1:1: PRL000 cannot read file: No such file or directory",)),
    Case("a named pipe named .py (reading it would hang)", "fifo.py", _fifo,
         ("fifo.py:1:1: PRL000 not a regular file (a named pipe): not read (use `-` to lint stdin)",)),
    Case("a named pipe named .ipynb", "fifo.ipynb", _fifo,
         ("fifo.ipynb:1:1: PRL000 not a regular file (a named pipe): not read (use `-` to lint stdin)",)),
    Case("a socket named .py", "socket.py", _socket,
         ("socket.py:1:1: PRL000 not a regular file (a socket): not read (use `-` to lint stdin)",)),
    Case("a directory named x.py (walked like any folder)", "x.py", _folder, (pitfall("x.py/inner.py"),)),
)
MISSING = (
    Case("a path on the command line that does not exist", "missing.py", b"",
         ("missing.py:1:1: PRL000 no such file or directory",)),
    Case("a folder on the command line that does not exist", "missing_dir/", b"",
         ("missing_dir/:1:1: PRL000 no such file or directory",)),
)

# `pyproject.toml` problems stop the run before any file is read, as in ruff: exit 2, one line.
# `{config}` is the file's absolute path; a line ending in "..." is matched by its start (the
# list of valid keys grows with the options).
BAD_CONFIG = {
    "invalid TOML": (
        "[tool.prunelint\nselect = [\n",
        "error: {config}: invalid TOML: Expected ']' at the end of a table declaration (at line 1, column 16)",
    ),
    "`select` a string instead of a list": (
        '[tool.prunelint]\nselect = "PRL001"\n',
        "error: {config}: `select` must be a list of strings, got a string",
    ),
    "`respect-gitignore` a string": (
        '[tool.prunelint]\nrespect-gitignore = "yes"\n',
        "error: {config}: `respect-gitignore` must be true or false, got a string",
    ),
    "`per-file-ignores` a list": (
        '[tool.prunelint]\nper-file-ignores = ["x"]\n',
        "error: {config}: `per-file-ignores` must be a table of pattern = [codes], got a list",
    ),
    "`[tool.prunelint]` a number": ("[tool]\nprunelint = 3\n", "error: {config}: [tool.prunelint] must be a table"),
    "an unknown key": (
        "[tool.prunelint]\nno-such-key = 1\n",
        "error: {config}: unknown key `no-such-key` in [tool.prunelint] (valid keys: cache, ...",
    ),
}


def _prunelint(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PRUNELINT_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "prunelint", *argv], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )


def _build(root: Path) -> None:
    (root / "good.py").write_text(GOOD, "utf-8")
    for case in MALFORMED:
        path = root / case.path
        if isinstance(case.make, bytes):
            path.write_bytes(case.make)
        else:
            case.make(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not hasattr(socket, "AF_UNIX"), reason="POSIX file kinds")
def test_every_malformed_input_in_one_run(tmp_path: Path) -> None:
    _build(tmp_path)
    try:
        result = _prunelint(
            tmp_path, "--isolated", "--no-cache", "--select", "PRL000,PRL001", "--quiet", ".",
            *(case.path for case in MISSING),
        )
    finally:
        (tmp_path / "unreadable.py").chmod(0o644)
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    assert "Traceback" not in result.stdout
    seen = result.stdout.splitlines()
    expected = [pitfall("good.py")] + [line for case in MALFORMED + MISSING for line in case.sees]
    unmatched = list(seen)
    for line in expected:
        matches = [s for s in unmatched if s == line or (" PRL001 " in line and s.startswith(line))]
        assert len(matches) == 1, f"{line!r} not seen once in:\n" + "\n".join(seen)
        unmatched.remove(matches[0])
    assert unmatched == [], "lines nobody expected"


@pytest.mark.parametrize("what", list(BAD_CONFIG))
def test_bad_configuration_is_one_line(tmp_path: Path, what: str) -> None:
    content, line = BAD_CONFIG[what]
    (tmp_path / "good.py").write_text(GOOD, "utf-8")
    (tmp_path / "pyproject.toml").write_text(content, "utf-8")
    result = _prunelint(tmp_path, "--no-cache")
    assert (result.returncode, result.stdout) == (2, "")
    line = line.format(config=tmp_path / "pyproject.toml")
    if line.endswith("..."):
        assert result.stderr.startswith(line[:-3]) and result.stderr.count("\n") == 1, result.stderr
    else:
        assert result.stderr == line + "\n"


def what_the_user_sees() -> dict[str, str]:
    """The table for the release note: input -> output (`python -c` it from tests/lint)."""
    table = {case.what: "\n".join(case.sees) or "(nothing: linted, no finding)" for case in MALFORMED + MISSING}
    table.update({f"pyproject.toml: {what}": line.format(config="/abs/path/pyproject.toml") + " (exit 2)" for what, (_, line) in BAD_CONFIG.items()})
    return table
