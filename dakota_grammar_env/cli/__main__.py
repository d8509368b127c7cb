"""`python -m dakota_grammar_env.cli`: the `dakota-grammar` command."""

from dakota_grammar_env.cli.commands import main

raise SystemExit(main())
