"""Readers and builders of the shipped default dataset (national regions, NTT geometry, Pilkada 2024, estimated TPS,
units): plain data, no Django.

The entry point that writes them (transaction, upserts, audit event) is
``sinergi.elections.dataset.load_default_dataset``, used by ``sinergi up``, ``sinergi load-dataset`` and the test
fixture ``ntt_dataset``.
"""
