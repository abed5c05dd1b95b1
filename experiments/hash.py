"""Hashing: C code that releases the GIL for buffers larger than 2047 bytes."""

from __future__ import annotations

import functools
import hashlib

from experiments.probe import checkpoint
from experiments.registry import Param, workload

MIB = 1024 * 1024
#: Pass a checkpoint after about this many bytes, whatever the update size.
CHECKPOINT_BYTES = MIB


@functools.lru_cache(maxsize=4)
def _buffer(size: int) -> memoryview:
    # Zeros: allocated with calloc and backed by the kernel's shared zero page until written, so
    # building it costs neither time under the GIL nor memory per process. SHA-256 does not care.
    return memoryview(bytes(size))


@workload(
    "hash",
    title="Hashing (releases the GIL)",
    summary="hashlib.sha256 over a large buffer: C code that lets other threads run meanwhile.",
    params=[
        Param("mib", int, 16, 1, 1024, "size of the buffer one task hashes", "MiB"),
        Param(
            "chunk_bytes",
            int,
            MIB,
            64,
            64 * MIB,
            "bytes per update() call; below 2048 the GIL is kept, the control case",
            "B",
        ),
    ],
)
def hash_(mib: int = 16, chunk_bytes: int = MIB) -> str:
    data = _buffer(mib * MIB)
    h = hashlib.sha256()
    since = 0
    for offset in range(0, len(data), chunk_bytes):
        h.update(data[offset : offset + chunk_bytes])
        since += chunk_bytes
        if since >= CHECKPOINT_BYTES:
            checkpoint()
            since = 0
    checkpoint()
    return h.hexdigest()
