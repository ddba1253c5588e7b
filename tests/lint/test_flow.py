"""The per-scope flow record (`prunelint.model.flow`): the reads of a name, own and nested."""

from __future__ import annotations

import ast
import textwrap

from prunelint.model.flow import module_flow

SOURCE = textwrap.dedent(
    """\
    x = make()
    use(x)
    if ready:
        def outer(a=x):
            x.step()
            class Inner:
                y = x
            return x
    x.done()
    """
)


def _flows():
    tree = ast.parse(SOURCE)
    return tree, {type(scope.node).__name__ + getattr(scope.node, "name", ""): scope for scope in module_flow(tree)}


def test_reads_in_inner_scopes_are_nested_uses_of_each_enclosing_scope_in_written_order() -> None:
    tree, scopes = _flows()
    module, outer, inner = scopes["Module"], scopes["FunctionDefouter"], scopes["ClassDefInner"]
    rows = lambda uses: [(u.node.lineno, u.role, u.detail) for u in uses]  # noqa: E731
    assert rows(inner.uses_of("x")) == [(7, "other", None)]
    # A parameter's default is no read (as libcst's records had it).
    assert rows(outer.uses_of("x")) == [(5, "receiver", "step"), (7, "nested", None), (8, "other", None)]
    assert rows(module.uses_of("x")) == [
        (2, "arg", "use"),
        (5, "nested", None),
        (7, "nested", None),
        (8, "nested", None),
        (9, "receiver", "done"),
    ]
    # A nested use carries the chain of the enclosing scope where the inner one is defined.
    if_node = tree.body[2]
    assert {tuple((f.kind, f.node) for f in u.chain) for u in module.uses_of("x") if u.role == "nested"} == {
        (("if", if_node),)
    }
    assert [u.chain for u in outer.uses_of("x") if u.role == "nested"] == [()]
    # Every use has its own place in the file's one order of events.
    indices = [u.index for u in module.uses_of("x")]
    assert indices == sorted(indices) and len(set(indices)) == len(indices)
    assert module.uses_of("nothing") == []
