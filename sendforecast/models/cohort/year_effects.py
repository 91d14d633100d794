"""Year-to-year variation of a cohort model's rates: spec checks, draws and variances.

Knows: the year effect spec ``{"leave", "intake", "rho", "net"}``, how its log-normal
AR(1) multipliers (:func:`draw_year_effects`) and LA-wide net transfer rates
(:func:`draw_net_transfers`) are drawn from a projection's generator, their log
variance (:func:`year_effect_variance`), and the calibrated SEN2 defaults
(:data:`SEN2_YEAR_EFFECTS`; how they were chosen: ``docs/cohort.md``).

Does not know: what the effects multiply.  Applying them to leaving, moves and the
joiners' mix, keeping each flow's mean, is the engines' job (:mod:`.engine_numba`,
:mod:`.engine_numpy`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["NET_CLIP", "SEN2_YEAR_EFFECTS", "draw_net_transfers", "draw_year_effects",
           "effect_sds", "net_sd", "year_effect_variance"]

# Year effects of SEN2 models: sd of the log multiplier of each placement group's leaving
# and intake (PLACEMENT_GROUPS order; both flows of a group share it), their AR(1)
# coefficient over years, and the sd of the LA-wide net transfer rate.  Chosen by
# benchmarks/cohort_calibration.py on rolling-origin backtests of all LAs (origins
# January 2018-2023): the net sd brings the total caseload's horizon-1 coverage to the
# target, then each group's sd does the same for the group, capped at 0.6.  The
# calibration and its out-of-sample check: docs/cohort.md and
# benchmarks/results/cohort_calibration.md.
_SD = (0.6, 0.6, 0.28, 0.56, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6)
SEN2_YEAR_EFFECTS = {"leave": _SD, "intake": _SD, "rho": 0.5, "net": 0.043}


def effect_sds(spec: dict, K: int) -> tuple[np.ndarray, float]:
    """``(sd [2, K] of the leave and intake effects, rho)``; clear errors for bad specs."""
    unknown = set(spec) - {"leave", "intake", "rho", "net"}
    if unknown:
        raise ValueError(f"unknown year effect keys {sorted(unknown)} (leave, intake, rho, "
                         "net)")
    net_sd(spec)
    sd = np.stack([np.broadcast_to(np.asarray(spec.get(k, 0.0), float), (K,))
                   for k in ("leave", "intake")])  # [2, K]
    rho = float(spec.get("rho", 1.0))
    if np.any(sd < 0) or not np.all(np.isfinite(sd)) or not -1 <= rho <= 1:
        raise ValueError(f"year effect sds must be finite and >= 0 and rho in [-1, 1], "
                         f"got {spec}")
    return sd, rho


def draw_year_effects(spec: dict | None, draws: int, years: int, K: int,
                      rng: np.random.Generator) -> np.ndarray | None:
    """Year effects ``[draw, year, 2, state]``: multipliers of leaving (``[..., 0, :]``)
    and of the intake - joiners' and movers' flows *into* a state - (``[..., 1, :]``).

    ``spec``: ``{"leave": sd, "intake": sd, "rho": r}`` with ``sd`` a number or one per
    state.  Log effects follow an AR(1) over the projection years, ``x_h = r x_{h-1} +
    sd z_h`` (``r = 1``: a random walk, the default), and each multiplier is
    ``exp(x_h - var(x_h) / 2)`` so its mean is 1.  ``None`` or all-zero sds: ``None``.
    Keep ``var(x_h)`` moderate (the SEN2 defaults stay below 0.6): a mean-one log-normal
    with a large variance puts most of its mean in rare huge values (median
    ``exp(-var / 2)``), which is not how rates vary and which the bounded flows cannot
    follow.
    """
    if not spec:
        return None
    sd, rho = effect_sds(spec, K)
    if not np.any(sd > 0):
        return None
    z = rng.standard_normal((years, draws, 2, K))  # year by year: a longer horizon adds
    v = year_effect_variance(spec, years, K)  # years after the first ones' numbers
    out = np.empty((draws, years, 2, K))
    x = np.zeros((draws, 2, K))
    for h in range(years):
        x = rho * x + sd * z[h]
        out[:, h] = np.exp(x - v[h] / 2)
    return out


NET_CLIP = 0.5  # net transfer rates are clipped to [-0.5, 0.5]: 11 sd at the calibrated
# 0.043 (never binding); 1% of draws at the largest sd allowed (0.2)


def net_sd(spec: dict) -> float:
    """The net transfer sd of a year effect spec (0 without one); a clear error if bad."""
    net = spec.get("net", 0.0)
    ok = isinstance(net, int | float | np.number) and not isinstance(net, bool)
    if not (ok and np.isfinite(net) and 0 <= net <= 0.2):
        raise ValueError(f"the net transfer sd ('net') must be one number in [0, 0.2], got "
                         f"{net!r}")
    return float(net)


def draw_net_transfers(spec: dict | None, draws: int, years: int,
                       rng: np.random.Generator) -> np.ndarray | None:
    """Net transfer rates ``[draw, year]``: the LA-wide year effect ``spec["net"]``.

    SEN2's accounting identity ``caseload(T+1) = caseload(T) + new plans(T) - leavers``
    defines the *net* leavers of a year, which also count plans transferred to and from
    other LAs and late or corrected records.  Their rate varies from year to year around
    an LA's level far more than binomial leaving (2018-2023: sd 4.2 points of the
    caseload, robust sd 2.9, heavy-tailed; year-to-year changes correlated -0.50, as
    independent shocks around a stable level give; benchmarks/results/
    cohort_calibration.md).  SEN2 models use sd 0.043, calibrated on backtests of the
    total caseload (:data:`SEN2_YEAR_EFFECTS`).  Each draw and year gets one rate
    ``e ~ Normal(0, net)`` (independent over years, clipped to +-NET_CLIP): with ``e >
    0`` every child has an extra chance ``e`` of leaving; with ``e < 0`` every cell gains
    ``-e`` times its continuing children, rounded stochastically (transfers in, placed
    like them; they are there the next January, one year older).  ``None`` or no ``"net"``:
    ``None``.  Drawn after :func:`draw_year_effects`, from the same generator.
    """
    sd = net_sd(spec) if spec else 0.0
    if sd == 0:
        return None
    return np.clip(sd * rng.standard_normal((years, draws)).T, -NET_CLIP, NET_CLIP)


def year_effect_variance(spec: dict | None, years: int, K: int) -> np.ndarray:
    """Variance ``[year, 2, state]`` of the log year effects of :func:`draw_year_effects`
    (zeros without effects)."""
    v = np.zeros((years, 2, K))
    if not spec:
        return v
    sd, rho = effect_sds(spec, K)
    acc = np.zeros((2, K))
    for h in range(years):
        acc = rho**2 * acc + sd**2
        v[h] = acc
    return v
