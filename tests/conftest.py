"""Options shared by every test folder."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--hypothesis-long",
        action="store_true",
        default=False,
        help="run the property tests of tests/lint/test_properties.py with many more examples",
    )
