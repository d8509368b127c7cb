"""The environment as other frameworks load it: the verifiers v1 taskset (the id
`dakota-grammar` for vf-eval and today's prime-rl) and the seed-era v0 environment.

Imported only on use (verifiers is heavy). May import `reward`, `tasks` and `runs`
(the hook); nothing above.
"""
