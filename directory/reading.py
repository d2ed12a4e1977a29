"""Reading a national file while counting what the parser pulls from it: bytes for a progress bar, lines."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import IO

BUFFER_SIZE = 1024 * 1024


class CountingReader(io.RawIOBase):
    """A raw stream that counts the bytes and newlines read through it and reports bytes as they go.

    It sits under an `io.BufferedReader`, so it is called once per megabyte, not once per line: counting
    costs nothing next to parsing.
    """

    def __init__(self, source: IO[bytes], on_bytes: Callable[[int], object] | None = None) -> None:
        super().__init__()
        self._source = source
        self._on_bytes = on_bytes
        self.bytes_read = 0
        self.newlines = 0
        self._last: int | None = None

    def readable(self) -> bool:
        """A counting reader is always readable."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill the buffer from the source, counting what came."""
        chunk = self._source.read(len(buffer))
        if not chunk:
            return 0
        size = len(chunk)
        buffer[:size] = chunk
        self.bytes_read += size
        self.newlines += chunk.count(b"\n")
        self._last = chunk[-1]
        if self._on_bytes is not None:
            self._on_bytes(size)
        return size

    @property
    def lines(self) -> int:
        """Lines read so far, the last one counted even without a final newline."""
        unterminated = self._last is not None and self._last != ord("\n")
        return self.newlines + (1 if unterminated else 0)


def counted(source: IO[bytes], on_bytes: Callable[[int], object] | None = None) -> tuple[IO[bytes], CountingReader]:
    """A buffered stream over `source` for the parser, and the counter beneath it."""
    counter = CountingReader(source, on_bytes)
    return io.BufferedReader(counter, BUFFER_SIZE), counter
