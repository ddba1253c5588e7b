"""The read path: what CPython's `ast` says about one module, for every rule to query.

`walk` visits a tree in source order, `text` turns the parser's positions into the columns
findings carry, and `names` resolves imported names. Nothing here imports libcst, which stays the
engine for edits only.
"""
