"""Read today's prime-rl trace stream, the layout its file monitor writes since
September 2026 (PRs #3444, #3465):

    <run>/monitors/file/metrics.jsonl
    <run>/monitors/file/traces/stream/NNNNN.jsonl[.zst]   every episode, arrival order
    <run>/monitors/file/traces/stream.index.jsonl         one row per episode: chunk, offset
    <run>/monitors/file/traces/annotations/orch.index.jsonl   shipped: effective, ship step, advantage

Episodes are read through the index: each row names the chunk and the byte offset of
its record in the decompressed chunk. A sealed chunk is zstd (any zstd decoder reads
it); the live one is plain, and while a chunk is being sealed both exist (the plain one
is read). Reading through the index is what survives a crash: after a relaunch the
torn bytes of the last record and the first new record share one line, which stops a
reader that splits lines; here only the torn record is lost, and it is reported.
Bytes between two indexed records that form whole records (written, but killed before
their index row) are recovered and reported too.

Everything is read forward, once, in blocks, so memory does not grow with the run.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from dakota_grammar_env.runs.record_decode import Decoded, decode_episode
from dakota_grammar_env.runs.records import RunError, StepKey

FILE_MONITOR_DIR = Path("monitors") / "file"
BLOCK = 1 << 20


try:  # Python 3.14+
    from compression import zstd as _stdlib_zstd  # type: ignore[import-not-found]

    def zstd_reader(handle: BinaryIO) -> BinaryIO:
        """A decompressing reader over every frame of a zstd file."""
        return _stdlib_zstd.ZstdFile(handle)  # type: ignore[no-any-return]

    ZSTD_ERRORS: tuple[type[Exception], ...] = (_stdlib_zstd.ZstdError, EOFError)
except ImportError:
    import zstandard

    def zstd_reader(handle: BinaryIO) -> BinaryIO:
        """A decompressing reader over every frame of a zstd file."""
        return zstandard.ZstdDecompressor().stream_reader(handle, read_across_frames=True)  # type: ignore[return-value]

    ZSTD_ERRORS = (zstandard.ZstdError, EOFError)


def chunk_path(directory: Path, number: int) -> Path:
    """The file to read chunk `number` from: the plain one while it exists (live, or
    being sealed), else the sealed one."""
    plain = directory / f"{number:05d}.jsonl"
    return plain if plain.exists() else directory / f"{number:05d}.jsonl.zst"


class ChunkCursor:
    """Reads one chunk forward: the line at an offset, and the bytes skipped to get there."""

    def __init__(self, directory: Path, number: int) -> None:
        self.number = number
        self.path = chunk_path(directory, number)
        try:
            raw = self.path.open("rb")
        except FileNotFoundError:  # sealed between the check and the open
            self.path = directory / f"{number:05d}.jsonl.zst"
            try:
                raw = self.path.open("rb")
            except FileNotFoundError:
                raise RunError(f"{directory}: chunk {number:05d} is in the index but not on disk") from None
        self.handle: BinaryIO = zstd_reader(raw) if self.path.suffix == ".zst" else raw
        self.buffer = bytearray()
        self.start = 0
        """Offset (in the decompressed chunk) of buffer[0]."""

    def _fill(self) -> bool:
        try:
            block = self.handle.read(BLOCK)
        except ZSTD_ERRORS as error:
            raise RunError(f"{self.path}: neither a plain JSONL chunk nor readable zstd ({error})") from None
        if block:
            self.buffer += block
        return bool(block)

    def _drop_to(self, offset: int) -> None:
        del self.buffer[: offset - self.start]
        self.start = offset

    def line_at(self, offset: int) -> tuple[bytes, bytes | None]:
        """(bytes between the last line read and `offset`, the line at `offset` without
        its newline or None while it is not complete)."""
        if offset < self.start:
            raise RunError(f"{self.path}: index offset {offset} goes backwards (already read up to {self.start})")
        while self.start + len(self.buffer) < offset and self._fill():
            pass
        gap = bytes(self.buffer[: offset - self.start])
        search_from = offset - self.start
        while True:
            end = self.buffer.find(b"\n", search_from)
            if end >= 0:
                line = bytes(self.buffer[offset - self.start : end])
                self._drop_to(self.start + end + 1)
                return gap, line
            search_from = len(self.buffer)
            if not self._fill():
                self._drop_to(offset)  # keep the incomplete line for the next call
                return gap, None

    def peek_rest(self) -> bytes:
        """What is after the last line read, without consuming it."""
        while self._fill():
            pass
        return bytes(self.buffer)

    def rest(self) -> bytes:
        """Everything after the last line read, consumed (a chunk the index has moved past)."""
        rest = self.peek_rest()
        self._drop_to(self.start + len(rest))
        return rest

    def close(self) -> None:
        self.handle.close()


class LineTail:
    """The complete lines appended to a file since the last call, read in blocks (a
    consumer that stops early resumes at the next unread line)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.line_number = 0

    def read(self) -> Iterator[tuple[int, bytes]]:
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            size = handle.seek(0, io.SEEK_END)
            if size < self.offset:
                raise RunError(f"{self.path}: shorter than when last read (replaced under the reader?)")
            handle.seek(self.offset)
            carry = b""
            while block := handle.read(BLOCK):
                data = carry + block
                end = data.rfind(b"\n")
                if end < 0:
                    carry = data
                    continue
                carry = data[end + 1 :]
                for line in data[: end + 1].splitlines(keepends=True):
                    self.offset += len(line)
                    self.line_number += 1
                    yield self.line_number, line


