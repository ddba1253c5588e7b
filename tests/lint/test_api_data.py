"""The API data: the TOML is the source, the JSON beside it the same tables, parsed."""

from __future__ import annotations

import json
import pkgutil
import tomllib

from prunelint.settings import apidata


def _files() -> tuple[bytes, bytes]:
    data = pkgutil.get_data("prunelint", apidata.DATA_FILE)
    parsed = pkgutil.get_data("prunelint", apidata.PARSED_FILE)
    assert data is not None and parsed is not None
    return data, parsed


def test_the_json_is_the_toml_parsed() -> None:
    """Else run `python -m prunelint.settings.apidata` after editing the TOML."""
    data, parsed = _files()
    assert parsed.decode("utf-8") == apidata.parsed_form(data)
    from_json = apidata.parse_api_file(data, parsed)
    # Equal, and in the same order (the first framework hook that matches wins).
    assert json.dumps(from_json) == json.dumps(tomllib.loads(data.decode("utf-8")))


def test_a_json_not_written_from_the_toml_as_it_is_is_not_read() -> None:
    data, parsed = _files()
    edited = data + b'\n[extra_table]\nkey = "value"\n'
    assert "extra_table" in apidata.parse_api_file(edited, parsed)  # the checksum differs: the TOML
    forged = json.dumps({"crc32": 0, "data": {}}).encode()
    assert apidata.parse_api_file(data, forged) == tomllib.loads(data.decode("utf-8"))
    for broken in (b"", b"not json", b"[]", json.dumps({"crc32": "x"}).encode(), None):
        assert apidata.parse_api_file(data, broken) == tomllib.loads(data.decode("utf-8"))
    # What the JSON says is what is read when its checksum holds: it is the one read.
    marked = json.dumps({"crc32": json.loads(parsed)["crc32"], "data": {"marker": 1}}).encode()
    assert apidata.parse_api_file(data, marked) == {"marker": 1}
