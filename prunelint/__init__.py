"""prunelint: a static linter for Torch-Pruning pitfalls, built on libcst.

The linter never imports torch or torch_pruning.
"""

__version__ = "0.1.0"

DOCS_URL = "https://github.com/prunelint/prunelint/blob/main/README.md"
