"""Simulated elections for validating the forensics battery.

A clean election has heterogeneous stations (a mix of small rural and larger urban stations),
regions that differ in turnout and in support, districts nested in regions, and coordinates.
Each station's turnout and candidate shares are drawn around its region's (logit-normal), and
the protocol is then drawn: ballots ~ Bin(registered, turnout), invalid ~ Bin(ballots, small),
valid votes ~ Multinomial(valid, shares). Manipulations are applied on top, station by station:

* ``stuffing``: a share of stations (concentrated in some regions) get extra ballots for the
  leader, a fraction ``stuffing_intensity`` (uniform range) of their non-voters;
* ``transfer``: a share of stations move a fraction ``transfer_fraction`` of every other
  candidate's votes to the leader (turnout unchanged);
* ``rounding``: a share of stations have their protocol written to targets: turnout raised to
  the next whole percent and the leader's result to the next whole percent, the extra ballots
  going to the leader and the others scaled down.

The truth (stations touched and vote volumes added) is returned with the ``ElectionData``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from honestcount.model import ElectionData


@dataclass(frozen=True)
class SimulationTruth:
    """What was planted. Vote volumes are totals over stations: ``stuffed_votes`` and
    ``rounded_extra_votes`` are ballots added for the leader, ``transferred_votes`` and
    ``rounded_moved_votes`` votes moved from the others to the leader."""

    leader: str
    clean_leader_votes: int
    clean_ballots: int
    stuffed_votes: int
    transferred_votes: int
    rounded_extra_votes: int
    rounded_moved_votes: int
    stuffed: np.ndarray
    transferred: np.ndarray
    rounded: np.ndarray

    @property
    def added_leader_votes(self) -> int:
        """Leader votes added by stuffing and rounding (ballots that were never cast)."""
        return self.stuffed_votes + self.rounded_extra_votes


@dataclass(frozen=True)
class SimulatedElection:
    data: ElectionData
    truth: SimulationTruth


def _logit(p: float | np.ndarray) -> np.ndarray:
    return np.asarray(np.log(p) - np.log1p(-np.asarray(p)))


def _expit(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def _station_sizes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    rural = rng.random(n) < 0.35
    size = np.where(
        rural,
        rng.lognormal(np.log(450.0), 0.6, n),
        rng.lognormal(np.log(1900.0), 0.35, n),
    )
    return np.clip(np.round(size), 60, 4500).astype(np.int64), rural


def simulate_election(
    n_stations: int = 5000,
    n_regions: int = 20,
    *,
    seed: int = 0,
    n_candidates: int = 4,
    turnout_mean: float = 0.55,
    leader_mean: float = 0.50,
    region_sd: float = 0.2,
    station_sd: float = 0.2,
    support_turnout_corr: float = 0.0,
    invalid_rate: float = 0.015,
    stuffing: float = 0.0,
    stuffing_intensity: tuple[float, float] = (0.3, 0.8),
    transfer: float = 0.0,
    transfer_fraction: float = 0.2,
    rounding: float = 0.0,
    registered_known: bool = True,
    coordinates: bool = True,
    districts_per_region: int = 8,
) -> SimulatedElection:
    """Simulate an election (see the module docstring); manipulation rates are shares of stations.

    ``region_sd``/``station_sd`` are logit-scale spreads of turnout and support;
    ``support_turnout_corr`` correlates regional support with regional turnout (0: honest
    support independent of turnout, the assumption of Shpilkin's method).
    """
    rng = np.random.default_rng(seed)
    n = n_stations
    reg_id = rng.integers(0, n_regions, n)
    dist_id = rng.integers(0, districts_per_region, n)
    size, rural = _station_sizes(rng, n)

    # regional means on the logit scale, optionally correlated
    zt = rng.standard_normal(n_regions)
    zs = support_turnout_corr * zt + np.sqrt(1 - support_turnout_corr**2) * rng.standard_normal(
        n_regions
    )
    t_region = _logit(turnout_mean) + region_sd * zt
    s_region = _logit(leader_mean) + region_sd * zs
    turnout = _expit(t_region[reg_id] + 0.15 * rural + station_sd * rng.standard_normal(n))
    lead_p = _expit(s_region[reg_id] + station_sd * rng.standard_normal(n))
    # other candidates split the rest with regional flavour
    base = rng.dirichlet(np.full(n_candidates - 1, 2.0), n_regions)
    other = rng.gamma(40.0 * base[reg_id], 1.0)
    other /= other.sum(axis=1, keepdims=True)
    shares = np.column_stack([lead_p, (1 - lead_p)[:, None] * other])

    ballots = rng.binomial(size, turnout)
    invalid = rng.binomial(ballots, invalid_rate)
    votes = rng.multinomial(ballots - invalid, shares)
    clean_leader, clean_ballots = int(votes[:, 0].sum()), int(ballots.sum())

    # ballot stuffing, concentrated in some regions
    propensity = rng.gamma(0.7, 1.0 / 0.7, n_regions)
    p_stuff = np.clip(stuffing * propensity[reg_id], 0.0, 0.95)
    stuffed = rng.random(n) < p_stuff
    lo, hi = stuffing_intensity
    extra = np.where(stuffed, rng.binomial(size - ballots, rng.uniform(lo, hi, n)), 0)
    ballots = ballots + extra
    votes[:, 0] += extra

    # vote transfer from the others to the leader
    transferred = rng.random(n) < transfer
    moved = np.where(transferred[:, None], rng.binomial(votes[:, 1:], transfer_fraction), 0)
    votes[:, 1:] -= moved
    votes[:, 0] += moved.sum(axis=1)

    # protocols written to whole-percent targets
    rounded = rng.random(n) < rounding
    rounded_extra, rounded_moved = _round_to_targets(rounded, size, ballots, invalid, votes)
    data = _election_data(
        rng,
        seed,
        size,
        rural,
        reg_id,
        dist_id,
        n_regions,
        districts_per_region,
        ballots,
        invalid,
        votes,
        registered_known,
        coordinates,
    )
    truth = SimulationTruth(
        leader="leader",
        clean_leader_votes=clean_leader,
        clean_ballots=clean_ballots,
        stuffed_votes=int(extra.sum()),
        transferred_votes=int(moved.sum()),
        rounded_extra_votes=rounded_extra,
        rounded_moved_votes=rounded_moved,
        stuffed=stuffed,
        transferred=transferred,
        rounded=rounded,
    )
    return SimulatedElection(data, truth)


def _round_to_targets(
    rounded: np.ndarray,
    size: np.ndarray,
    ballots: np.ndarray,
    invalid: np.ndarray,
    votes: np.ndarray,
) -> tuple[int, int]:
    """Write the ``rounded`` stations' protocols to whole-percent targets, in place; returns
    the ballots added for the leader and the votes moved to the leader."""
    if not rounded.any():
        return 0, 0
    r = np.nonzero(rounded)[0]
    n_r = size[r]
    t_target = np.minimum(np.floor(100 * ballots[r] / n_r) + 1, 100)
    new_ballots = np.maximum(np.round(t_target * n_r / 100).astype(np.int64), ballots[r])
    add = new_ballots - ballots[r]
    votes[r, 0] += add
    ballots[r] = new_ballots
    valid_r = new_ballots - invalid[r]
    s_target = np.minimum(np.floor(100 * votes[r, 0] / new_ballots) + 1, 100)
    lead_new = np.clip(np.round(s_target * new_ballots / 100).astype(np.int64), 0, valid_r)
    lead_new = np.maximum(lead_new, votes[r, 0])
    rest = valid_r - lead_new
    oth = votes[r, 1:].astype(float)
    tot = oth.sum(axis=1, keepdims=True)
    scaled = np.floor(np.where(tot > 0, oth / np.maximum(tot, 1) * rest[:, None], 0.0))
    scaled = scaled.astype(np.int64)
    short = rest - scaled.sum(axis=1)
    scaled[np.arange(r.size), np.argmax(oth, axis=1)] += short
    moved = int((lead_new - votes[r, 0]).sum())
    votes[r, 0] = lead_new
    votes[r, 1:] = scaled
    return int(add.sum()), moved


def _election_data(
    rng: np.random.Generator,
    seed: int,
    size: np.ndarray,
    rural: np.ndarray,
    reg_id: np.ndarray,
    dist_id: np.ndarray,
    n_regions: int,
    districts_per_region: int,
    ballots: np.ndarray,
    invalid: np.ndarray,
    votes: np.ndarray,
    registered_known: bool,
    coordinates: bool,
) -> ElectionData:
    """The simulated protocols as an election (coordinates drawn here, after the counts)."""
    import pandas as pd

    from honestcount.model import (
        STATION_COLUMNS,
        BallotOption,
        Election,
        ElectionData,
        OfficialSource,
        OptionKind,
    )

    n = len(size)
    valid = ballots - invalid
    ids = pd.Index([f"S{i:06d}" for i in range(n)], name="station_id")
    region_names = np.array([f"Region {k:02d}" for k in range(n_regions)])
    district = np.char.add(np.char.add(region_names[reg_id], " / District "), dist_id.astype(str))
    lat = lon = np.full(n, np.nan)
    if coordinates:
        centre_lat = rng.uniform(45, 65, n_regions)
        centre_lon = rng.uniform(30, 110, n_regions)
        off = rng.normal(0, 1.0, (n_regions, districts_per_region, 2))
        lat = centre_lat[reg_id] + off[reg_id, dist_id, 0] + rng.normal(0, 0.15, n)
        lon = centre_lon[reg_id] + off[reg_id, dist_id, 1] + rng.normal(0, 0.25, n)
    registered = size.astype(float) if registered_known else np.full(n, np.nan)
    stations = pd.DataFrame(
        {
            "region": region_names[reg_id],
            "district": district,
            "settlement_type": np.where(rural, "rural", "urban"),
            "town": district,
            "name": [f"Station {i}" for i in range(n)],
            "latitude": lat,
            "longitude": lon,
            "registered_voters": registered,
            "url": "",
        },
        index=ids,
    )[list(STATION_COLUMNS)]
    lines = pd.DataFrame(
        {
            "registered": registered,
            "ballots_cast": ballots.astype(float),
            "valid": valid.astype(float),
            "invalid": invalid.astype(float),
        },
        index=ids,
    )
    options = [BallotOption("leader", "Leader", OptionKind.CANDIDATE, 1)] + [
        BallotOption(f"cand{k}", f"Candidate {k}", OptionKind.CANDIDATE, k)
        for k in range(2, votes.shape[1] + 1)
    ]
    option_ids = [o.id for o in options]
    official = pd.DataFrame(votes.astype(float), index=ids, columns=option_ids)
    empty = pd.DataFrame(np.nan, index=ids, columns=option_ids)
    return ElectionData(
        election=Election(
            id=f"sim-{seed}",
            name="Simulated election",
            country="ZZ",
            protocol_schema="generic",
            source="honestcount.forensics.simulate",
        ),
        options=options,
        stations=stations,
        lines=lines,
        official=official,
        official_source=pd.Series(OfficialSource.COMMISSION_FEED.value, index=ids, dtype=object),
        declared=empty.copy(),
        photo=empty.copy(),
        observers=pd.DataFrame(
            {"observers": np.nan, "turnout_count": np.nan}, index=ids, dtype=float
        ),
        violations=pd.DataFrame({"station_id": pd.Series(dtype=str), "code": pd.Series(dtype=str)}),
    )
