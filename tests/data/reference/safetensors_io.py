"""Minimal safetensors reader and writer (the format: u64 LE header length, JSON header, raw LE data).

Written by hand because Debian's python3 has no `safetensors` package. Supports F32, F64, BF16, F16, I64, I32.
"""
import json
import os
import struct

import numpy as np
import torch

_TORCH_DTYPES = {
    "F32": torch.float32,
    "F64": torch.float64,
    "BF16": torch.bfloat16,
    "F16": torch.float16,
    "I64": torch.int64,
    "I32": torch.int32,
}
_NAMES = {v: k for k, v in _TORCH_DTYPES.items()}
# numpy has no bfloat16: BF16 data travels through numpy as its raw 16-bit pattern.
_NUMPY_CARRIER = {
    "F32": np.float32,
    "F64": np.float64,
    "BF16": np.int16,
    "F16": np.float16,
    "I64": np.int64,
    "I32": np.int32,
}


def _to_bytes(t: torch.Tensor) -> bytes:
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()


def save(path: str, tensors: dict, metadata: dict = None) -> None:
    """Writes tensors sorted by name, header padded with spaces to a multiple of 8 bytes."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        if t.dtype not in _NAMES:
            raise ValueError(f"{name}: dtype {t.dtype} not supported")
        data = _to_bytes(t)
        header[name] = {
            "dtype": _NAMES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    if metadata:
        header = {"__metadata__": metadata, **header}
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for data in blobs:
            f.write(data)
    os.replace(tmp, path)


def load(path: str) -> dict:
    """Returns {name: torch.Tensor} in the stored dtype; checks offsets are contiguous and in bounds."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    base = 8 + n
    out = {}
    for name, info in header.items():
        dtype = info["dtype"]
        start, end = info["data_offsets"]
        if base + end > len(raw):
            raise ValueError(f"{path}: tensor {name} data runs past the end of the file")
        count = int(np.prod(info["shape"])) if info["shape"] else 1
        arr = np.frombuffer(raw[base + start : base + end], dtype=np.dtype(_NUMPY_CARRIER[dtype]).newbyteorder("<"))
        if arr.size != count:
            raise ValueError(f"{path}: tensor {name} has {arr.size} elements, shape says {count}")
        t = torch.from_numpy(arr.astype(arr.dtype.newbyteorder("="), copy=True)).reshape(info["shape"])
        if dtype == "BF16":
            t = t.view(torch.bfloat16)
        out[name] = t
    return out
