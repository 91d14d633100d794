"""Library-wide defaults that every layer shares (this module imports nothing).

``DEFAULT_SEED``: the seed that every stochastic function and command uses when none is
given, so the same call gives the same numbers; it is recorded in each result's settings.
"""

DEFAULT_SEED = 1
