"""The reward: how a reply is read and judged, and the ledger that explains each score.

Letters and normalisation, the answer span, what the prompt already gives, the gold,
`DakotaGrammarRubric` and its ledger row. Pure Python: it imports only the standard
library, rapidfuzz and its own modules, so it scores in any process, without verifiers,
wandb or torch. Everything else in the package may import it; it imports nothing else.
"""
