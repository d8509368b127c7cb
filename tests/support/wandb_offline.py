"""Read an offline W&B run back: wandb 0.31 writes `run-<id>.wandb`, a LevelDB-style log
(7-byte header, then 32 KiB blocks of `<crc u32><len u16><type u8>` chunks), one
protobuf `Record` per entry, and has no public offline reader."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BLOCK = 32 * 1024
HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def records(path: Path) -> list[bytes]:
    data = Path(path).read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B run log"
    out, pending, pos = [], b"", HEADER
    while pos + HEADER <= len(data):
        if BLOCK - pos % BLOCK < HEADER:  # a block's tail too short for a chunk header is padding
            pos += BLOCK - pos % BLOCK
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + HEADER])
        pos += HEADER
        chunk, pos = data[pos : pos + length], pos + length
        if kind == FULL:
            out.append(chunk)
        elif kind == FIRST:
            pending = chunk
        elif kind == MIDDLE:
            pending += chunk
        elif kind == LAST:
            out.append(pending + chunk)
        else:
            break
    return out


@dataclass
class OfflineRun:
    run_id: str = ""
    name: str = ""
    group: str = ""
    project: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)
    directory: Path = Path()


def read_offline_run(run_dir: Path) -> OfflineRun:
    """The run's identity and its history rows (values JSON-decoded)."""
    from wandb.proto import wandb_internal_pb2 as pb

    [log] = Path(run_dir).glob("run-*.wandb")
    run = OfflineRun(directory=Path(run_dir))
    for raw in records(log):
        record = pb.Record()
        record.ParseFromString(raw)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run.run_id, run.name = record.run.run_id, record.run.display_name
            run.group, run.project = record.run.run_group, record.run.project
        elif kind == "history":
            row = {}
            for item in record.history.item:
                key = item.key or "/".join(item.nested_key)
                row[key] = json.loads(item.value_json)
            run.history.append(row)
    return run
