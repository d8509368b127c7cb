"""The test suite. Its folders mirror the package's (`reward/`, `tasks/`, `grammar/`,
`probe/`, `runs/`, `integrations/`, `jobs/`, `training/`, `cli/`), plus `examples/` for
the shipped configs and `support/` for the helpers tests share: paths, task rows, a
synthetic run, prime-rl and OpenAI-server doubles, a tiny model, a W&B offline reader."""
