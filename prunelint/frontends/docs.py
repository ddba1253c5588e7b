"""The rule docs, generated from the rules (as Fixit does): `docs/rules/PRLNNN.md` for each rule,
`docs/rules/README.md` as their index, and the README's rule table.

    python -m prunelint.frontends.docs --write   # regenerate
    python -m prunelint.frontends.docs           # exit 1 if what is committed is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from prunelint.plugins.registry import load_rules
from prunelint.ruleinfo import RuleInfo

START, END = "<!-- rules:start -->", "<!-- rules:end -->"
RULES_DIR = Path("docs") / "rules"
GENERATED = "<!-- Generated from the rule by `python -m prunelint.frontends.docs --write`: edit the rule, not this file. -->"


def _row(info: RuleInfo, link: str) -> str:
    default = "on" if info.default_enabled else "opt-in"
    return f"| [{info.code}]({link}) | `{info.name}` | {default} | {'yes' if info.fixable else 'no'} | {info.summary} |"


def rules_table(prefix: str = "") -> str:
    """The table of rules, each code a link to its page (relative to `prefix`)."""
    infos = load_rules().infos()
    table = ["| code | name | default | fix | summary |", "|---|---|---|---|---|"]
    table += [_row(info, f"{prefix}{info.code}.md") for info in infos.values()]
    return "\n".join(table) + "\n"


def rules_markdown() -> str:
    """The README's section: the table, linking to the pages."""
    return rules_table(f"{RULES_DIR.as_posix()}/")


def pages() -> dict[str, str]:
    """Path (relative to the repository) -> content, for every generated page."""
    infos = load_rules().infos()
    out = {(RULES_DIR / f"{code}.md").as_posix(): f"{GENERATED}\n\n{info.docs}" for code, info in infos.items()}
    index = [
        GENERATED,
        "",
        "# prunelint rules",
        "",
        "Every rule, with its code, its name (`prunelint rule NAME` finds it too), whether it runs",
        "by default, and whether `--fix` can repair what it reports. Each page holds the rule's",
        "explanation and its own examples, the ones its tests run.",
        "",
        rules_table().rstrip("\n"),
        "",
    ]
    out[(RULES_DIR / "README.md").as_posix()] = "\n".join(index)
    return out


def with_rules(readme: str) -> str:
    before, start, rest = readme.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise ValueError(f"README has no {START} ... {END} section")
    return f"{before}{START}\n{rules_markdown()}{END}{after}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m prunelint.frontends.docs")
    parser.add_argument("--root", default=".", help="the repository (default: .)")
    parser.add_argument("--write", action="store_true", help="write the pages and the README's table")
    args = parser.parse_args(argv)
    root = Path(args.root)
    wanted = pages()
    readme = root / "README.md"
    if readme.exists():
        wanted["README.md"] = with_rules(readme.read_text("utf-8"))
    stale = [name for name, text in wanted.items() if not (root / name).exists() or (root / name).read_text("utf-8") != text]
    existing = {p.relative_to(root).as_posix() for p in (root / RULES_DIR).glob("*.md")} if (root / RULES_DIR).exists() else set()
    extra = sorted(existing - set(wanted))
    if args.write:
        for name in stale:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(wanted[name], "utf-8")
        for name in extra:
            (root / name).unlink()
        return 0
    if stale or extra:
        for name in stale + extra:
            print(f"{name}: out of date", file=sys.stderr)
        print("run `python -m prunelint.frontends.docs --write`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
