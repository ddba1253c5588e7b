from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import jsonschema
import pytest

import prunelint
from prunelint.diagnostics import Diagnostic, Edit, Fix, Position
from prunelint.output.formats import FORMATS, render
from prunelint.ruleinfo import RuleInfo

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"

RULES = {
    "PRL001": RuleInfo(
        code="PRL001",
        name="grad-disabled-tracing",
        summary="Dependency graph traced under `torch.no_grad()`",
        docs="## Why\nTracing needs autograd.\n\n```python\nwith torch.no_grad():\n    tp.DependencyGraph()\n```",
        url="https://example.org/rules/PRL001",
        fixable=True,
    ),
    "PRL002": RuleInfo(
        code="PRL002",
        name="unwrapped-ignored-layers",
        summary="ignored_layers misses the classifier",
        docs="Pass the head in `ignored_layers`.",
        url="https://example.org/rules/PRL002",
    ),
    "PRL900": RuleInfo(
        code="PRL900",
        name="experimental",
        summary="Off by default",
        docs="Preview.",
        url="https://example.org/rules/PRL900",
        default_enabled=False,
    ),
}

SOURCES = {
    "src/prune.py": [
        "import torch\n",
        "\n",
        "with torch.no_grad():\n",
        "    dg = tp.DependencyGraph().build_dependency(\n",
        "        model, example_inputs=x\n",
        "    )\n",
        "\n",
    ],
    "src/other file.py": ["pruner = tp.pruner.BasePruner(model, x, ignored_layers=[])\n"],
}

SAFE_FIX = Fix(
    message="Wrap the tracing in `torch.enable_grad()`",
    edits=(
        Edit("with torch.enable_grad():\n    ", Position(4, 5), Position(4, 5)),
        Edit("", Position(6, 5), Position(6, 6)),
    ),
    applicability="safe",
)
UNSAFE_FIX = Fix(
    message="Add `model.fc` to ignored_layers",
    edits=(Edit("[model.fc]", Position(1, 66), Position(1, 68)),),
    applicability="unsafe",
)

# Already sorted, as the engine hands them over.
DIAGS = [
    Diagnostic(
        code="PRL002",
        message="ignored_layers is empty: 50% of heads, the classifier,\nwill be pruned",
        filename="src/other file.py",
        location=Position(1, 66),
        end_location=Position(1, 68),
        fix=UNSAFE_FIX,
    ),
    Diagnostic(
        code="PRL001",
        message="Dependency graph traced under `torch.no_grad()`",
        filename="src/prune.py",
        location=Position(4, 10),
        end_location=Position(6, 6),
        fix=SAFE_FIX,
        url="https://example.org/rules/PRL001",
    ),
    Diagnostic(
        code="PRL002",
        message="plain finding",
        filename="src/prune.py",
        location=Position(5, 9),
        end_location=Position(5, 14),
    ),
]


def source_lines(filename: str) -> Sequence[str] | None:
    return SOURCES.get(filename)


# --- concise --------------------------------------------------------------------


def test_concise_exact_lines() -> None:
    assert render(DIAGS, "concise", RULES) == (
        # An unsafe fix gets no [*]; the message is printed verbatim, newline included.
        "src/other file.py:1:66: PRL002 ignored_layers is empty: 50% of heads, the classifier,\n"
        "will be pruned\n"
        "src/prune.py:4:10: PRL001 [*] Dependency graph traced under `torch.no_grad()`\n"
        "src/prune.py:5:9: PRL002 plain finding\n"
    )


def test_concise_marks_only_safe_fixes() -> None:
    out = render(DIAGS, "concise", RULES)
    assert out.count("[*]") == 1
    assert "PRL001 [*] " in out


def test_concise_uses_display_location_for_notebooks() -> None:
    diag = Diagnostic(
        code="PRL002",
        message="m",
        filename="nb.ipynb",
        location=Position(12, 5),
        end_location=Position(12, 6),
        display_location="nb.ipynb:cell 3:2:5",
    )
    assert render([diag], "concise", RULES) == "nb.ipynb:cell 3:2:5: PRL002 m\n"


@pytest.mark.parametrize("fmt", ["concise", "full", "github"])
def test_no_findings_renders_nothing(fmt: str) -> None:
    assert render([], fmt, RULES) == ""


# --- full -----------------------------------------------------------------------


