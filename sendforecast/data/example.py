"""Seeded generator of the synthetic example local authority "Exampleshire".

Exampleshire (old LA code ``999``, ONS code ``E06009999``, South East) is a
*synthetic* mid-sized English county.  Its files have exactly the shape of the
DfE "Education, health and care plans" (SEN2) reporting-year 2025 release
files (same columns in the same order, same ``time_period``,
``time_identifier``, ``geographic_level``, ``breakdown_topic`` and
``breakdown`` spellings, UTF-8 with BOM, ``x`` for unavailable cells), so
every reader, model and notebook of the library can run offline on it.  No
real row is copied: the real files were used only to learn the shape, the
conventions and plausible magnitudes.  The shipped copy lives in
:data:`EXAMPLE_DIR` and is reproduced exactly by ``generate_example()`` with
the default seed (``python -m sendforecast.data.example`` rewrites it).

The work is shared out by job: :mod:`.example_params` holds Exampleshire's numbers
(geography, years, placements, rates, mixes, move rules), :mod:`.example_simulation`
runs the seeded stock-flow process, and :mod:`.example_files` writes its counts as
release-shaped tables.  This module is the face: the shipped folder and files, and
:func:`generate_example` / :func:`write_example` / ``main``.

Files (stems are the keys of :func:`generate_example`; the real file each
mirrors is in brackets)

* ``exampleshire_caseload`` (``caseload.csv``): January censuses 2019-2024
  (``201819`` … ``202324``, "Academic year"); "All EHC plans" and "Child or
  young persons age" (``under 3``, ``age 3`` … ``age 25``) for every year.
* ``exampleshire_newplans`` (``newplans.csv``): calendar years 2019-2023;
  "New EHC plans" and "Age when plan started" (``age 2 and under``,
  ``age 3`` … ``age 19``, ``age 20 and over``) for every year.
* ``exampleshire_ceased_plans`` (``ceased_plans.csv``): 2022 and 2023; "All
  ceased EHC plans", "Age plan ceased" and "Type of placement" (the real
  labels, including the ``… - total`` rows) with the reasons columns.
* ``exampleshire_requests``, ``exampleshire_assessments``,
  ``exampleshire_timeliness_20_week`` (``requests.csv``, ``assessments.csv``,
  ``timeliness_20_week.csv``): 2019-2023 "All …" rows, and rows by age for
  2023 (as in the real release, where flows by age start in 2023).

The real release's years outside the files above (e.g. the 2024 flows and
January 2025 caseload, withheld in ``shared/data``) are not generated.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .example_files import release_frames
from .example_params import EXAMPLE_LA_CODE
from .example_simulation import simulate

__all__ = ["DEFAULT_SEED", "EXAMPLE_CAPACITY", "EXAMPLE_COSTS", "EXAMPLE_DIR", "EXAMPLE_HNB",
           "EXAMPLE_LA_CODE", "generate_example", "main", "write_example"]

EXAMPLE_DIR = Path(__file__).resolve().parent / "example"
DEFAULT_SEED = 2025

#: Hand-written inputs shipped beside the generated files (not written by the generator).
EXAMPLE_COSTS = EXAMPLE_DIR / "exampleshire_costs.csv"
EXAMPLE_CAPACITY = EXAMPLE_DIR / "exampleshire_capacity.csv"
EXAMPLE_HNB = EXAMPLE_DIR / "exampleshire_hnb.yaml"


def generate_example(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Generate Exampleshire's SEN2-shaped files.

    Returns ``{file stem: frame}``; every frame has the real release file's columns in
    order and holds strings exactly as written to CSV (read them back with
    ``pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")``).
    The same ``seed`` always gives identical frames.
    """
    return release_frames(simulate(int(seed)))


def write_example(out_dir: str | Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the example CSVs (UTF-8 with BOM, no index, like the release) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, frame in generate_example(seed).items():
        path = out / f"{stem}.csv"
        frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sendforecast.data.example",
        description="Regenerate the synthetic example LA 'Exampleshire' (SEN2 2025 shape).")
    parser.add_argument("--out", type=Path, default=EXAMPLE_DIR,
                        help=f"output folder (default: the shipped {EXAMPLE_DIR})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    for path in write_example(args.out, args.seed):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

