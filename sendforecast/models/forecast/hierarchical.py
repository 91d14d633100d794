"""Bayesian hierarchical model of log growth across LAs (PyMC), forecasting by simulation.

Model (one model for every LA at once; vectors, so one compile serves an all-LA fit)::

    g[i,t] = log(y[i,t] / y[i,t-1])                     yearly log growth of LA i
    g[i,t] ~ StudentT(nu=5, mu_i + phi * (g[i,t-1] - mu_i), sigma_i)
    g[i,first] ~ StudentT(nu=5, mu_i, sigma_i / sqrt(1 - phi^2))   (stationary start)
    mu_i       = mu_region[r(i)] + tau_la * z_i          partial pooling toward region
    mu_region  = mu_england + tau_region * z_r           ... and region toward England
    log sigma_i = log_sigma_0 + tau_sigma * w_i          volatility pooled likewise
    phi ~ Beta(2, 2)                                     damping of growth shocks (0 < phi < 1)

Non-centred throughout.  Modelling the log growth of counts is a lognormal
model on counts with a random-walk-plus-AR(1)-growth level; it copes with the
large (thousands) and small (tens, e.g. City of London) LAs alike, where a
negative binomial on levels would need a level model per LA.  The Student-t
likelihood stops one broken year (e.g. 2020 requests) from dominating an LA.

Only the last ``window`` growth rates (default 8) are used: SEND growth
regimes change (the 2014 reforms), and the forecast should follow the current
one.  LAs with a single usable year (a new LA after a reorganisation) get the
pooled growth of their region.

Forecasts simulate growth paths from posterior draws (parameter + process
uncertainty; normal shocks with the Student-t's standard deviation), vectorised with numpy: ``g[T+h] = mu_i + phi (g[T+h-1] - mu_i) + sigma_i e``.

Optional covariates: ``covariates`` = frame ``la_code, x1, x2 ...`` of
standardised LA-level values (e.g. child-population growth); they shift mu_i
by ``beta . x_i`` with ``beta ~ Normal(0, 0.05)``.

Sampling: NUTS, 2 chains x 500 draws after 500 tuning steps by default
(about 10-25 s for all 150 LAs on 2 cores, plus compile).  The MCMC settings are one
``sampler_config`` dict (keys ``draws``, ``tune``, ``chains``, ``target_accept``; what is
given is merged over :attr:`HierarchicalForecaster.default_sampler_config`, as in
pymc-marketing), so ``draws`` elsewhere always means Monte Carlo draws of a forecast.
``fit_method="advi"`` is a fast path (mean-field ADVI, ``advi_iterations`` = 10,000, a few
seconds; ``draws x chains`` posterior draws): it under-states posterior correlation and
parameter uncertainty, so intervals are narrower than NUTS's; use it interactively, not for
published numbers.
Seeds: ``seed`` (default :data:`~sendforecast.defaults.DEFAULT_SEED`; ``forecast(seed=...)``
passes its own, so one call has one seed) seeds PyMC (NUTS ``random_seed``; ADVI's optimiser
and its posterior draws get two streams spawned from it); the forecast paths use the seed
given to :meth:`forecast`.  The same seed therefore gives the same numbers.
R-hat > 1.01, bulk ESS < 100 per chain or any divergence raise a
:class:`~sendforecast.errors.SendForecastWarning`; ``idata_`` holds the ArviZ
InferenceData and ``diagnostics_`` the figures.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ...defaults import DEFAULT_SEED
from ...errors import SendForecastWarning
from .interface import Forecaster

NU = 5.0
#: forecast shocks are normal with the Student-t's standard deviation: exp() of a
#: heavy-tailed shock makes the forecast mean unstable, and the calibration
#: factors from backtests absorb the difference in tail shape.
_T_SD = float(np.sqrt(NU / (NU - 2)))


def _child_seeds(seed: int | None, n: int) -> list[int | None]:
    """``n`` integer seeds derived from one (``None`` stays ``None``: fresh randomness)."""
    if seed is None:
        return [None] * n
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


class HierarchicalForecaster(Forecaster):
    """Partially pooled AR(1)-damped log-growth model; see the module docstring.

    ``window``: growth rates used per LA; ``fit_method``: ``"nuts"`` or ``"advi"``;
    ``sampler_config``: MCMC settings merged over :attr:`default_sampler_config`;
    ``seed``: PyMC's seed; ``advi_iterations``: ADVI optimiser steps; ``covariates``:
    frame ``la_code, x1 ...`` of standardised LA-level values; ``progress``: PyMC's
    progress bar; ``cores``: processes for NUTS chains (default one per chain, at most 2).
    """

    name = "hierarchical"
    min_years = 1
    pooled = True
    #: MCMC settings: posterior draws and tuning steps per chain, chains, NUTS target
    #: acceptance (ADVI draws ``draws x chains`` from its approximation)
    default_sampler_config = {"draws": 500, "tune": 500, "chains": 2, "target_accept": 0.9}

    def __init__(self, measure: str | None = None, window: int = 8, fit_method: str = "nuts",
                 sampler_config: dict | None = None, seed: int | None = DEFAULT_SEED,
                 advi_iterations: int = 10_000, covariates: pd.DataFrame | None = None,
                 progress: bool = False, cores: int | None = None):
        super().__init__(measure)
        if fit_method not in ("nuts", "advi"):
            raise ValueError(f"fit_method must be 'nuts' or 'advi', not {fit_method!r}")
        unknown = sorted(set(sampler_config or {}) - set(self.default_sampler_config))
        if unknown:
            raise ValueError(f"unknown sampler_config key(s) {unknown}; use "
                             f"{', '.join(self.default_sampler_config)}")
        self.window, self.fit_method, self.seed = window, fit_method, seed
        self.sampler_config = {**self.default_sampler_config, **(sampler_config or {})}
        self.advi_iterations = advi_iterations
        self.covariates, self.progress = covariates, progress
        self.cores = cores  # None: one process per chain, at most 2; 1 avoids process start-up

    # ------------------------------------------------------------------ data
    def _design(self, clean: pd.DataFrame):
        Y = self.Y_[:, -(self.window + 1):]
        G = np.diff(np.log(Y), axis=1)
        n, k = G.shape
        la_idx, prev, has_prev, obs = [], [], [], []
        for i in range(n):
            for j in range(k):
                if not np.isfinite(G[i, j]):
                    continue
                p = G[i, j - 1] if j > 0 else np.nan
                la_idx.append(i)
                obs.append(G[i, j])
                prev.append(p if np.isfinite(p) else 0.0)
                has_prev.append(bool(np.isfinite(p)))
        region = (clean.drop_duplicates("la_code").set_index("la_code")["region_code"]
                  .reindex(self.codes_).fillna("none").to_numpy()
                  if "region_code" in clean else np.array(["none"] * n))
        regions, r_idx = np.unique(region.astype(str), return_inverse=True)
        self.regions_, self.r_idx_ = regions, r_idx
        self.G_ = G
        return (np.array(la_idx, int), np.array(obs), np.array(prev), np.array(has_prev, bool))

    def build_model(self, clean: pd.DataFrame):
        """The PyMC model (built, not sampled)."""
        import pymc as pm

        la_idx, obs, prev, has_prev = self._design(clean)
        X = None
        if self.covariates is not None:
            cov = self.covariates.set_index("la_code").reindex(self.codes_).fillna(0.0)
            X = cov.to_numpy(float)
        with pm.Model(coords={"la": list(self.codes_), "region": list(self.regions_)}) as model:
            mu_england = pm.Normal("mu_england", 0.05, 0.1)
            tau_region = pm.HalfNormal("tau_region", 0.05)
            z_r = pm.Normal("z_region", 0.0, 1.0, dims="region")
            mu_region = pm.Deterministic("mu_region", mu_england + tau_region * z_r, dims="region")
            tau_la = pm.HalfNormal("tau_la", 0.05)
            z_i = pm.Normal("z_la", 0.0, 1.0, dims="la")
            mu_la = mu_region[self.r_idx_] + tau_la * z_i
            if X is not None:
                beta = pm.Normal("beta", 0.0, 0.05, shape=X.shape[1])
                mu_la = mu_la + pm.math.dot(X, beta)
            mu_la = pm.Deterministic("mu_la", mu_la, dims="la")
            log_s0 = pm.Normal("log_sigma_0", np.log(0.05), 1.0)
            tau_s = pm.HalfNormal("tau_sigma", 0.5)
            w = pm.Normal("w_la", 0.0, 1.0, dims="la")
            sigma_la = pm.Deterministic("sigma_la", pm.math.exp(log_s0 + tau_s * w), dims="la")
            phi = pm.Beta("phi", 2.0, 2.0)
            m = mu_la[la_idx]
            mean = pm.math.switch(has_prev, m + phi * (prev - m), m)
            scale = pm.math.switch(has_prev, sigma_la[la_idx],
                                   sigma_la[la_idx] / pm.math.sqrt(1 - phi ** 2))
            if len(obs):
                pm.StudentT("g", nu=NU, mu=mean, sigma=scale, observed=obs)
        self.model_ = model
        return model

    # ------------------------------------------------------------------ fit
    def _fit(self, clean):
        import arviz as az
        import pymc as pm

        model = self.build_model(clean)
        with model, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", FutureWarning)
            # one seed -> independent streams for the sampler / optimiser and the draws from it
            fit_seed, draw_seed = _child_seeds(self.seed, 2)
            cfg = self.sampler_config
            if self.fit_method == "nuts":
                idata = pm.sample(draws=cfg["draws"], tune=cfg["tune"], chains=cfg["chains"],
                                  cores=self.cores or min(cfg["chains"], 2), random_seed=fit_seed,
                                  target_accept=cfg["target_accept"], progressbar=self.progress,
                                  compute_convergence_checks=False)
            else:
                approx = pm.fit(n=self.advi_iterations, method="advi", random_seed=fit_seed,
                                progressbar=self.progress)
                idata = approx.sample(cfg["draws"] * cfg["chains"], random_seed=draw_seed)
        self.idata_ = idata
        post = idata.posterior
        self.mu_draws_ = post["mu_la"].stack(s=("chain", "draw")).transpose("la", "s").values
        self.sigma_draws_ = post["sigma_la"].stack(s=("chain", "draw")).transpose(
            "la", "s").values
        self.phi_draws_ = post["phi"].stack(s=("chain", "draw")).values
        self.diagnostics_ = {}
        if self.fit_method == "nuts":
            names = ["mu_england", "tau_region", "tau_la", "log_sigma_0", "tau_sigma", "phi",
                     "mu_la", "sigma_la"]
            rhat = float(az.rhat(idata, var_names=names).to_array().max())
            ess = float(az.ess(idata, var_names=names).to_array().min())
            div = int(idata.sample_stats["diverging"].sum())
            self.diagnostics_ = dict(max_rhat=rhat, min_ess_bulk=ess, divergences=div)
            problems = []
            if rhat > 1.01:
                problems.append(f"max r-hat {rhat:.3f} > 1.01")
            if ess < 100 * cfg["chains"]:
                problems.append(f"min bulk ESS {ess:.0f} < {100 * cfg['chains']}")
            if div:
                problems.append(f"{div} divergent transitions")
            if problems:
                warnings.warn(f"hierarchical model ({self.measure}): " + "; ".join(problems)
                              + " - treat intervals with care or increase draws/tune",
                              SendForecastWarning, stacklevel=3)
        # shrinkage summary: raw mean growth vs posterior mean growth vs pooled means
        raw = np.nanmean(np.where(np.isfinite(self.G_), self.G_, np.nan), axis=1) \
            if self.G_.size else np.full(len(self.codes_), np.nan)
        mu_reg = post["mu_region"].mean(("chain", "draw")).values
        self.growth_ = pd.DataFrame({
            "la_code": self.codes_, "region_code": self.regions_[self.r_idx_],
            "n_growth": np.isfinite(self.G_).sum(1), "raw_mean_growth": raw,
            "posterior_growth": self.mu_draws_.mean(1), "region_growth": mu_reg[self.r_idx_],
            "england_growth": float(post["mu_england"].mean()),
            "sigma": self.sigma_draws_.mean(1)})
        last_g = self.G_[:, -1] if self.G_.shape[1] else np.full(len(self.codes_), np.nan)
        self.last_g_ = last_g

    # ------------------------------------------------------------------ forecast
    def _sample(self, horizon, draws, rng):
        S = self.mu_draws_.shape[1]
        pick = rng.integers(0, S, draws)
        mu = self.mu_draws_[:, pick]
        sig = self.sigma_draws_[:, pick]
        phi = self.phi_draws_[pick][None, :]
        g_prev = np.where(np.isfinite(self.last_g_)[:, None], self.last_g_[:, None], mu)
        last = self.Y_[:, -1][:, None]
        out = np.empty((len(mu), horizon, draws))
        level = np.log(last)
        for h in range(horizon):
            eps = rng.standard_normal(mu.shape) * sig * _T_SD
            g = mu + phi * (g_prev - mu) + eps
            level = level + g
            out[:, h, :] = np.exp(level)
            g_prev = g
        return out
