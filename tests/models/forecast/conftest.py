"""Fixtures of the forecasting tests: a stand-in for PyMC's samplers.

``mock_sample`` replaces ``pm.sample`` (NUTS) and ``pm.fit`` (ADVI) by a tiny fixed posterior
drawn with numpy, in the manner of pymc-marketing's ``mock_sample`` fixture
(tests/conftest.py there), so the hierarchical forecaster's orchestration - model building,
seeds, sampler settings, posterior handling, diagnostics, forecasting by simulation and the
orchestrator around it - runs in the default test run.  The posterior is not drawn from the
model's prior predictive: that needs a PyTensor compile (seconds), and this stand-in takes
milliseconds.  The real fits are the tests marked ``slow``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest


@dataclass
class StandInSampler:
    """What the stand-in was called with (one dict per call) and what it should report."""

    calls: list[dict] = field(default_factory=list)
    #: divergent transitions the NUTS stand-in reports (spread over the first draws)
    divergences: int = 0

    def posterior(self, model, chains: int, draws: int, seed):
        """Draws near 4% growth, 5% volatility and damping 0.5, in ``az.InferenceData``."""
        import arviz as az

        rng = np.random.default_rng(seed)
        la, region = list(model.coords["la"]), list(model.coords["region"])
        s = (chains, draws)

        def normal(mean, sd, *extra):
            return mean + sd * rng.standard_normal(s + extra)

        post = {
            "mu_england": normal(0.04, 0.005), "tau_region": np.abs(normal(0.0, 0.01)),
            "tau_la": np.abs(normal(0.0, 0.01)), "log_sigma_0": normal(np.log(0.05), 0.05),
            "tau_sigma": np.abs(normal(0.0, 0.1)), "phi": normal(0.5, 0.05),
            "mu_region": normal(0.04, 0.005, len(region)), "mu_la": normal(0.04, 0.005, len(la)),
            "sigma_la": 0.05 * np.exp(normal(0.0, 0.1, len(la))),
        }
        diverging = np.zeros(s, bool)
        diverging.flat[:self.divergences] = True
        return az.from_dict(posterior=post, sample_stats={"diverging": diverging},
                            coords={"la": la, "region": region},
                            dims={"mu_region": ["region"], "mu_la": ["la"], "sigma_la": ["la"]})


@pytest.fixture
def mock_sample(monkeypatch):
    """Patch ``pm.sample`` and ``pm.fit`` with the stand-in; returns the :class:`StandInSampler`."""
    import pymc as pm

    stand_in = StandInSampler()

    def sample(*, draws, tune, chains, random_seed, **kwargs):
        model = pm.modelcontext(None)
        stand_in.calls.append(dict(kind="nuts", draws=draws, tune=tune, chains=chains,
                                   random_seed=random_seed, model=model, **kwargs))
        return stand_in.posterior(model, chains, draws, random_seed)

    class Approximation:
        def __init__(self, model):
            self.model = model

        def sample(self, draws, random_seed=None):
            stand_in.calls.append(dict(kind="advi draws", draws=draws, random_seed=random_seed))
            return stand_in.posterior(self.model, 1, draws, random_seed)

    def fit(n, method, random_seed=None, **kwargs):
        model = pm.modelcontext(None)
        stand_in.calls.append(dict(kind="advi", n=n, method=method, random_seed=random_seed,
                                   model=model, **kwargs))
        return Approximation(model)

    monkeypatch.setattr(pm, "sample", sample)
    monkeypatch.setattr(pm, "fit", fit)
    return stand_in
