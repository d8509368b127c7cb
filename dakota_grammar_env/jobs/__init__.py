"""Jobs that run a model: the embedded CPU model, the local OpenAI-compatible server on
127.0.0.1, and `dakota-grammar eval` (vf-eval against it, then the ledger and charts).

May import every layer below it (`integrations`, `grammar`, `probe`, `runs`, `tasks`,
`reward`); only `training` and `cli` import it.
"""
