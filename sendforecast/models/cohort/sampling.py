"""Pure sampling maths that both projection engines use: scalar formulas, no state.

Knows: the skew-corrected (Cornish-Fisher) normal approximation of a binomial, the
AS 241 standard normal quantile, stochastic rounding, and the two thresholds that decide
where the engines switch method (``NORMAL_VAR``, ``LOGIT_FROM``).  The numba engine
compiles these same Python functions (:mod:`.engine_numba`) and the numpy engine calls
them on arrays (:mod:`.engine_numpy`), so the two engines cannot drift apart here.

Does not know: random number generators, streams, model arrays or the projection; every
function takes its uniforms or normal deviates as arguments.
"""

from __future__ import annotations

import numpy as np

__all__ = ["AS241", "LOGIT_FROM", "NORMAL_VAR", "cornish_fisher", "normal_quantile",
           "stochastic_round"]

NORMAL_VAR = 10.0  # n p (1 - p) from which a binomial is drawn by its skew-corrected
# normal approximation (``cornish_fisher``): total variation distance from the exact
# binomial <= 0.25% from here on (the plain normal: ~4% here, still ~2% at 25; tested)
LOGIT_FROM = 0.1  # leave effects act on the logit scale above this leaving probability


def cornish_fisher(n, p, z):
    """Binomial(n, p) quantile of the standard normal ``z`` by the Cornish-Fisher
    expansion to the skewness term: ``n p + sd (z + g (z**2 - 1) / 6)``, with
    ``sd = sqrt(n p (1-p))`` and skewness ``g = (1 - 2p) / sd`` (unrounded).  Rounded,
    it is within 0.25% total variation of the binomial where ``sd**2 >= 10``; the plain
    normal (no ``g`` term) is 10 times further off for the small ``p`` of leaving and
    moving.  The numba engine's binomial compiles this same function."""
    return n * p + np.sqrt(n * p * (1.0 - p)) * z + (1.0 - 2.0 * p) * (z * z - 1.0) / 6.0


# Wichura's algorithm AS 241 (PPND16; Applied Statistics 37(3), 477-484, 1988): the
# standard normal quantile to about 1 part in 1e16 by rational functions - near the
# median (85% of uniforms) without any transcendental function, which makes a normal
# deviate 17-20 ns in the kernels, against 42-44 ns for Box-Muller (log, sqrt and cosine).
# Coefficients in increasing powers; the denominators' constant terms are 1.
AS241 = (
    ((3.3871328727963666080, 1.3314166789178437745e2, 1.9715909503065514427e3,
      1.3731693765509461125e4, 4.5921953931549871457e4, 6.7265770927008700853e4,
      3.3430575583588128105e4, 2.5090809287301226727e3),
     (1.0, 4.2313330701600911252e1, 6.8718700749205790830e2, 5.3941960214247511077e3,
      2.1213794301586595867e4, 3.9307895800092710610e4, 2.8729085735721942674e4,
      5.2264952788528545610e3)),
    ((1.42343711074968357734, 4.63033784615654529590, 5.76949722146069140550,
      3.64784832476320460504, 1.27045825245236838258, 2.41780725177450611770e-1,
      2.27238449892691845833e-2, 7.74545014278341407640e-4),
     (1.0, 2.05319162663775882187, 1.67638483018380384940, 6.89767334985100004550e-1,
      1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4,
      1.05075007164441684324e-9)),
    ((6.65790464350110377720, 5.46378491116411436990, 1.78482653991729133580,
      2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
      2.71155556874348757815e-5, 2.01033439929228813265e-7),
     (1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
      7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7,
      2.04426310338993978564e-15)),
)


def normal_quantile(u):
    """Standard normal quantile of ``u`` in (0, 1) by AS 241 (see ``AS241``): a ratio
    of degree-7 polynomials of ``0.180625 - (u - 1/2)**2`` near the median, else of
    ``sqrt(-log(min(u, 1 - u)))`` shifted by 1.6 (up to 5) or 5.  The numba kernels
    compile this same function to turn one uniform into a normal deviate."""
    q = u - 0.5
    if abs(q) <= 0.425:
        x = 0.180625 - q * q
        k = 0
    else:
        x = np.sqrt(-np.log(u if q < 0 else 1.0 - u))
        k = 1 if x <= 5.0 else 2
        x -= 1.6 if k == 1 else 5.0
    a, b = AS241[k]
    num = den = 0.0
    for i in range(7, -1, -1):  # Horner
        num = num * x + a[i]
        den = den * x + b[i]
    z = num / den
    if k == 0:
        return q * z
    return -z if q < 0 else z


def stochastic_round(x, u):
    """``x`` rounded down, plus one where the uniform ``u`` falls below the fractional
    part: an integer with mean exactly ``x`` (transfers in; both engines use this)."""
    k = np.floor(x)
    return k + (u < x - k)
