"""Rules from other packages, through pluggy: `from prunelint.plugins import hookimpl`."""

from prunelint.plugins.hookspecs import hookimpl

__all__ = ["hookimpl"]
