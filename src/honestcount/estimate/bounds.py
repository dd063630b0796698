"""Hard lower bounds on each option's votes from what is on paper and on photos."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class LowerBounds:
    """Lower bounds per option (indexed by option id).

    ``votes``: max(official, photo-confirmed) where a protocol is known, photo-confirmed
    elsewhere. ``photo_votes``: photo-confirmed ballots only (the bound that trusts no
    commission). ``share``/``photo_share``: as a fraction of ``ballots_cast``.
    """

    votes: pd.Series
    photo_votes: pd.Series
    share: pd.Series
    photo_share: pd.Series
    ballots_cast: float
    stations_with_protocol: int


def station_lower_bounds(official: pd.DataFrame, photo: pd.DataFrame) -> pd.DataFrame:
    """Per station and option: max(official, photo) where official is known, else photo."""
    off = official.reindex(columns=photo.columns).to_numpy(float)
    ph = np.nan_to_num(photo.to_numpy(float), nan=0.0)
    lb = np.where(np.isnan(off), ph, np.maximum(off, ph))
    return pd.DataFrame(lb, index=photo.index, columns=photo.columns)


def lower_bounds(
    official: pd.DataFrame, photo: pd.DataFrame, ballots_cast: float | None = None
) -> LowerBounds:
    """National lower bounds per option.

    The official count enters only as a floor: it is a lower bound on the true count for
    options that commissions do not inflate (true for an option robbed of votes, not for the
    beneficiary of ballot stuffing; ``photo_votes`` is the bound that assumes nothing).
    ``ballots_cast`` is the national number of ballots cast (e.g. the announced total); the
    shares are then lower bounds as long as that total is not below the true one.
    """
    per_station = station_lower_bounds(official, photo)
    votes = per_station.sum()
    photo_votes = photo.sum(min_count=0).reindex(votes.index).fillna(0.0)
    denom = float("nan") if ballots_cast is None else float(ballots_cast)
    n_prot = int(official.notna().any(axis=1).sum())
    return LowerBounds(
        votes=votes,
        photo_votes=photo_votes,
        share=votes / denom,
        photo_share=photo_votes / denom,
        ballots_cast=denom,
        stations_with_protocol=n_prot,
    )
