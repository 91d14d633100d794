"""Pipeline-aware forecast of assessments, new plans and caseload from the statutory pipeline.

The flows of the statutory pipeline (requests -> assessments -> plans) as one forecasting
method, :class:`PipelineForecaster` (method key ``"pipeline"``).  It knows the
:class:`~.interface.Forecaster` contract and takes its requests model as a Forecaster
*instance*; it knows nothing about the registry of methods.

* ``assessments(t) = requests(t) x P(assess)`` and
  ``new_plans(t) = requests(t) x P(assess) x P(issue)`` with requests forecast by
  ``requests_model`` (the registry's default is drift: fast and, in the backtest, as good as
  the others for requests), P(assess) = assessments / requests and
  P(issue) = new plans / assessments, each the LA's mean over the last
  ``rate_years`` years on the logit scale, shrunk toward the national value
  (empirical Bayes: the LA's weight is ``tau^2 / (tau^2 + s_i^2 / n_i)`` with
  ``tau^2`` the between-LA variance).  The same-year ratio ignores the
  request-to-plan lag of up to 20 weeks; over a year it mostly cancels.
* ``caseload(t+1) = caseload(t) x continuation + new_plans(t)`` (caseload is
  a January census, new plans a calendar year, so plans made in year t join
  the census of t+1).  Continuation is the implied share of last January's
  plans still held a year later (net of transfers in and out),
  ``(caseload(t+1) - new_plans(t)) / caseload(t)``, averaged over the last
  ``rate_years`` years and shrunk toward the national value the same way.

Requests are the pipeline's input, not one of its outputs: ``measure="requests"``
raises :class:`~sendforecast.errors.UsageError` (it would only relabel the requests
sub-model; use that method, e.g. ``drift``, directly).  Series are aligned per LA: an
LA whose newest year is missing is forecast from its own last year, using its observed
requests where a target year has them and the requests sub-model's draws after.

Uncertainty by simulation: request paths x rate draws (parameter uncertainty
plus year-to-year variation of the rates), then the caseload recursion with
continuation draws.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from .history import clean_history, to_matrix
from .interface import Forecaster

#: Measures the pipeline method forecasts: requests x P(assess) -> assessments,
#: x P(issue) -> new plans, + continuation -> caseload.  Requests are its *input*
#: (forecast by its requests model): asking the pipeline for requests would only relabel
#: that model, so it is refused with a pointer to the methods that do.
PIPELINE_MEASURES = ("assessments", "new_plans", "caseload")

#: the conversion rates each measure multiplies the requests by
STAGES = {"assessments": ("p_assess",), "new_plans": ("p_assess", "p_issue"),
          "caseload": ("p_assess", "p_issue")}


def _logit(p):
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def _expit(x):
    return 1 / (1 + np.exp(-x))


def _shrunk(x: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per-row (LA) mean of the columns shrunk toward the median; returns mean, sd_param, sd_year."""
    n = x.notna().sum(axis=1)
    m = x.mean(axis=1)
    v = x.var(axis=1, ddof=1)
    pool_v = float(np.nanmedian(v)) if v.notna().any() else 0.05
    v = v.fillna(pool_v)
    v = (n.clip(lower=1) * v + 3 * pool_v) / (n.clip(lower=1) + 3)  # pooled year-to-year variance
    centre = float(np.nanmedian(m)) if m.notna().any() else 0.0
    tau2 = max(float(np.nanvar(m)) - float(np.nanmean(v / n.clip(lower=1))), 1e-4)
    se2 = v / n.clip(lower=1)
    w = tau2 / (tau2 + se2)
    post = (w * m.fillna(centre) + (1 - w) * centre).where(n > 0, centre)
    post_sd = np.sqrt(w * se2).where(n > 0, np.sqrt(tau2))
    return post, post_sd, np.sqrt(v)