def test_full_snippet_underline_and_help() -> None:
    out = render(DIAGS[1:], "full", RULES, source_lines=source_lines)
    assert out == (
        "src/prune.py:4:10: PRL001 [*] Dependency graph traced under `torch.no_grad()`\n"
        # Line 2 is blank context at the edge, so it is trimmed.
        "  |\n"
        "3 | with torch.no_grad():\n"
        "4 |     dg = tp.DependencyGraph().build_dependency(\n"
        # Multi-line range: marked from its column to the end of its first line.
        "  |          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ PRL001\n"
        "5 |         model, example_inputs=x\n"
        "6 |     )\n"
        "  |\n"
        "  = help: Wrap the tracing in `torch.enable_grad()`\n"
        "\n"
        "src/prune.py:5:9: PRL002 plain finding\n"
        "  |\n"
        "3 | with torch.no_grad():\n"
        "4 |     dg = tp.DependencyGraph().build_dependency(\n"
        "5 |         model, example_inputs=x\n"
        "  |         ^^^^^ PRL002\n"
        "6 |     )\n"
        "  |\n"
        "\n"
    )


def test_full_trims_blank_context_and_widens_gutter() -> None:
    lines = [f"x{i} = {i}\n" for i in range(1, 12)] + ["\n", "\n"]
    diag = Diagnostic("PRL002", "m", "big.py", Position(11, 1), Position(11, 3))
    out = render([diag], "full", RULES, source_lines=lambda f: lines)
    assert out.splitlines()[1:] == [
        "   |",
        " 9 | x9 = 9",
        "10 | x10 = 10",
        "11 | x11 = 11",
        "   | ^^ PRL002",
        "   |",
        "",
    ]


def test_full_empty_range_gets_one_caret_and_tabs_align() -> None:
    diag = Diagnostic("PRL002", "m", "t.py", Position(1, 3), Position(1, 3))
    out = render([diag], "full", RULES, source_lines=lambda f: ["\tab = 1\n"])
    assert "1 | \tab = 1\n  | \t ^ PRL002\n" in out


def test_full_without_source_prints_header_and_help_only() -> None:
    out = render(DIAGS, "full", RULES)
    assert out == (
        "src/other file.py:1:66: PRL002 ignored_layers is empty: 50% of heads, the classifier,\n"
        "will be pruned\n"
        "  = help: Add `model.fc` to ignored_layers\n"
        "\n"
        "src/prune.py:4:10: PRL001 [*] Dependency graph traced under `torch.no_grad()`\n"
        "  = help: Wrap the tracing in `torch.enable_grad()`\n"
        "\n"
        "src/prune.py:5:9: PRL002 plain finding\n"
        "\n"
    )


# --- json -----------------------------------------------------------------------


def test_json_keys_and_values() -> None:
    out = render(DIAGS, "json", RULES)
    assert out.startswith("[\n  {\n")  # indent 2
    items = json.loads(out)
    assert [item["code"] for item in items] == ["PRL002", "PRL001", "PRL002"]
    for item in items:
        assert list(item) == [
            "cell",
            "code",
            "end_location",
            "filename",
            "fix",
            "location",
            "message",
            "name",
            "noqa_row",
            "severity",
            "url",
        ]
        assert item["cell"] is None
        assert item["noqa_row"] == item["location"]["row"]

    first, second, third = items
    assert first["filename"] == os.path.abspath("src/other file.py")  # absolute, as ruff writes it
    assert first["location"] == {"row": 1, "column": 66}
    assert first["end_location"] == {"row": 1, "column": 68}
    assert first["message"] == DIAGS[0].message
    # No url on the diagnostic: the rule's url stands in.
    assert first["url"] == "https://example.org/rules/PRL002"
    assert first["fix"] == {
        "applicability": "unsafe",
        "edits": [
            {
                "content": "[model.fc]",
                "end_location": {"column": 68, "row": 1},
                "location": {"column": 66, "row": 1},
            }
        ],
        "message": "Add `model.fc` to ignored_layers",
    }
    assert second["location"] == {"row": 4, "column": 10}
    assert second["end_location"] == {"row": 6, "column": 6}
    assert second["fix"]["applicability"] == "safe"
    assert [e["content"] for e in second["fix"]["edits"]] == ["with torch.enable_grad():\n    ", ""]
    assert second["url"] == "https://example.org/rules/PRL001"
    assert third["fix"] is None


def test_json_url_is_null_for_unknown_rule() -> None:
    diag = Diagnostic("XYZ999", "m", "a.py", Position(1, 1), Position(1, 2))
    assert json.loads(render([diag], "json", RULES))[0]["url"] is None


def test_json_empty_is_an_empty_array() -> None:
    assert json.loads(render([], "json", RULES)) == []


# --- github ---------------------------------------------------------------------


def test_github_lines_and_escaping() -> None:
    lines = render(DIAGS, "github", RULES).splitlines()
    assert lines == [
        "::error title=prunelint (PRL002),file=src/other file.py,line=1,col=66,endLine=1,endColumn=68"
        "::PRL002 ignored_layers is empty: 50%25 of heads, the classifier,%0Awill be pruned",
        "::error title=prunelint (PRL001),file=src/prune.py,line=4,col=10,endLine=6,endColumn=6"
        "::PRL001 Dependency graph traced under `torch.no_grad()`",
        "::error title=prunelint (PRL002),file=src/prune.py,line=5,col=9,endLine=5,endColumn=14"
        "::PRL002 plain finding",
    ]


