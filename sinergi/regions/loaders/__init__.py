"""Loaders of the shipped default dataset (national regions, NTT geometry, Pilkada 2024, estimated TPS, units).

``load_default_dataset`` is the entry point used by ``sinergi up``, ``sinergi load-dataset`` and the test
fixture ``ntt_dataset``; the orchestration (transaction, upserts, audit event) is
``sinergi.regions.services.dataset_load_default``.
"""

from __future__ import annotations

from typing import Any


def load_default_dataset(*, actor=None, force: bool = False) -> dict[str, Any]:
    """Load the NTT Pilkada 2024 default dataset once (idempotent; ``force=True`` reloads it in place).

    Returns the summary counts and ``seconds``; ``skipped`` is True when nothing was done.
    """
    from sinergi.regions.services import dataset_load_default

    return dataset_load_default(actor=actor, force=force)


__all__ = ["load_default_dataset"]