class PipelineForecaster(Forecaster):
    """Requests x P(assess) [x P(issue)] -> assessments [new plans]; caseload by continuation
    + new plans.

    ``requests_model`` is an unfitted :class:`~.interface.Forecaster` of requests (e.g.
    ``DriftForecaster("requests")``); ``fit`` fits a copy of it (``requests_model_``) on the
    requests rows.  ``rate_years``: the newest years the rates are averaged over.
    """

    name = "pipeline"
    min_years = 2
    pooled = True
    inputs = ("requests", "assessments", "new_plans", "caseload")
    measures = PIPELINE_MEASURES

    def __init__(self, measure: str | None = "caseload", *, requests_model: Forecaster,
                 rate_years: int = 4):
        super().__init__(measure)
        if not isinstance(requests_model, Forecaster):
            raise TypeError(f"requests_model must be a Forecaster instance, not "
                            f"{type(requests_model).__name__}")
        self.requests_model, self.rate_years = requests_model, rate_years

    @classmethod
    def refusal(cls, measure: str | None) -> str:
        return (f"the pipeline method forecasts {', '.join(PIPELINE_MEASURES)} from requests "
                f"(requests x P(assess) x P(issue)), not {measure}")

    def _prepare(self, history: pd.DataFrame) -> pd.DataFrame:
        """Fit the requests model, clean the target measure and keep the LAs both have."""
        h = history.copy()
        h["la_code"] = h["la_code"].astype(str)
        self.names_ = (h.drop_duplicates("la_code").set_index("la_code")["la_name"]
                       if "la_name" in h else pd.Series(dtype=object))
        wide = h.pivot_table(index="la_code", columns=["measure", "year"], values="value",
                             aggfunc="first")
        target_clean, warn = clean_history(h, self.measure)
        req = copy.deepcopy(self.requests_model)
        req.fit(h[h["measure"] == "requests"])
        self.requests_model_ = req
        codes_t = set(target_clean["la_code"])
        codes = sorted(codes_t & set(req.codes_))
        self.excluded_ = sorted(codes_t - set(codes))
        for c in self.excluded_:
            warn.loc[len(warn)] = (c, "too short for pipeline (no usable requests or target history)")
        self.warnings_ = warn
        target_clean = target_clean[target_clean["la_code"].isin(codes)]
        self.codes_, self.last_years_, self.Y_ = to_matrix(target_clean)
        self.clean_ = target_clean
        self.wide_ = wide
        return target_clean

    def _fit(self, clean: pd.DataFrame) -> None:
        """Conversion rates (and continuation, for caseload) per LA, shrunk toward the median."""
        wide, k = self.wide_, self.rate_years

        def block(m):
            return wide[m] if m in wide.columns.get_level_values(0) else pd.DataFrame(index=wide.index)

        rq, asm, npl, cl = block("requests"), block("assessments"), block("new_plans"), block("caseload")
        yrs = sorted(set(rq.columns) & set(asm.columns) & set(npl.columns))[-k:]
        pa = (asm[yrs] / rq[yrs]).where(lambda x: (x > 0) & (x < 1.5))
        pi = (npl[yrs] / asm[yrs]).where(lambda x: (x > 0) & (x < 1.5))
        self.rates_ = {}
        for name, r in (("p_assess", pa), ("p_issue", pi)):
            m, sd_par, sd_year = _shrunk(_logit(r.clip(upper=0.999)))
            self.rates_[name] = pd.DataFrame({"logit": m, "sd_param": sd_par, "sd_year": sd_year})
        if self.measure == "caseload":
            cy = sorted(cl.columns)
            pairs = [(t, t + 1) for t in cy if t + 1 in cy and t in npl.columns][-k:]
            cont = pd.DataFrame({t1: (cl[t1] - npl[t]) / cl[t] for t, t1 in pairs})
            cont = cont.where((cont > 0.5) & (cont < 1.2))
            m, sd_par, sd_year = _shrunk(cont)
            self.continuation_ = pd.DataFrame({"mean": m, "sd_param": sd_par, "sd_year": sd_year})

    def _rate_draws(self, name, codes, horizon, draws, rng):
        r = self.rates_[name].reindex(codes)
        for c in ("logit", "sd_param", "sd_year"):
            r[c] = r[c].fillna(r[c].median())
        base = r["logit"].to_numpy()[:, None, None] + r["sd_param"].to_numpy()[:, None, None] * \
            rng.standard_normal((len(codes), 1, draws))
        year = r["sd_year"].to_numpy()[:, None, None] * rng.standard_normal(
            (len(codes), horizon, draws))
        return _expit(base + year)

    def flow_draws(self, first_years, horizon: int, draws: int, rng,
                   stages: tuple[str, ...] = ("p_assess", "p_issue")) -> np.ndarray:
        """Paths of requests x the ``stages`` rates for the calendar years ``first_years[i]``
        .. ``+ horizon - 1`` of each series (S x H x D): observed requests where the year has
        them, the requests sub-model's draws after its last year."""
        req = self.requests_model_
        idx = {c: i for i, c in enumerate(req.codes_)}
        sel = np.array([idx[c] for c in self.codes_], dtype=int)
        req_last = req.last_years_[sel]
        # step of each target year on the requests sub-model (1 = its first forecast year)
        steps = np.asarray(first_years, int)[:, None] + np.arange(horizon)[None, :] \
            - req_last[:, None]
        rd = req.sample(max(int(steps.max()), 1), draws, seed=int(rng.integers(2**31)))[sel]
        flow = np.empty((len(sel), horizon, draws))
        for i, j in np.ndindex(steps.shape):
            s = int(steps[i, j])
            if s >= 1:
                flow[i, j] = rd[i, s - 1]
            else:  # an observed year (the clean run is right-aligned on the last year)
                col = req.Y_.shape[1] - 1 + s
                flow[i, j] = req.Y_[sel[i], col] if col >= 0 else np.nan
        for name in stages:
            flow = flow * self._rate_draws(name, self.codes_, horizon, draws, rng)
        return flow

    def new_plan_draws(self, horizon: int, draws: int, rng) -> np.ndarray:
        """New-plan paths (S x H x D) for the years after each series' last target year."""
        return self.flow_draws(self.last_years_ + 1, horizon, draws, rng)

    def _sample(self, horizon, draws, rng):
        if self.measure in ("assessments", "new_plans"):
            return self.flow_draws(self.last_years_ + 1, horizon, draws, rng,
                                   STAGES[self.measure])
        # caseload: new plans in calendar years last_census .. last_census + h - 1
        npd = self.flow_draws(self.last_years_, horizon, draws, rng)
        c = self.continuation_.reindex(self.codes_)
        for col in c.columns:
            c[col] = c[col].fillna(c[col].median())
        cont_base = c["mean"].to_numpy()[:, None] + c["sd_param"].to_numpy()[:, None] * \
            rng.standard_normal((len(self.codes_), draws))
        level = np.repeat(self.Y_[:, -1][:, None], draws, axis=1)
        out = np.empty((len(self.codes_), horizon, draws))
        for h in range(horizon):
            cont = cont_base + c["sd_year"].to_numpy()[:, None] * rng.standard_normal(level.shape)
            level = level * np.clip(cont, 0.3, 1.3) + npd[:, h, :]
            out[:, h, :] = level
        return out