def test_github_escapes_properties() -> None:
    diag = Diagnostic("PRL002", "a\r\nb", "C:\\odd,100%.py", Position(1, 1), Position(1, 2))
    assert render([diag], "github", RULES) == (
        "::error title=prunelint (PRL002),file=C%3A\\odd%2C100%25.py,"
        "line=1,col=1,endLine=1,endColumn=2::PRL002 a%0D%0Ab\n"
    )


# --- sarif ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft7Validator
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def _errors(validator: jsonschema.Draft7Validator, log: object) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


def test_sarif_validates_against_the_official_schema(
    sarif_validator: jsonschema.Draft7Validator,
) -> None:
    log = json.loads(render(DIAGS, "sarif", RULES, version="9.8.7"))
    assert _errors(sarif_validator, log) == []


def test_sarif_without_findings_validates(sarif_validator: jsonschema.Draft7Validator) -> None:
    log = json.loads(render([], "sarif", RULES))
    assert _errors(sarif_validator, log) == []
    assert log["runs"][0]["results"] == []


def test_sarif_schema_catches_a_broken_log(sarif_validator: jsonschema.Draft7Validator) -> None:
    # Guards against a schema so permissive the test above would prove nothing.
    log = json.loads(render(DIAGS, "sarif", RULES))
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["runs"][0]["tool"]["driver"]["name"]
    assert len(_errors(sarif_validator, log)) == 2


def test_sarif_content() -> None:
    log = json.loads(render(DIAGS, "sarif", RULES, version="9.8.7"))
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert run["columnKind"] == "unicodeCodePoints"

    driver = run["tool"]["driver"]
    assert driver["name"] == "prunelint"
    assert driver["version"] == "9.8.7"
    assert driver["informationUri"] == prunelint.DOCS_URL
    assert [r["id"] for r in driver["rules"]] == ["PRL001", "PRL002", "PRL900"]
    prl001 = driver["rules"][0]
    assert prl001["name"] == "grad-disabled-tracing"
    assert prl001["shortDescription"] == {"text": RULES["PRL001"].summary}
    assert prl001["fullDescription"] == {"text": RULES["PRL001"].docs}
    assert prl001["help"]["text"] == RULES["PRL001"].summary
    assert prl001["helpUri"] == "https://example.org/rules/PRL001"
    assert prl001["defaultConfiguration"] == {"level": "error"}
    assert driver["rules"][2]["defaultConfiguration"] == {"level": "none"}

    results = run["results"]
    assert [r["ruleId"] for r in results] == ["PRL002", "PRL001", "PRL002"]
    assert [r["ruleIndex"] for r in results] == [1, 0, 1]
    assert all(r["level"] == "error" for r in results)
    assert results[0]["message"]["text"] == DIAGS[0].message

    location = results[1]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "src/prune.py"
    assert location["region"] == {"startLine": 4, "startColumn": 10, "endLine": 6, "endColumn": 6}
    # A space is not allowed in a URI reference.
    other = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert other == "src/other%20file.py"

    (fix,) = results[1]["fixes"]
    assert fix["description"]["text"] == SAFE_FIX.message
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "src/prune.py"
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 4, "startColumn": 5, "endLine": 4, "endColumn": 5},
            "insertedContent": {"text": "with torch.enable_grad():\n    "},
        },
        {
            "deletedRegion": {"startLine": 6, "startColumn": 5, "endLine": 6, "endColumn": 6},
            "insertedContent": {"text": ""},
        },
    ]
    assert results[0]["fixes"][0]["properties"] == {"applicability": "unsafe"}
    assert "fixes" not in results[2]


def test_sarif_absolute_path_is_a_file_uri(tmp_path: Path) -> None:
    path = tmp_path / "a b.py"
    diag = Diagnostic("PRL002", "m", str(path), Position(1, 1), Position(1, 2))
    log = json.loads(render([diag], "sarif", RULES))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == path.as_uri()
    assert uri.startswith("file://") and "%20" in uri


# --- misc -----------------------------------------------------------------------


def test_formats_tuple() -> None:
    assert FORMATS == (
        "concise", "full", "json", "json-lines", "junit", "grouped", "github", "gitlab", "pylint",
        "rdjson", "azure", "sarif",
    )


@pytest.mark.parametrize("fmt", ["text", "JSON", "", "xml"])
def test_unknown_format_raises(fmt: str) -> None:
    with pytest.raises(ValueError, match="unknown output format"):
        render(DIAGS, fmt, RULES)


@pytest.mark.parametrize("fmt", FORMATS)
def test_input_order_is_kept(fmt: str) -> None:
    reordered = [DIAGS[2], DIAGS[0]]
    out = render(reordered, fmt, RULES, source_lines=source_lines)
    assert out.index("plain finding") < out.index("ignored_layers is empty")
