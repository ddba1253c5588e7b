"""Which files `prunelint` lints: folders, excludes, .gitignore, explicit paths, --force-exclude."""

from __future__ import annotations

import pytest

FINDING = """\
import torch
import torch_pruning as tp

with torch.no_grad():
    pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp)
"""


def files(result) -> list[str]:
    return [loc.split(":")[0] for loc in result.locations()]


def test_files_and_folders(lint, write):
    write("a.py")
    write("pkg/b.py")
    write("pkg/sub/c.py")
    write("other/d.py")
    write("pkg/notes.txt")
    write("pkg/stub.pyi")
    assert files(lint("pkg", "a.py")) == ["a.py", "pkg/b.py", "pkg/stub.pyi", "pkg/sub/c.py"]
    assert files(lint()) == ["a.py", "other/d.py", "pkg/b.py", "pkg/stub.pyi", "pkg/sub/c.py"]
    assert files(lint(".")) == files(lint())


def test_same_file_twice_is_linted_once(lint, write):
    write("pkg/a.py")
    assert files(lint("pkg", "pkg/a.py", "./pkg/a.py")) == ["pkg/a.py"]


def test_absolute_path(lint, write, tmp_path):
    write("pkg/a.py")
    result = lint(str(tmp_path / "pkg"))
    assert files(result) == ["pkg/a.py"]


def test_paths_shown_relative_to_cwd(lint, write, tmp_path):
    write("pkg/sub/a.py")
    assert files(lint("sub", cwd=tmp_path / "pkg")) == ["sub/a.py"]
    assert files(lint("../pkg/sub/a.py", cwd=tmp_path / "pkg")) == ["sub/a.py"]


@pytest.mark.parametrize(
    "folder",
    ["venv", ".venv", "build", ".git", "site-packages", "node_modules", "dist", "__pypackages__",
     ".tox", ".mypy_cache", "pkg/build", "lib/python3.11/site-packages"],
)
def test_default_excludes(lint, write, folder):
    write(f"{folder}/x.py")
    write("keep.py")
    assert files(lint()) == ["keep.py"]


def test_explicit_file_in_excluded_folder_is_linted(lint, write):
    write("venv/x.py")
    assert files(lint("venv/x.py")) == ["venv/x.py"]


def test_explicit_excluded_folder_is_walked(lint, write):
    # ruff lints a folder named on the command line even if its name is excluded.
    write("build/x.py")
    assert files(lint("build")) == ["build/x.py"]


def test_force_exclude(lint, write):
    write("venv/x.py")
    write("build/deep/y.py")
    write("gen/z.py")
    write("keep.py")
    args = ("venv/x.py", "build/deep/y.py", "gen/z.py", "keep.py", "build")
    assert files(lint(*args, "--force-exclude", "--extend-exclude", "gen")) == ["keep.py"]
    assert files(lint(*args, "--extend-exclude", "gen")) == [
        "build/deep/y.py", "gen/z.py", "keep.py", "venv/x.py"]


def test_force_exclude_from_config(lint, write):
    write("pyproject.toml", '[tool.prunelint]\nforce-exclude = true\nextend-exclude = ["skip_*.py"]\n')
    write("skip_me.py")
    write("keep.py")
    assert files(lint("skip_me.py", "keep.py")) == ["keep.py"]


def test_exclude_replaces_defaults(lint, write):
    write("venv/x.py")
    write("gen/y.py")
    write("keep.py")
    assert files(lint("--exclude", "gen")) == ["keep.py", "venv/x.py"]


def test_extend_exclude_adds_to_defaults(lint, write):
    write("venv/x.py")
    write("gen/y.py")
    write("pkg/gen/z.py")
    write("skip_me.py")
    write("keep.py")
    assert files(lint("--extend-exclude", "gen,skip_*.py")) == ["keep.py"]


def test_exclude_anchored_pattern(lint, write):
    write("gen/y.py")
    write("pkg/gen/z.py")
    assert files(lint("--extend-exclude", "/gen")) == ["pkg/gen/z.py"]
    assert files(lint("--extend-exclude", "pkg/gen")) == ["gen/y.py"]


def test_gitignore(lint, write, tmp_path):
    (tmp_path / ".git").mkdir()
    write(".gitignore", "generated/\nscratch_*.py\n")
    write("generated/a.py")
    write("pkg/generated/b.py")
    write("scratch_1.py")
    write("keep.py")
    assert files(lint()) == ["keep.py"]
    assert files(lint("--no-respect-gitignore")) == ["generated/a.py", "keep.py", "pkg/generated/b.py", "scratch_1.py"]


def test_gitignore_respect_off_in_config(lint, write, tmp_path):
    (tmp_path / ".git").mkdir()
    write(".gitignore", "scratch_*.py\n")
    write("scratch_1.py")
    write("pyproject.toml", "[tool.prunelint]\nrespect-gitignore = false\n")
    assert files(lint()) == ["scratch_1.py"]
    assert files(lint("--respect-gitignore")) == []


