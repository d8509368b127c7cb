"""Riggs' grammar as data, and the generator that turns it into tasks: editions and
citations, the lexicon, the paradigm rules, derived forms, sentences, prompts, and the
build of the shipped dataset.

May import `tasks` and `reward`; nothing above. Nothing below imports it.
"""