class IndexRow(msgspec.Struct):
    chunk: int
    offset: int


class AnnotationRow(msgspec.Struct):
    trace_id: str
    info: dict[str, Any] = {}


_INDEX = msgspec.json.Decoder(IndexRow)
_ANNOTATION = msgspec.json.Decoder(AnnotationRow)
_METRICS = msgspec.json.Decoder(dict[str, Any])


def _decode(decoder: msgspec.json.Decoder, line: bytes, where: str) -> Any:
    try:
        return decoder.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise RunError(f"{where}: {error}") from None


@dataclass(frozen=True)
class Completion:
    """A metrics row of the orchestrator that closes a (split, step)."""

    key: StepKey
    time: float


def completion_row(line: bytes, where: str) -> Completion | None:
    """The step a metrics.jsonl row closes, or None (a trainer row, a time-keyed row
    with ``"step": null``, a row of neither split). Eval rows carry float steps."""
    row = _decode(_METRICS, line, where)
    step, time, producer = row.get("step"), row.get("time"), row.get("producer")
    for name, value in (("step", step), ("time", time)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise RunError(f"{where}: {name} is {value!r}, not a number or null")
    if producer is not None and not isinstance(producer, str):
        raise RunError(f"{where}: producer is {producer!r}, not a string or null")
    if step is None or producer not in (None, "orch"):
        return None
    for split in ("train", "eval"):
        if any(name.startswith(f"{split}/") for name in row):
            return Completion(StepKey.of(split, int(step)), float(time or 0.0))
    return None


@dataclass
class Problem:
    """Bytes of a chunk that are not an indexed record: torn, or recovered."""

    chunk: Path
    offset: int
    size: int
    recovered: bool

    def __str__(self) -> str:
        what = "recovered a record missing from the index" if self.recovered else "torn record skipped"
        return f"{self.chunk}: {what} at offset {self.offset} ({self.size} bytes)"


@dataclass
class Annotations:
    """The orchestrator's updates per trace, folded in file order (newest wins). They
    are applied only up to a time (the metrics row that closed the step being
    written), so a step reads the same whenever it is read, and read lazily, so
    memory holds only what is not yet taken."""

    tail: LineTail
    lookahead: tuple[float | None, AnnotationRow] | None = None
    info: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _rows(self) -> Iterator[tuple[float | None, AnnotationRow]]:
        if self.lookahead is not None:
            yield self.lookahead
            self.lookahead = None
        for number, line in self.tail.read():
            row = _decode(_ANNOTATION, line, f"{self.tail.path}:{number}")
            ship = row.info.get("ship")
            time = ship.get("time") if isinstance(ship, dict) else None
            yield (float(time) if isinstance(time, (int, float)) else None, row)

    def apply_until(self, time: float | None) -> None:
        """Fold in every update shipped at or before `time` (None: every one on disk)."""
        for shipped, row in self._rows():
            if time is not None and shipped is not None and shipped > time:
                self.lookahead = (shipped, row)
                return
            _merge(self.info.setdefault(row.trace_id, {}), row.info)

    def take(self, trace_ids: tuple[str, ...]) -> dict[str, Any] | None:
        found = [self.info.pop(trace_id) for trace_id in trace_ids if trace_id in self.info]
        if not found:
            return None
        merged: dict[str, Any] = {}
        for info in found:
            _merge(merged, info)
        return merged


def _merge(target: dict[str, Any], update: dict[str, Any]) -> None:
    for name, value in update.items():
        if isinstance(value, dict) and isinstance(target.get(name), dict):
            _merge(target[name], value)
        else:
            target[name] = value


class StreamReader:
    """Incremental reader of a run's trace stream; `episodes()` yields what the index
    has gained since the last call."""

    def __init__(self, file_monitor_dir: Path) -> None:
        self.root = file_monitor_dir
        self.traces = file_monitor_dir / "traces"
        self.stream_dir = self.traces / "stream"
        self.index = LineTail(self.traces / "stream.index.jsonl")
        self.annotations = Annotations(LineTail(self.traces / "annotations" / "orch.index.jsonl"))
        self.metrics = LineTail(file_monitor_dir / "metrics.jsonl")
        self.cursor: ChunkCursor | None = None
        self.problems: list[Problem] = []
        self._row: tuple[int, IndexRow] | None = None
        """An index row whose record was not complete at the last call."""

    def completions(self) -> list[Completion]:
        """Metrics rows that closed a step since the last call, in file order."""
        found = []
        for number, line in self.metrics.read():
            completion = completion_row(line, f"{self.metrics.path}:{number}")
            if completion is not None:
                found.append(completion)
        return found

    def _salvage(self, path: Path, position: int, gap: bytes) -> list[Decoded]:
        """Whole records in bytes no index row points at are recovered; the rest is torn."""
        recovered = []
        for piece in gap.split(b"\n"):
            if piece:
                try:
                    recovered.append(decode_episode(piece, None, f"{path}@{position}"))
                    self.problems.append(Problem(path, position, len(piece), recovered=True))
                except RunError:
                    self.problems.append(Problem(path, position, len(piece), recovered=False))
            position += len(piece) + 1
        return recovered

    def episodes(self) -> Iterator[Decoded]:
        """The episodes indexed since the last call, in index order (and any whole
        record found between indexed ones)."""
        rows = self.index.read()
        while True:
            if self._row is None:
                entry = next(rows, None)
                if entry is None:
                    return
                self._row = (entry[0], _decode(_INDEX, entry[1], f"{self.index.path}:{entry[0]}"))
            number, row = self._row
            if self.cursor is None or self.cursor.number != row.chunk:
                if self.cursor is not None:
                    if row.chunk < self.cursor.number:
                        raise RunError(
                            f"{self.index.path}:{number}: chunk numbers go backwards "
                            f"({self.cursor.number:05d} then {row.chunk:05d})"
                        )
                    position = self.cursor.start
                    yield from self._salvage(self.cursor.path, position, self.cursor.rest())
                    self.cursor.close()
                self.cursor = ChunkCursor(self.stream_dir, row.chunk)
            position = self.cursor.start
            gap, record = self.cursor.line_at(row.offset)
            if gap:
                yield from self._salvage(self.cursor.path, position, gap)
            if record is None:
                return  # not complete yet: the writer flushes the record before its index row
            self._row = None
            yield decode_episode(record, None, f"{self.cursor.path}@{row.offset} (index line {number})")

    def unfinished_tail(self) -> str | None:
        """What follows the last record read in the current chunk, if anything (a record
        being written, or one torn by a crash)."""
        if self.cursor is None:
            return None
        rest = self.cursor.peek_rest()
        return str(self.cursor.path) if rest.strip() else None

    def close(self) -> None:
        if self.cursor is not None:
            self.cursor.close()
            self.cursor = None
