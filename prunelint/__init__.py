"""prunelint: a static linter for Torch-Pruning pitfalls, built on libcst.

The linter never imports torch or torch_pruning.
"""

__version__ = "0.1.0"

REPOSITORY_URL = "https://github.com/prunelint/prunelint"
DOCS_URL = f"{REPOSITORY_URL}/blob/main/README.md"
# A rule's page, generated from the rule (`python -m prunelint.frontends.docs --write`).
RULE_URL = f"{REPOSITORY_URL}/blob/main/docs/rules/{{code}}.md"