def test_nested_gitignore(lint, write, tmp_path):
    (tmp_path / ".git").mkdir()
    write("pkg/.gitignore", "local_*.py\n/only_here.py\n")
    write("pkg/local_a.py")
    write("pkg/only_here.py")
    write("pkg/deeper/only_here.py")
    write("local_b.py")
    write("only_here.py")
    assert files(lint()) == ["local_b.py", "only_here.py", "pkg/deeper/only_here.py"]


def test_nested_gitignore_can_reinclude(lint, write, tmp_path):
    (tmp_path / ".git").mkdir()
    write(".gitignore", "gen_*.py\n")
    write("pkg/.gitignore", "!gen_keep.py\n")
    write("gen_x.py")
    write("pkg/gen_y.py")
    write("pkg/gen_keep.py")
    assert files(lint()) == ["pkg/gen_keep.py"]


def test_gitignore_negation_in_one_file(lint, write, tmp_path):
    (tmp_path / ".git").mkdir()
    write(".gitignore", "gen_*.py\n!gen_keep.py\n")
    write("gen_x.py")
    write("gen_keep.py")
    assert files(lint()) == ["gen_keep.py"]


def test_parent_repo_gitignore_when_linting_a_subfolder(lint, write, tmp_path):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    write("repo/.gitignore", "generated/\n/sub/local.py\n")
    write("repo/sub/generated/a.py")
    write("repo/sub/local.py")
    write("repo/sub/keep.py")
    repo = tmp_path / "repo"
    assert files(lint(cwd=repo / "sub")) == ["keep.py"]
    assert files(lint(".", cwd=repo / "sub")) == ["keep.py"]
    assert files(lint("sub", cwd=repo)) == ["sub/keep.py"]


def test_gitignore_above_the_repo_root_is_not_read(lint, write, tmp_path):
    write(".gitignore", "*.py\n")
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    write("repo/a.py")
    assert files(lint(cwd=tmp_path / "repo")) == ["a.py"]


def test_exclude_patterns_relative_to_config_folder(lint, write, tmp_path):
    write("pyproject.toml", '[tool.prunelint]\nextend-exclude = ["pkg/gen"]\n')
    write("pkg/gen/a.py")
    write("pkg/keep.py")
    write("other/pkg/gen/b.py")
    assert files(lint()) == ["other/pkg/gen/b.py", "pkg/keep.py"]
    assert files(lint(cwd=tmp_path / "pkg")) == ["keep.py"]


def test_project_inside_a_folder_named_like_an_exclude(lint, write, tmp_path):
    write("build/project/pyproject.toml", "[tool.prunelint]\n")
    write("build/project/a.py")
    project = tmp_path / "build" / "project"
    assert files(lint(cwd=project)) == ["a.py"]
    assert files(lint("a.py", "--force-exclude", cwd=project)) == ["a.py"]


# -- plain-name patterns, matched without pathspec ------------------------------------------

from hypothesis import example, given, settings, strategies as st  # noqa: E402

from prunelint.settings.patterns import is_plain_name, match_plain_names, plain_names  # noqa: E402

_NAME = st.sampled_from(["build", ".venv", "a.b", "x-y", "node_modules", "v1+2", "~tmp", "é", "a*", "[ab]", "!x", "#c", "..", "a b", "a\\b", ""])
_PATH_PART = st.sampled_from(["build", ".venv", "a.b", "x-y", "node_modules", "v1+2", "~tmp", "src", "", "buildx", "xbuild", "é"])


@settings(deadline=None, max_examples=400)
@given(
    patterns=st.lists(st.builds(lambda n, d: n + ("/" if d else ""), _NAME, st.booleans()), max_size=4),
    parts=st.lists(_PATH_PART, min_size=1, max_size=5),
    leading=st.sampled_from(["", "/", "//", "./", ".//"]),
    trailing=st.booleans(),
)
@example(patterns=["build"], parts=["build"], leading="//", trailing=False)
@example(patterns=["build/"], parts=["src", "build"], leading="", trailing=False)
def test_plain_names_match_as_pathspec_does(patterns, parts, leading, trailing):
    import pathspec

    path = leading + "/".join(parts) + ("/" if trailing else "")
    plain = plain_names(tuple(patterns))
    if plain is None:
        assert not all(is_plain_name(p) for p in patterns)
        return
    expected = pathspec.GitIgnoreSpec.from_lines(patterns).match_file(path)
    assert match_plain_names(path, *plain) == expected, (patterns, path)


def test_only_plain_names_skip_pathspec():
    for pattern in ("build", ".venv", "node_modules/", "a.b-c"):
        assert is_plain_name(pattern)
    for pattern in ("*.py", "a/b", "/build", "!keep", "#note", "a b", "build ", "a\\b", "[ab]", "..", "./", "", "é"):
        assert not is_plain_name(pattern), pattern


def test_plain_name_excludes_hold_at_any_depth(lint, write):
    write("keep/gen/x.py", FINDING)
    write("keep/generated/y.py", FINDING)
    write("keep/gen.py/w.py", FINDING)  # a folder named like a file
    write("keep/only.py", FINDING)  # `only.py/` names folders only
    write("keep/z.py", FINDING)
    write("pyproject.toml", "[tool.prunelint]\nextend-exclude = ['gen', 'generated/', 'gen.py', 'only.py/']\n")
    assert files(lint()) == ["keep/only.py", "keep/z.py"]
