"""Checksums of every CSV that ``sendforecast demo`` and ``sendforecast scenarios run --example``
write, against the record in ``benchmarks/results/output_checksums.txt``.

Run before and after a restructuring: the outputs must be byte-identical (same seed,
default settings).  ``--record`` rewrites the record (only when a change of numbers is
intended, and say why in the commit).

    python benchmarks/output_checksums.py            # compare; exit 1 on any difference
    python benchmarks/output_checksums.py --record   # write the record
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

RECORD = Path(__file__).parent / "results" / "output_checksums.txt"
COMMANDS = {"demo": ["demo"], "scenarios": ["scenarios", "run", "--example"]}


def checksums() -> dict[str, str]:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in COMMANDS.items():
            d = Path(tmp) / name
            subprocess.run([sys.executable, "-m", "sendforecast.cli", *args, "--out", str(d)],
                           check=True, capture_output=True)
            for f in sorted(d.glob("*.csv")):
                out[f"{name}/{f.name}"] = hashlib.md5(f.read_bytes()).hexdigest()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--record", action="store_true")
    args = p.parse_args()
    now = checksums()
    if args.record:
        RECORD.write_text("# md5 of each CSV; seed 1 (the default), default settings\n"
                          + "".join(f"{v}  {k}\n" for k, v in now.items()))
        print(f"recorded {len(now)} files in {RECORD}")
        return 0
    was = dict(reversed(line.split()) for line in RECORD.read_text().splitlines()
               if line and not line.startswith("#"))
    diff = sorted(k for k in was.keys() | now.keys() if was.get(k) != now.get(k))
    for k in sorted(was.keys() | now.keys()):
        print(f"{'same' if k not in diff else 'DIFFERENT':9} {k}")
    print(f"{len(was) - len(diff)} of {len(was)} files byte-identical")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
