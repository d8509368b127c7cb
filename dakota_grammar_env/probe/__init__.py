"""The probe: prompt-only, hedging and near-miss reply policies played against the
rubric on real tasks, the rules they must pass, and the tables that report them.

May import `tasks` and `reward`; a sibling of `grammar`, which it does not import.
"""
