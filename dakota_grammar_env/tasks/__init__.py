"""Tasks as files: the task model and system prompt, reading task files in either schema
(checked against the reward's gold rules), and the `data audit` / `data clean` passes
and provenance counts over them.

May import `reward` (a task's gold is read the way the rubric reads it); nothing above.
"""
