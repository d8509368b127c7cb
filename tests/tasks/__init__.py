"""Tests of `dakota_grammar_env.tasks`."""
