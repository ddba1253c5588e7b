"""Records as plain data, for the cache: dataclasses and named tuples (facts, findings) to JSON
values and back.

What a value may be is read from the records' type annotations, once per type: ints, floats,
strings, booleans, None, Literals, tuples, lists, sets, dicts and prunelint's own dataclasses and
named tuples, nested. Encoding writes a record as the list of its fields' values, in order.
Decoding checks every value against its annotation (type, Literal value, tuple length, int range)
and rebuilds only the records that the annotations name: nothing in the data can choose a class
or a callable, so a planted file can at most be refused. A type the codec cannot describe (`Any`,
an unannotated container, a class that is neither kind of record) makes the record unsupported;
the cache then keeps no result for that file rather than guess.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from typing import Any, Callable

INT_LIMIT = 2**63  # ints are stats, positions and counts; anything wider is not ours


class RecordError(ValueError):
    """A value that does not fit its annotation (decoding), or a type with no plain form."""


Encode = Callable[[Any], Any]
Decode = Callable[[Any], Any]


@dataclasses.dataclass
class _Codec:
    encode: Encode
    decode: Decode
    shape: str  # the JSON kind it writes: null, bool, int, float, str, array, object


_BY_HINT: dict[object, _Codec] = {}


def codec(hint: object) -> _Codec:
    """The encoder and decoder for values of the annotation `hint`, built once."""
    try:
        return _BY_HINT[hint]
    except (KeyError, TypeError):
        pass
    made = _build(hint)
    try:
        _BY_HINT[hint] = made
    except TypeError:  # an unhashable hint: built each time
        pass
    return made


def _build(hint: object) -> _Codec:
    if hint is type(None) or hint is None:
        return _Codec(_none, _check_none, "null")
    if hint is bool:
        return _Codec(_bool, _bool, "bool")
    if hint is int:
        return _Codec(_int, _int, "int")
    if hint is float:
        return _Codec(_float, _float, "float")
    if hint is str:
        return _Codec(_str, _str, "str")
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return _literal(args)
    if origin is typing.Union or origin is types.UnionType:
        return _union(args)
    if origin in (list, tuple, set, frozenset):
        return _sequence(origin, args)
    if origin is dict:
        return _dict(args)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass(hint)
    if isinstance(hint, type) and issubclass(hint, tuple) and isinstance(getattr(hint, "_fields", None), tuple):
        return _record(hint, list(hint._fields))
    raise RecordError(f"no plain form for {hint!r}")


def _none(value: Any) -> None:
    if value is not None:
        raise RecordError("expected None")
    return None


_check_none = _none


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise RecordError("expected a boolean")
    return value


def _int(value: Any) -> int:
    if type(value) is not int or not -INT_LIMIT <= value < INT_LIMIT:
        raise RecordError("expected an int")
    return value


def _float(value: Any) -> float:
    if type(value) is not float:
        raise RecordError("expected a float")
    return value


def _str(value: Any) -> str:
    if type(value) is not str:
        raise RecordError("expected a string")
    return value


def _literal(allowed: tuple) -> _Codec:
    kinds = {type(a) for a in allowed}
    if not kinds <= {str, int, bool} or len(kinds) != 1:
        raise RecordError(f"no plain form for Literal{list(allowed)!r}")
    (kind,) = kinds
    pairs = {(type(a), a) for a in allowed}

    def check(value: Any) -> Any:
        if (type(value), value) not in pairs:
            raise RecordError(f"expected one of {sorted(map(repr, allowed))}")
        return value

    return _Codec(check, check, {str: "str", int: "int", bool: "bool"}[kind])


def _shape_of(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "bool", int: "int", float: "float", str: "str", list: "array", dict: "object"}.get(type(value), "?")


def _union(args: tuple) -> _Codec:
    members = [codec(a) for a in args]
    shapes = [m.shape for m in members]
    tagged = len(set(shapes)) != len(shapes)  # two alternatives written alike: say which one

    def encode(value: Any) -> Any:
        for index, (arg, member) in enumerate(zip(args, members)):
            if _accepts(arg, value):
                data = member.encode(value)
                return [index, data] if tagged else data
        raise RecordError(f"{type(value).__name__} is none of {args!r}")

    def decode(data: Any) -> Any:
        if tagged:
            if not (type(data) is list and len(data) == 2 and type(data[0]) is int and 0 <= data[0] < len(members)):
                raise RecordError("expected a tagged alternative")
            return members[data[0]].decode(data[1])
        shape = _shape_of(data)
        for member in members:
            if member.shape == shape:
                return member.decode(data)
        raise RecordError(f"a {shape} fits none of {args!r}")

    return _Codec(encode, decode, "array" if tagged else "?")


def _accepts(hint: object, value: Any) -> bool:
    """Whether `value` is (shallowly) of the alternative `hint` of a union."""
    if hint is type(None) or hint is None:
        return value is None
    if hint in (bool, int, float, str):
        return type(value) is hint
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return any(type(value) is type(a) and value == a for a in typing.get_args(hint))
    if origin is typing.Union or origin is types.UnionType:
        return any(_accepts(a, value) for a in typing.get_args(hint))
    if origin is not None:
        return isinstance(value, origin)
    return type(value) is hint


def _sequence(origin: type, args: tuple) -> _Codec:
    if origin is tuple and args and args[-1] is not Ellipsis:
        items = [codec(a) for a in args]

        def encode_fixed(value: Any) -> list:
            if type(value) is not tuple or len(value) != len(items):
                raise RecordError(f"expected a tuple of {len(items)}")
            return [item.encode(v) for item, v in zip(items, value)]

        def decode_fixed(data: Any) -> tuple:
            if type(data) is not list or len(data) != len(items):
                raise RecordError(f"expected a list of {len(items)}")
            return tuple(item.decode(v) for item, v in zip(items, data))

        return _Codec(encode_fixed, decode_fixed, "array")
    if len(args) != (2 if origin is tuple else 1):
        raise RecordError(f"no plain form for an unannotated {origin.__name__}")
    item = codec(args[0])
    item_encode, item_decode = item.encode, item.decode

    def encode(value: Any) -> list:
        if not isinstance(value, origin):
            raise RecordError(f"expected a {origin.__name__}")
        return [item_encode(v) for v in value]

    def decode(data: Any) -> Any:
        if type(data) is not list:
            raise RecordError(f"expected a list for a {origin.__name__}")
        values = [item_decode(v) for v in data]
        return values if origin is list else origin(values)

    return _Codec(encode, decode, "array")


def _dict(args: tuple) -> _Codec:
    if len(args) != 2 or args[0] is not str:
        raise RecordError("no plain form for a dict whose keys are not strings")
    value_codec = codec(args[1])
    value_encode, value_decode = value_codec.encode, value_codec.decode

    def encode(value: Any) -> dict:
        if not isinstance(value, dict) or not all(type(k) is str for k in value):
            raise RecordError("expected a dict of strings")
        return {k: value_encode(v) for k, v in value.items()}

    def decode(data: Any) -> dict:
        if type(data) is not dict:
            raise RecordError("expected an object")
        return {k: value_decode(v) for k, v in data.items()}  # JSON keys are strings

    return _Codec(encode, decode, "object")


def _dataclass(cls: type) -> _Codec:
    if any(not f.init for f in dataclasses.fields(cls)):
        raise RecordError(f"{cls.__qualname__} has fields that its constructor does not set")
    return _record(cls, [f.name for f in dataclasses.fields(cls)])


def _record(cls: type, names: list[str]) -> _Codec:
    """A dataclass or a named tuple of prunelint's, as the list of its fields' values."""
    if not (cls.__module__ == "prunelint" or cls.__module__.startswith("prunelint.")):
        # A plugin's record: its fields may say anything; not stored.
        raise RecordError(f"{cls.__module__}.{cls.__qualname__} is not one of prunelint's records")
    members: list[_Codec] = []
    placeholder = _Codec(lambda v: encode(v), lambda d: decode(d), "array")
    _BY_HINT[cls] = placeholder  # a record that contains itself, through a list
    try:
        module = sys.modules[cls.__module__]
        hints = typing.get_type_hints(cls, vars(module))
        members.extend(codec(hints[name]) for name in names)
    except Exception as exc:
        _BY_HINT.pop(cls, None)
        raise RecordError(f"{cls.__qualname__}: {exc}") from None
    pairs = list(zip(names, [m.encode for m in members]))
    decoders = [m.decode for m in members]
    count = len(names)

    def encode(value: Any) -> list:
        if type(value) is not cls:  # a subclass may carry more than its fields say
            raise RecordError(f"expected a {cls.__qualname__}, got {type(value).__qualname__}")
        return [enc(getattr(value, name)) for name, enc in pairs]

    def decode(data: Any) -> Any:
        if type(data) is not list or len(data) != count:
            raise RecordError(f"expected {count} fields of {cls.__qualname__}")
        return cls(*[dec(v) for dec, v in zip(decoders, data)])

    return _Codec(encode, decode, "array")


def encode(value: Any, hint: object) -> Any:
    """`value` as JSON values; RecordError when a type has no plain form."""
    return codec(hint).encode(value)


def decode(data: Any, hint: object) -> Any:
    """The value that `encode` wrote; RecordError for anything else."""
    try:
        return codec(hint).decode(data)
    except RecordError:
        raise
    except (TypeError, ValueError, RecursionError) as exc:  # a record's own checks refused it
        raise RecordError(str(exc)) from None


__all__ = ["RecordError", "codec", "decode", "encode"]
