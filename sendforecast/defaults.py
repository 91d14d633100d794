"""Library-wide defaults that every layer shares (this module imports nothing), and the one
way the package writes a CSV (:func:`write_csv`).

``DEFAULT_SEED``: the seed that every stochastic function and command uses when none is
given, so the same call gives the same numbers; it is recorded in each result's settings.
"""

DEFAULT_SEED = 1

#: How every CSV the package writes prints its floats: 12 significant digits, so that
#: binary noise (113568000.00000001, 813343.7499999999) does not reach a finance officer's
#: file; GBP amounts to GBP 1bn keep their pence, shares 12 digits.
CSV_FLOAT_FORMAT = "%.12g"


def write_csv(frame, path) -> None:
    """Write ``frame`` to ``path`` as every CSV of the package is written: no index, floats
    as :data:`CSV_FLOAT_FORMAT`."""
    frame.to_csv(path, index=False, float_format=CSV_FLOAT_FORMAT)
