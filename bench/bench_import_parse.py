"""Measure RPPS parse throughput and peak memory: python -m bench.bench_import_parse FILE [--share 0.01].

The territory filter keeps about `share` of all French postcodes (chosen by a hash, so it works on the
real national file as on bench.gen_rpps output) through a set lookup, as the import service will.
`--no-filter` parses every row, to show the cost of building records.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import zlib
from pathlib import Path

from directory.records import DirectoryRecord, ParseError
from directory.rpps import parse_rpps


def territory(share: float) -> frozenset[str]:
    """About `share` of all five-digit postcodes, picked reproducibly by CRC32."""
    threshold = int(share * 2**32)
    return frozenset(
        code for code in (f"{n:05d}" for n in range(100_000)) if zlib.crc32(code.encode()) < threshold
    )


def count_lines(path: Path) -> int:
    """Data lines in the file (the header excluded), counted in a separate untimed pass."""
    with path.open("rb") as stream:
        return sum(1 for _ in stream) - 1


def main() -> None:
    """Run the parse once and print lines/s, records, errors and peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--no-filter", action="store_true")
    args = parser.parse_args()

    lines = count_lines(args.file)
    postcodes = territory(args.share)
    keep = None if args.no_filter else (lambda postcode, insee: postcode in postcodes)
    records = errors = 0
    started = time.perf_counter()
    with args.file.open("rb") as stream:
        for item in parse_rpps(stream, keep):
            if isinstance(item, DirectoryRecord):
                records += 1
            elif isinstance(item, ParseError):
                errors += 1
    elapsed = time.perf_counter() - started
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    mode = "no filter" if args.no_filter else f"filter {len(postcodes)} postcodes ({args.share:.1%})"
    print(f"{args.file.name}: {lines} lines, {mode}")
    print(f"  {elapsed:.2f} s, {lines / elapsed:,.0f} lines/s, {records} records, {errors} errors")
    print(f"  peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
