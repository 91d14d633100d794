"""``sendforecast data summary | quality | download``: read, summarise and check SEN2 files."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sendforecast.cli.options import add_data, add_la, add_out
from sendforecast.defaults import write_csv


def load_data(paths: list[str]):
    """Read the ``--data`` paths once, saying how long it took (on stderr)."""
    from sendforecast.data.sen2 import load_sen2

    t = time.perf_counter()
    data = load_sen2(*paths)
    print(f"Loaded {len(data.la_codes())} LAs from {len(paths)} source(s) in {time.perf_counter() - t:.1f}s",
          file=sys.stderr)
    return data


def cmd_data_summary(args) -> int:
    data = load_data(args.data)
    table = data.summary(args.la)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(table, out)
    print(f"Wrote {len(table):,} rows to {out}")
    return 0


def cmd_data_quality(args) -> int:
    data = load_data(args.data)
    print(data.quality)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        q = data.quality
        for name in ("suppressed", "inconsistent", "duplicates", "unknown"):
            write_csv(getattr(q, name), out / f"quality_{name}.csv")
        print(f"Wrote quality tables to {out}")
    return 0


def cmd_data_download(args) -> int:
    from sendforecast.data.download import fetch_release

    path = fetch_release(args.release, url=args.url, refresh=args.refresh,
                         directory=Path(args.dir) if args.dir else None)
    print(path)
    return 0


def add_data_parser(sub) -> None:
    d = sub.add_parser("data", help="read, summarise and check SEN2 release files")
    dsub = d.add_subparsers(dest="data_command", required=True)
    s = dsub.add_parser("summary", help="headline measures per LA as a long CSV")
    add_data(s)
    add_la(s, many=True, default="all", areas=True)
    add_out(s, kind="file")
    s.set_defaults(func=cmd_data_summary)
    q = dsub.add_parser("quality", help="print the data-quality report")
    add_data(q)
    add_out(q, required=False, help="also write the report's tables as CSVs in this folder")
    q.set_defaults(func=cmd_data_quality)
    dl = dsub.add_parser("download", help="download a release zip from explore-education-statistics")
    dl.add_argument("release", help="release slug, e.g. 2025")
    dl.add_argument("--url", help="direct address of the zip (skips the lookup)")
    dl.add_argument("--dir", help="cache folder (default ~/.cache/sendforecast)")
    dl.add_argument("--refresh", action="store_true",
                    help="download again even if the zip is already in the cache folder")
    dl.set_defaults(func=cmd_data_download)
