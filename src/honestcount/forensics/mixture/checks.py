"""Model checking: parametric predictive checks of the fitted mixture."""

from __future__ import annotations

import numpy as np

from honestcount.forensics.mixture.model import design
from honestcount.forensics.mixture.results import MixtureFit, PredictiveCheck
from honestcount.forensics.mixture.simulator import draw_counts


def _histograms(
    registered: np.ndarray, ballots: np.ndarray, valid: np.ndarray, leader: np.ndarray
) -> dict[str, np.ndarray]:
    turnout = np.clip(ballots / registered, 0.0, 1.0)
    share = np.clip(leader / valid, 0.0, 1.0)
    e1 = np.linspace(0.0, 1.0, 101)
    e2 = np.linspace(0.0, 1.0, 51)
    return {
        "fingerprint": np.histogram2d(turnout, share, bins=[e2, e2])[0],
        "turnout": np.histogram(turnout, bins=e1)[0].astype(float),
        "share": np.histogram(share, bins=e1)[0].astype(float),
    }


def _discrepancy(obs: np.ndarray, expected: np.ndarray) -> float:
    return float(np.sum((obs - expected) ** 2 / (expected + 1.0)))


def predictive_check(fit: MixtureFit, *, n_replicates: int = 19, seed: int = 0) -> PredictiveCheck:
    """Parametric predictive check of the fingerprint and the turnout and share distributions.

    Replicates are drawn from the fitted model for the used stations (their registered voters,
    covariates and observed share of invalid ballots). The predictive mean of each histogram
    comes from ``n_replicates`` draws; the discrepancy ``sum (O - E)^2 / (E + 1)`` of the data
    is compared with that of ``n_replicates`` further draws (p-value = share at least as large).
    Small p-values say the model does not reproduce that feature of the data.
    """
    inp = fit.inputs
    th = inp.params
    used = fit.used
    N = inp.registered[used]
    V, K, W = inp.ballots_cast[used], inp.valid[used], inp.leader[used]
    Xt = design(inp.x_turnout, len(used))[used]
    Xs = design(inp.x_share, len(used))[used]
    inval = np.where(V > 0, (V - K) / np.maximum(V, 1), 0.0)
    rng = np.random.default_rng(seed)
    obs = _histograms(N, V, K, W)
    reps: dict[str, list[np.ndarray]] = {k: [] for k in obs}
    for _ in range(2 * n_replicates):
        v, k, w, *_ = draw_counts(
            rng,
            N,
            Xt @ th.beta_t,
            Xs @ th.beta_s,
            th.sig_t,
            th.sig_s,
            th.pi,
            inp.ranges,
            th.shape,
            inval,
        )
        for name, h in _histograms(N, v, k, w).items():
            reps[name].append(h)
    stats, pvals, expected = {}, {}, {}
    for name, hs in reps.items():
        first = np.mean(hs[:n_replicates], axis=0)
        expected[name] = first
        d_obs = _discrepancy(obs[name], first)
        d_rep = np.array([_discrepancy(h, first) for h in hs[n_replicates:]])
        stats[name] = d_obs
        pvals[name] = float((1 + np.sum(d_rep >= d_obs)) / (1 + n_replicates))
    return PredictiveCheck(stats, pvals, n_replicates, obs, expected, np.linspace(0, 1, 101))
