"""A synthetic election with known truth, written in the layout of the Golos data set.

The simulator draws true votes at every station, falsifies the count at a chosen share of
stations (votes moved to a beneficiary, ballot stuffing, turnout inflation), lets voters
join a reporting platform with rates that differ by option, by stratum and by station, has
protocols photographed at a non-random subset of stations, and writes the files of
``data/belarus-2020`` (``voice.csv``, ``geo-categorized.csv``, ``zubr*.csv``,
``zubr-messages.json``, ``official-totals.csv``) plus ``truth.json``. The same election is
returned in memory as an :class:`~honestcount.model.ElectionData` with its truth.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from honestcount.model import (
    BallotOption,
    Election,
    ElectionData,
)
from honestcount.sources.golos import OPTIONS as GOLOS_LAYOUT
from honestcount.sources.golos import GolosTables, golos_data, load_golos

# option id -> Golos column prefix, and the options, as the Golos loader defines them
GOLOS_OPTIONS: dict[str, str] = {oid: prefix for prefix, oid, *_ in GOLOS_LAYOUT}
BELARUS_OPTIONS: tuple[BallotOption, ...] = tuple(
    BallotOption(oid, name, kind, i) for i, (_, oid, name, kind) in enumerate(GOLOS_LAYOUT)
)
BALLOT_IDS: tuple[str, ...] = tuple(o.id for o in BELARUS_OPTIONS[:7])
VIOLATION_CODES: tuple[str, ...] = (
    "accreditation-reject",
    "let-observer-in-violation",
    "no-let-observer-in",
    "observer-pushed-away",
    "force-beforehand-voting",
    "late-report",
    "home-voting-violation",
    "wrong-voters-number",
    "no-medcine-on-poll-station",
    "non-transparent-counting",
    "observer-limitations",
    "other",
)
AREAS: tuple[str, ...] = (
    "city",
    "town_over100",
    "town_below100",
    "village",
    "minsk_suburb",
    "capital",
    "embassy",
)
# stations per region (1..8) and area, in AREAS order: the shape of Belarus 2020
_LAYOUT = np.array(
    [
        [139, 137, 145, 489, 0, 0, 0],
        [161, 88, 135, 366, 0, 0, 0],
        [219, 50, 222, 506, 0, 0, 0],
        [139, 45, 161, 311, 0, 0, 0],
        [0, 97, 257, 558, 80, 0, 0],
        [161, 104, 151, 315, 0, 0, 0],
        [0, 0, 0, 0, 2, 685, 0],
        [0, 0, 0, 0, 0, 0, 44],
    ]
)
_CENTRES = np.array(
    [[52.1, 25.0], [55.2, 29.0], [52.2, 30.0], [53.6, 24.8], [53.9, 27.6], [53.9, 30.3],
     [53.9, 27.56], [50.0, 10.0]]
)  # fmt: skip
# per area: mean registered voters, turnout, and true shares in BALLOT_IDS order
_SIZE = dict(zip(AREAS, (2100, 2000, 1400, 600, 1800, 2000, 300), strict=True))
_TURNOUT = dict(zip(AREAS, (0.66, 0.70, 0.74, 0.80, 0.68, 0.62, 0.50), strict=True))
_SUPPORT = {
    "city": (0.55, 0.30, 0.025, 0.025, 0.02, 0.06, 0.02),
    "town_over100": (0.50, 0.35, 0.025, 0.025, 0.02, 0.06, 0.02),
    "town_below100": (0.45, 0.40, 0.025, 0.025, 0.02, 0.06, 0.02),
    "village": (0.35, 0.52, 0.025, 0.02, 0.02, 0.045, 0.02),
    "minsk_suburb": (0.58, 0.27, 0.025, 0.025, 0.02, 0.06, 0.02),
    "capital": (0.62, 0.22, 0.025, 0.025, 0.02, 0.09, 0.02),
    "embassy": (0.75, 0.12, 0.02, 0.02, 0.02, 0.05, 0.02),
}
# platform participation: rate per option (BALLOT_IDS order, then not_voting) and per area
_RATE = np.array([0.40, 0.0015, 0.04, 0.015, 0.025, 0.03, 0.01, 0.003])
_AREA_RATE = dict(zip(AREAS, (1.0, 0.8, 0.7, 0.45, 1.2, 1.3, 1.4), strict=True))
_AREA_PROTOCOL = dict(zip(AREAS, (0.6, 0.4, 0.0, -1.0, 0.8, 1.0, 0.5), strict=True))

Where = Literal["random", "low_evidence", "high_evidence"]

#: Named regimes for validation (issue 15): keyword arguments of :func:`simulate`; a pair
#: (low, high) for ``falsified_share`` or ``participation`` is drawn uniformly per election.
#: Falsification moves 20-95% (``large_thefts``: 40-95%) of every other option's votes to the
#: leader at half to most stations; station coverage varies by ~20% within a stratum.
REGIMES: dict[str, dict[str, Any]] = {
    "large_thefts": {  # what the mixture assumes: thefts of at least ~a third
        "falsified_share": (0.5, 0.85),
        "theft": (0.4, 0.95),
        "kinds": {"move": 1.0},
        "falsify_where": "random",
        "protocol_bias": 0.0,
        "participation_spread": 0.2,
        "participation": (0.5, 1.25),
    },
    "widespread": {  # thefts from 20%: the small ones look honest
        "falsified_share": (0.5, 0.85),
        "theft": (0.2, 0.95),
        "kinds": {"move": 1.0},
        "falsify_where": "random",
        "protocol_bias": 0.0,
        "participation_spread": 0.2,
        "participation": (0.5, 1.25),
    },
    "weak_platform": {  # falsified where the platform is weak, protocols where it is strong
        "falsified_share": (0.5, 0.85),
        "theft": (0.2, 0.95),
        "kinds": {"move": 1.0},
        "falsify_where": "low_evidence",
        "protocol_bias": 1.0,
        "participation_spread": 0.2,
        "participation": (0.5, 1.25),
    },
    "thin": {  # ~3% of protocols known
        "falsified_share": (0.5, 0.85),
        "theft": (0.2, 0.95),
        "kinds": {"move": 1.0},
        "falsify_where": "low_evidence",
        "protocol_bias": 1.0,
        "protocol_share": 0.03,
        "participation_spread": 0.2,
        "participation": (0.5, 1.25),
    },
}


def regime_parameters(regime: str, seed: int) -> dict[str, Any]:
    """The :func:`simulate` keyword arguments of one election of ``regime`` (ranges drawn)."""
    rng = np.random.default_rng([seed, 15])
    out: dict[str, Any] = {}
    for key, value in REGIMES[regime].items():
        if key in ("falsified_share", "participation"):
            out[key] = float(rng.uniform(*value))
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class SimTruth:
    """What really happened in a simulated election (frames on the station index)."""

    votes: pd.DataFrame  # true votes per ballot option
    ballots_cast: pd.Series
    registered: pd.Series
    falsified: pd.Series
    kind: pd.Series  # "", "move", "stuff" or "inflate"
    protocol: pd.Series  # protocol published (photographed)
    participation: pd.Series  # station-level platform participation factor
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def national_votes(self) -> dict[str, float]:
        return {str(k): float(v) for k, v in self.votes.sum().items()}

    @property
    def national_shares(self) -> dict[str, float]:
        tot = self.votes.sum()
        return {str(k): float(v) for k, v in (tot / tot.sum()).items()}

    def to_json(self) -> dict[str, Any]:
        """The content of ``truth.json``."""
        v = self.votes.astype(int)
        stations = [
            {
                "id": sid,
                "registered": int(self.registered[sid]),
                "ballots_cast": int(self.ballots_cast[sid]),
                "votes": {k: int(x) for k, x in v.loc[sid].items()},
                "falsified": bool(self.falsified[sid]),
                "kind": str(self.kind[sid]),
                "protocol": bool(self.protocol[sid]),
            }
            for sid in v.index
        ]
        return {
            "params": self.params,
            "national": {
                "registered_voters": int(self.registered.sum()),
                "ballots_cast": int(self.ballots_cast.sum()),
                "votes": {k: int(x) for k, x in v.sum().items()},
                "shares": self.national_shares,
            },
            "stations": stations,
        }


@dataclass(frozen=True)
class SimulatedElection:
    """A simulated election: the evidence as ``data``, the ``truth``, and the Golos ``files``
    (file name -> DataFrame, or dict for ``zubr-messages.json``)."""

    data: ElectionData
    truth: SimTruth
    files: dict[str, Any]

    def write(self, out: str | Path) -> Path:
        """Write the Golos files and ``truth.json`` into ``out`` (created if needed)."""
        return write_golos(self.files, self.truth, out)


def _calibrate(logit: np.ndarray, target: float) -> np.ndarray:
    """Probabilities 1/(1+exp(-(logit + a))) with ``a`` chosen so that they average ``target``."""
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if (1 / (1 + np.exp(-(logit + mid)))).mean() < target:
            lo = mid
        else:
            hi = mid
    return 1 / (1 + np.exp(-(logit + (lo + hi) / 2)))


def _layout(n: int) -> np.ndarray:
    """Stations per (region, area) cell for ``n`` stations (largest remainder)."""
    exact = _LAYOUT / _LAYOUT.sum() * n
    cells = np.floor(exact).astype(int)
    rest = n - cells.sum()
    order = np.argsort(-(exact - cells), axis=None)[:rest]
    cells.flat[order] += 1
    return np.asarray(cells)


def _true_votes(
    rng: np.random.Generator, area: np.ndarray, region: np.ndarray, support_shift: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Registered voters, ballots cast and true votes per station."""
    n = len(area)
    size = np.array([_SIZE[a] for a in area], dtype=float)
    registered = np.maximum(np.round(size * rng.lognormal(-0.06, 0.35, n)), 30).astype(np.int64)
    t_mean = np.array([_TURNOUT[a] for a in area])
    turnout = rng.beta(t_mean * 60, (1 - t_mean) * 60)
    ballots = rng.binomial(registered, turnout)
    base = np.array([_SUPPORT[a] for a in area], dtype=float)
    reg_shift = rng.normal(0, 0.25, 8)[region - 1] + support_shift * 4
    odds = np.exp(reg_shift)
    base[:, 0] *= odds
    base[:, 1] /= odds
    base /= base.sum(axis=1, keepdims=True)
    pref = rng.gamma(base * 150.0)
    pref /= pref.sum(axis=1, keepdims=True)
    true = rng.multinomial(ballots, pref).astype(np.int64)

    return registered, ballots, true


