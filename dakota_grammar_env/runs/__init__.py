"""Training runs on disk: the rollout records of prime-rl's run layouts (the 2026-08-21
files and today's sealed trace stream), the ledger CSVs exported or followed from them,
W&B logging and history, charts, and the thin prime-rl orchestrator hook.

May import `reward` (the ledger row); it reads tasks only through the records.
"""
