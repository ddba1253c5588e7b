"""Keep the README's rule reference in step with the rules: `python -m prunelint.frontends.docs --write`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from prunelint.plugins.registry import load_rules

START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def rules_markdown() -> str:
    infos = load_rules().infos()
    table = ["| code | name | default | fix | summary |", "|---|---|---|---|---|"]
    for info in infos.values():
        default = "on" if info.default_enabled else "opt-in"
        table.append(f"| {info.code} | `{info.name}` | {default} | {'yes' if info.fixable else 'no'} | {info.summary} |")
    return "\n".join(table) + "\n\n" + "\n".join(info.docs for info in infos.values())


def with_rules(readme: str) -> str:
    before, start, rest = readme.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise ValueError(f"README has no {START} ... {END} section")
    return f"{before}{START}\n{rules_markdown()}{END}{after}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m prunelint.frontends.docs")
    parser.add_argument("readme", nargs="?", default="README.md")
    parser.add_argument("--write", action="store_true", help="rewrite the section in place")
    args = parser.parse_args(argv)
    path = Path(args.readme)
    current = path.read_text("utf-8")
    wanted = with_rules(current)
    if args.write:
        path.write_text(wanted, "utf-8")
        return 0
    if current != wanted:
        print(f"{path}: the rule reference is out of date; run `python -m prunelint.frontends.docs --write`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