def _falsify(
    rng: np.random.Generator,
    station_rate: np.ndarray,
    true: np.ndarray,
    ballots: np.ndarray,
    registered: np.ndarray,
    kinds: Mapping[str, float],
    falsified_share: float,
    falsify_where: Where,
    theft: tuple[float, float],
    stuffing: tuple[float, float],
    ben: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Which stations are falsified, how, and their official counts and ballots."""
    n = len(true)
    n_fals = int(round(falsified_share * n))
    weight = {
        "random": np.ones(n),
        "low_evidence": station_rate**-3,
        "high_evidence": station_rate**3,
    }[falsify_where]
    fals_idx = rng.choice(n, size=n_fals, replace=False, p=weight / weight.sum())
    falsified = np.zeros(n, dtype=bool)
    falsified[fals_idx] = True
    names = list(kinds)
    w = np.array([kinds[x] for x in names], dtype=float)
    kind = np.full(n, "", dtype=object)
    kind[fals_idx] = np.asarray(names, dtype=object)[rng.choice(len(names), n_fals, p=w / w.sum())]
    official = true.copy()
    off_ballots = ballots.copy()
    mv = kind == "move"
    f = rng.uniform(*theft, n)
    moved = rng.binomial(official[mv], f[mv][:, None])
    moved[:, ben] = 0
    official[mv] -= moved
    official[mv, ben] += moved.sum(axis=1)
    for kname in ("stuff", "inflate"):
        m = kind == kname
        extra = np.round(rng.uniform(*stuffing, m.sum()) * registered[m]).astype(np.int64)
        extra = np.minimum(extra, registered[m] - off_ballots[m])
        official[m, ben] += extra
        off_ballots[m] += extra

    return falsified, kind, official, off_ballots


def simulate(
    seed: int = 0,
    n_stations: int = 5767,
    out: str | Path | None = None,
    falsified_share: float = 0.3,
    kinds: Mapping[str, float] | None = None,
    theft: tuple[float, float] = (0.3, 0.9),
    stuffing: tuple[float, float] = (0.05, 0.25),
    falsify_where: Where = "random",
    beneficiary: str = "lukashenko",
    protocol_share: float = 0.24,
    protocol_bias: float = 1.0,
    falsified_protocol_odds: float = 0.7,
    participation: float = 1.0,
    participation_spread: float = 0.3,
    photo_rate: float = 0.6,
    support_shift: float = 0.0,
) -> SimulatedElection:
    """Simulate an election and its evidence.

    ``falsified_share`` of the stations are falsified; ``kinds`` weighs the kinds (default
    move 0.6, stuff 0.2, inflate 0.2). ``move`` transfers a fraction drawn from ``theft`` of
    every other option's votes to ``beneficiary``; ``stuff`` adds ballots for it (a fraction
    drawn from ``stuffing`` of the registered voters); ``inflate`` raises the reported turnout
    by such a fraction and credits it to the beneficiary. ``falsify_where``: ``random``,
    ``low_evidence`` (stations where few voters use the platform are more likely falsified) or
    ``high_evidence``. Protocols are published at ``protocol_share`` of stations, more often in
    towns, where the platform is active (``protocol_bias``) and less often where falsified
    (``falsified_protocol_odds``). Platform participation rates are scaled by
    ``participation`` and vary between stations with log-sd ``participation_spread``; a
    declared voter photographs the ballot with probability ``photo_rate``. ``support_shift``
    moves the true Tsikhanouskaya share up (positive) or down at the expense of Lukashenko.
    ``out``: also write the files there.
    """
    kinds = dict(kinds) if kinds is not None else {"move": 0.6, "stuff": 0.2, "inflate": 0.2}
    params = {k: v for k, v in locals().items() if k not in ("out",)}
    params["kinds"] = kinds
    params["theft"], params["stuffing"] = list(theft), list(stuffing)
    rng = np.random.default_rng(seed)
    k = len(BALLOT_IDS)

    # geography
    cells = _layout(n_stations)
    reg_idx, area_idx = np.nonzero(cells)
    counts = cells[reg_idx, area_idx]
    region = np.repeat(reg_idx + 1, counts)
    area = np.asarray(AREAS, dtype=object)[np.repeat(area_idx, counts)]
    n = len(region)
    station_id = np.empty(n, dtype=object)
    for r in range(1, 9):
        at = np.flatnonzero(region == r)
        station_id[at] = [f"{r:02d}-{q // 60 + 1:03d}-{q % 60 + 1:04d}" for q in range(len(at))]
    town_no = np.where(np.isin(area, ["city", "capital"]), 0, rng.integers(1, 40, n))
    towns = np.array([f"{a}-{r}-{t}" for a, r, t in zip(area, region, town_no, strict=True)])
    lat = _CENTRES[region - 1, 0] + rng.normal(0, 0.5, n) * (area != "capital")
    lon = _CENTRES[region - 1, 1] + rng.normal(0, 0.8, n) * (area != "capital")

    registered, ballots, true = _true_votes(rng, area, region, support_shift)

    # platform participation
    area_rate = np.array([_AREA_RATE[a] for a in area])
    region_rate = rng.lognormal(0, 0.1, 8)[region - 1]
    s = participation_spread
    station_rate = rng.lognormal(-(s**2) / 2, s, n) if s > 0 else np.ones(n)
    factor = area_rate * region_rate * station_rate
    rate = np.clip(participation * _RATE[None, :] * factor[:, None], 0, 0.95)
    counts_all = np.concatenate([true, (registered - ballots)[:, None]], axis=1)
    declared = rng.binomial(counts_all, rate)
    ph = np.full(k + 1, photo_rate)
    ph[-1] = photo_rate * 0.1
    photo = rng.binomial(declared, ph[None, :])

    falsified, kind, official, off_ballots = _falsify(
        rng, station_rate, true, ballots, registered, kinds, falsified_share, falsify_where,
        theft, stuffing, BALLOT_IDS.index(beneficiary),
    )  # fmt: skip

    # published protocols
    logit = np.array([_AREA_PROTOCOL[a] for a in area]) + protocol_bias * np.log(station_rate)
    logit = logit + np.log(falsified_protocol_odds) * falsified
    protocol = rng.random(n) < _calibrate(logit, protocol_share)

    sid = pd.Index(station_id, name="station_id")
    files = _golos_files(
        rng, sid, region, area, towns, lat, lon, registered, off_ballots, official, declared,
        photo, protocol, falsified,
    )  # fmt: skip
    truth = SimTruth(
        votes=pd.DataFrame(true.astype(float), index=sid, columns=list(BALLOT_IDS)),
        ballots_cast=pd.Series(ballots.astype(float), index=sid),
        registered=pd.Series(registered.astype(float), index=sid),
        falsified=pd.Series(falsified, index=sid),
        kind=pd.Series(kind.astype(str), index=sid),
        protocol=pd.Series(protocol, index=sid),
        participation=pd.Series(factor, index=sid),
        params=params,
    )
    tables = GolosTables(
        voice=files["voice.csv"],
        geo=files["geo-categorized.csv"],
        observers=files["zubr-observers.csv"],
        messages=files["zubr-messages.json"],
        codes=files["zubr-violation-codes.csv"],
        totals=files["official-totals.csv"],
        where=Path(f"<simulated election, seed {seed}>"),
    )
    data = golos_data(tables, Election(f"sim-{seed}", f"Simulated election (seed {seed})", "XX"))
    sim = SimulatedElection(data, truth, files)
    if out is not None:
        sim.write(out)
    return sim


def _golos_files(
    rng: np.random.Generator,
    sid: pd.Index,
    region: np.ndarray,
    area: np.ndarray,
    towns: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    registered: np.ndarray,
    off_ballots: np.ndarray,
    official: np.ndarray,
    declared: np.ndarray,
    photo: np.ndarray,
    protocol: np.ndarray,
    falsified: np.ndarray,
) -> dict[str, Any]:
    n = len(sid)
    geo = pd.DataFrame(
        {
            "id": sid.to_numpy(),
            "town": towns,
            "area": area,
            "latitude": lat.round(6),
            "longitude": lon.round(6),
            "region": region,
        }
    )
    # voice.csv: stations where the platform has users or a protocol was collected
    present = (declared.sum(axis=1) > 0) | protocol
    prot = protocol.astype(bool)
    off = pd.DataFrame(official, index=sid, columns=list(BALLOT_IDS)).astype("Int64")
    off[~prot] = pd.NA
    voice = pd.DataFrame(index=sid)
    voice["id"] = sid.to_numpy()
    voice["monitoredVotes"] = pd.array([pd.NA] * n, dtype="Int64")
    voice["registered"] = declared.sum(axis=1)
    voice["photoVoices"] = photo.sum(axis=1)
    voice["officialVotes"] = off.sum(axis=1).where(prot).astype("Int64")
    # officialVoters is the protocol's count of voters on the list, as in the real files
    voters = pd.Series(registered, index=sid).astype("Int64").where(prot)
    voters = voters.mask(rng.random(n) < 0.04)  # a line sometimes unreadable on the photo
    voice["officialVoters"] = voters
    all_ids = [*BALLOT_IDS, "not_voting"]
    for oid in sorted(GOLOS_OPTIONS, key=lambda x: GOLOS_OPTIONS[x]):
        g = GOLOS_OPTIONS[oid]
        j = all_ids.index(oid)
        voice[f"{g}_registered"] = declared[:, j]
        if oid == "not_voting":
            voice[f"{g}_officialVotes"] = pd.array([pd.NA] * n, dtype="Int64")
        elif oid == "invalid":  # the source leaves zero spoiled ballots empty
            voice[f"{g}_officialVotes"] = off[oid].where(off[oid] != 0)
        else:
            voice[f"{g}_officialVotes"] = off[oid]
        voice[f"{g}_photoVoices"] = photo[:, j]
    voice = voice[present].reset_index(drop=True)

    observers = np.where(rng.random(n) < 0.5, 0, rng.geometric(0.4, n))
    p_viol = np.array([0.004, 0.01, 0.15, 0.03, 0.01, 0.06, 0.013, 0.12, 0.04, 0.03, 0.1, 0.12])
    boost = np.where(falsified, 1.8, 0.8) * np.where(observers > 0, 1.6, 0.1)
    viol = rng.random((n, len(VIOLATION_CODES))) < np.minimum(p_viol[None] * boost[:, None], 1)
    zubr_id = np.arange(155, 155 + n)
    zobs = pd.DataFrame({"id": sid.to_numpy(), "zubr_id": zubr_id, "observers": observers})
    zubr = zobs.copy()
    for c, name in enumerate(VIOLATION_CODES):
        zubr[name] = viol[:, c]
    messages = {
        s: [int(c) for c in rng.permutation(np.flatnonzero(v))]
        for s, v in zip(sid, viol, strict=True)
    }
    codes = pd.DataFrame({"code": range(len(VIOLATION_CODES)), "reason": VIOLATION_CODES})

    nat = official.sum(axis=0)
    nat_ballots = int(off_ballots.sum())
    note = "simulated"
    rows = [
        ("registered_voters", int(registered.sum()), note),
        ("ballots_cast", nat_ballots, f"simulated ({nat_ballots / registered.sum():.2%} turnout)"),
        ("early_voting", int(round(0.45 * nat_ballots)), note),
    ]
    for oid in ("lukashenko", "tsikhanouskaya", "dzmitryieu", "kanapatskaya", "cherachen",
                "against_all"):  # fmt: skip
        v = int(nat[BALLOT_IDS.index(oid)])
        rows.append((oid, v, f"{v / nat_ballots:.2%}"))
    totals = pd.DataFrame(rows, columns=["line", "value", "note"])
    return {
        "voice.csv": voice,
        "geo-categorized.csv": geo,
        "zubr.csv": zubr,
        "zubr-observers.csv": zobs,
        "zubr-violation-codes.csv": codes,
        "zubr-messages.json": messages,
        "official-totals.csv": totals,
    }


def write_golos(files: Mapping[str, Any], truth: SimTruth | None, out: str | Path) -> Path:
    """Write the Golos files (and ``truth.json`` if given) into the folder ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, obj in files.items():
        if name.endswith(".json"):
            (out / name).write_text(json.dumps(obj))
        else:
            obj.to_csv(out / name, index=False)
    if truth is not None:
        (out / "truth.json").write_text(json.dumps(truth.to_json()))
    return out


def read_golos(folder: str | Path, election: Election | None = None) -> ElectionData:
    """Read a Golos-layout folder (real or simulated) with the project's Golos loader."""
    return load_golos(Path(folder), election or Election("sim", "Simulated election", "XX"))
