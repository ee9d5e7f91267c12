"""The safetensors container, read and written by hand: no torch or safetensors dependency.

Layout: 8-byte little-endian header length N, N bytes of JSON header (space-padded), then the
raw tensor bytes; each header entry gives dtype, shape and [begin, end) offsets into the data.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

DTYPE_SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2,
               "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}
METADATA_KEY = "__metadata__"
MAX_HEADER = 100 * 1024 * 1024  # the safetensors library's own limit


class SafetensorsError(ValueError):
    """Not a valid safetensors file: the message says what is wrong, not where."""


def encode_header(tensors: Mapping[str, tuple[str, tuple[int, ...]]],
                  metadata: Mapping[str, str] | None = None) -> tuple[bytes, dict[str, int]]:
    """(length prefix + header, data offset of each tensor) for tensors laid out in name order.

    The header is padded with spaces to a multiple of 8 so the data that follows is aligned, as
    the safetensors library does.
    """
    header: dict[str, Any] = {METADATA_KEY: dict(metadata)} if metadata else {}
    offsets: dict[str, int] = {}
    position = 0
    for name in sorted(tensors):
        dtype, shape = tensors[name]
        nbytes = math.prod(shape) * DTYPE_SIZES[dtype]
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [position, position + nbytes]}
        offsets[name] = position
        position += nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text, offsets


def read_header(source: Path | BinaryIO, file_size: int | None = None) -> dict[str, Any]:
    """The parsed header of a safetensors file, checked for consistency with the file's size.

    Raises:
        SafetensorsError: truncated file, bad JSON, unknown dtype, or offsets that do not tile
            the data section exactly.
    """
    if isinstance(source, Path):
        with source.open("rb") as file:
            return read_header(file, source.stat().st_size)
    prefix = source.read(8)
    if len(prefix) < 8:
        raise SafetensorsError("shorter than the 8-byte header length")
    (length,) = struct.unpack("<Q", prefix)
    if length > MAX_HEADER or (file_size is not None and 8 + length > file_size):
        raise SafetensorsError(f"header length {length} does not fit the file")
    raw = source.read(length)
    try:
        header = json.loads(raw)
    except ValueError as err:
        raise SafetensorsError(f"header is not JSON ({err})") from err
    if not isinstance(header, dict):
        raise SafetensorsError("header is not a JSON object")
    end = 0
    for name, spec in sorted(((n, s) for n, s in header.items() if n != METADATA_KEY),
                             key=lambda item: _offsets(item[0], item[1])[0]):
        begin, stop = _offsets(name, spec)
        expected = math.prod(spec["shape"]) * DTYPE_SIZES[spec["dtype"]]
        if begin != end or stop - begin != expected:
            raise SafetensorsError(f"tensor {name!r}: offsets [{begin}, {stop}) do not follow "
                                   f"the previous tensor or hold {expected} bytes")
        end = stop
    if file_size is not None and 8 + length + end != file_size:
        raise SafetensorsError(f"data section should be {end} bytes, file has "
                               f"{file_size - 8 - length} (truncated or padded?)")
    return header


def _offsets(name: str, spec: Any) -> tuple[int, int]:
    if (not isinstance(spec, dict) or spec.get("dtype") not in DTYPE_SIZES
            or not isinstance(spec.get("shape"), list)
            or not all(isinstance(d, int) and d >= 0 for d in spec["shape"])
            or not isinstance(spec.get("data_offsets"), list) or len(spec["data_offsets"]) != 2):
        raise SafetensorsError(f"tensor {name!r}: malformed entry {spec!r:.80}")
    begin, stop = spec["data_offsets"]
    return int(begin), int(stop)
