"""Measure RPPS or FINESS parse throughput and peak memory: python -m bench.bench_import_parse FILE [--share 0.01].

The territory filter keeps about `share` of all French postcodes (chosen by a hash, so it works on the
real national file as on bench.gen_rpps output) through a set lookup, as the import service will.
`--no-filter` parses every row, to show the cost of building records. A `.json` FILE is read as the FINESS
daily JSON flow; `--make-finess-json MB` first writes one of about MB megabytes there, made of the legal
entities of the published sample repeated with new FINESS numbers (pretty-printed as the flow is).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import zlib
from pathlib import Path
from typing import Any

from directory.finess import parse_finess
from directory.records import DirectoryRecord, ParseError
from directory.rpps import parse_rpps

FINESS_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "finess"
FINESS_SAMPLE_FILE = "sample-finess-structures-journalier-20260309.json"


def territory(share: float) -> frozenset[str]:
    """About `share` of all five-digit postcodes, picked reproducibly by CRC32."""
    threshold = int(share * 2**32)
    return frozenset(code for code in (f"{n:05d}" for n in range(100_000)) if zlib.crc32(code.encode()) < threshold)


def count_lines(path: Path) -> int:
    """Data lines in the file (the header excluded), counted in a separate untimed pass."""
    with path.open("rb") as stream:
        return sum(1 for _ in stream) - 1


def make_finess_json(path: Path, megabytes: float, sample: Path = FINESS_SAMPLE / FINESS_SAMPLE_FILE) -> None:
    """Write a FINESS daily JSON flow of about `megabytes` MB: the sample's legal entities, renumbered."""
    document = json.loads(sample.read_text(encoding="utf-8"))
    entities: list[Any] = document["pmej"]
    text = json.dumps(entities, ensure_ascii=False, indent=2, separators=(",", " : "))
    copies = max(1, int(megabytes * 1024 * 1024 / len(text.encode())))
    with path.open("w", encoding="utf-8") as out:
        head = {k: v for k, v in document.items() if k != "pmej"}
        out.write(json.dumps(head, ensure_ascii=False, indent=2, separators=(",", " : "))[:-2] + ',\n  "pmej" : [')
        for copy in range(copies):
            # Numbers stay nine characters: the copy index replaces the first two digits.
            renumbered = text.replace('"numFinessEge" : "0', f'"numFinessEge" : "{copy % 100:02d}')
            out.write(("," if copy else "") + renumbered[1:-1])
        out.write("]\n}\n")


def main() -> None:
    """Run the parse once and print lines/s, records, errors and peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--no-filter", action="store_true")
    parser.add_argument("--make-finess-json", type=float, metavar="MB", help="first write a FINESS JSON file")
    args = parser.parse_args()
    if args.make_finess_json:
        make_finess_json(args.file, args.make_finess_json)
    parse = parse_finess if args.file.suffix == ".json" else parse_rpps

    lines = count_lines(args.file)
    postcodes = territory(args.share)
    keep = None if args.no_filter else (lambda postcode, insee: postcode in postcodes)
    records = errors = 0
    started = time.perf_counter()
    with args.file.open("rb") as stream:
        for item in parse(stream, keep):
            if isinstance(item, DirectoryRecord):
                records += 1
            elif isinstance(item, ParseError):
                errors += 1
    elapsed = time.perf_counter() - started
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    mode = "no filter" if args.no_filter else f"filter {len(postcodes)} postcodes ({args.share:.1%})"
    size = args.file.stat().st_size / 1024 / 1024
    print(f"{args.file.name}: {size:.1f} MB, {lines} lines, {mode}")
    print(f"  {elapsed:.2f} s, {lines / elapsed:,.0f} lines/s, {records} records, {errors} errors")
    print(f"  peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
