"""Prefilter words that are conjunctions, shared by the engine and the cache."""

from __future__ import annotations


def mentions_all(text: str, group: str) -> bool:
    """`a&b`: `a` occurs as written and every later part anywhere, case-insensitively
    (`my_Pruner` has `pruner`), so that a rule's name heuristics never see a file that the
    prefilter skipped. Looser than whole words on purpose: a prefilter may only over-select."""
    first, *rest = group.split("&")
    if first not in text:
        return False
    lowered = text.lower()
    return all(part.lower() in lowered for part in rest)
