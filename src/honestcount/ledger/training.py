"""Training the bundled linkage model on synthetic lists, and how those lists are imported.

Kept apart from :mod:`~honestcount.ledger.linkage` so that linkage depends on nothing else in
the ledger: this module sits above it (synth, importer, linkage).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from honestcount.ledger import linkage, synth
from honestcount.ledger.importer import parse_list

# what each synthetic list reports by itself, for ``ledger import`` of ``ledger synth`` output
SYNTH_IMPORT: dict[str, tuple[str, str]] = {
    "rights-detained": ("rights_group", "detained"),
    "akrestsina-exit": ("volunteer_list", "released"),
    "zhodino-lawyers": ("lawyer", "held"),
    "hospitals": ("hospital", "injured"),
    "media-en": ("media", "detained"),
    "telegram-search": ("relative", "detained"),
    "courts": ("lawyer", "tried"),
    "regions": ("volunteer_list", "detained"),
    "hotline": ("relative", "detained"),
    "volunteers-be": ("volunteer_list", "detained"),
}


def build_bundled_model(
    path: Path = linkage.BUNDLED_MODEL, *, records: int = 35_000, seed: int = 2020
) -> dict[str, Any]:
    """Train the model on synthetic lists (a seed the tests and benchmark do not use) and
    write it to ``path``: the model used for data sets too small to train on."""
    data = synth.synthesize(records, 10, seed=seed)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = synth.write(data, Path(tmp))
        for source, (name, file) in enumerate(paths.items()):
            parsed = parse_list(
                file, kind=SYNTH_IMPORT[name][1], list_date=synth.LISTS[name].list_date
            )
            rows.extend(r.features(source, len(rows) + 1 + i) for i, r in enumerate(parsed.records))
    scored = linkage.score(linkage.feature_frame(rows), train=True)
    model = linkage.regularise(scored.model)
    path.write_text(json.dumps(model, indent=1) + "\n")
    return model
