"""A synthetic prime-rl run directory, laid out as prime-rl's FileMonitor writes one, with
ledgers from the real rubric: for the `follow` tests and the export benchmark.

`RunWriter.write_step(n)` appends train step n (and an eval step every `eval_every`
steps): ``rollouts/step_n/{train,eval}/{all,effective}/traces.jsonl``, then the
``metrics.jsonl`` row that marks the step done, as the orchestrator does. A few rollouts
error (no ledger), some carry over from the previous step (``run.work.step`` = n-1).
Everything is derived from the seed, so two writers with one seed write the same bytes.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from dakota_grammar_env.reward.rubric import DakotaGrammarRubric
from dakota_grammar_env.tasks.loading import read_tasks, shipped_data_path
from dakota_grammar_env.tasks.task import SYSTEM_PROMPT


def _reply(rng: random.Random, answer: str, skill: float) -> str:
    roll = rng.random()
    if roll < skill:
        return f"<think>The rule applies.</think>\nAnswer: {answer}"
    if roll < skill + 0.25:
        cut = max(1, len(answer) - 1)
        return f"Answer: {answer[:cut]}{rng.choice('aeiou')}"
    if roll < skill + 0.35:
        return "<think>I am not sure"
    return f"Answer: {rng.choice(['mani', 'waṡte', 'to go', 'kaġapi'])}"


@dataclass
class RunWriter:
    root: Path
    rollouts_per_step: int = 16
    eval_every: int = 5
    eval_rollouts: int = 8
    seed: int = 0
    error_rate: float = 0.03
    tokens: int = 40
    run_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.rng = random.Random(self.seed)
        self.run_id = uuid.UUID(int=self.rng.getrandbits(128)).hex
        self.tasks = read_tasks(shipped_data_path()).tasks
        self.rubric = DakotaGrammarRubric()
        self._carry: list[dict] = []
        (self.root / "rollouts").mkdir(parents=True, exist_ok=True)

    def _record(self, kind: str, dispatch_step: int, skill: float) -> dict:
        rng = self.rng
        task = rng.choice(self.tasks)
        episode_id = uuid.UUID(int=rng.getrandbits(128)).hex
        data = {
            "idx": self.tasks.index(task),
            "id": task.task_id,
            "prompt": task.prompt,
            "system_prompt": SYSTEM_PROMPT,
            "answer": task.answer,
            "task_type": task.task_type,
            "difficulty": task.difficulty,
            "info": task.info(),
        }
        task_block = {"type": "DakotaGrammarTask", "data": data, "key": task.task_id, "hash": episode_id[:16]}
        errored = rng.random() < self.error_rate
        trace = {
            "version": 1,
            "id": episode_id,
            "verifiers": {"version": "0.3.1"},
            "task": task_block,
            "agent": {"config": {"harness": {"id": "null"}, "runtime": {"type": "subprocess"}}, "name": "agent"},
            "tools": [],
            "nodes": [],
            "calls": [],
            "rewards": {},
            "metrics": {},
            "info": {},
            "is_completed": not errored,
            "ok": not errored,
            "stop_condition": "error" if errored else "single_turn",
            "errors": [{"type": "ProviderError", "message": "upstream 400"}] if errored else [],
            "timing": {"total": {"start": 0.0, "end": 1.0}},
        }
        if not errored:
            reply = _reply(rng, task.answer, skill)
            ledger = self.rubric.score(reply, task.answer, task.info()).as_dict()
            tokens = [rng.randrange(150_000) for _ in range(self.tokens)]
            trace["nodes"] = [
                {"message": {"role": "system", "content": SYSTEM_PROMPT}, "sampled": False, "token_ids": []},
                {"parent": 0, "message": {"role": "user", "content": task.prompt}, "sampled": False, "token_ids": []},
                {
                    "parent": 1,
                    "message": {"role": "assistant", "content": reply},
                    "sampled": True,
                    "token_ids": tokens,
                    "mask": [1] * len(tokens),
                    "logprobs": [-0.5] * len(tokens),
                },
            ]
            trace["rewards"] = {"reward_scalar": {"score": ledger["reward_scalar"], "weight": 1.0}}
            trace["metrics"] = {
                f"ledger/{k}": float(v)
                for k, v in ledger.items()
                if isinstance(v, (int, float)) and k != "ledger_version"
            }
            trace["info"] = {"ledger": ledger}
        return {
            "id": episode_id,
            "env": {"id": "dakota-grammar", "name": "dakota-grammar"},
            "task": task_block,
            "group": {"id": episode_id[:8]},
            "run": {
                "type": kind,
                "id": self.run_id,
                "name": self.root.name,
                "work": {
                    "type": kind,
                    "step": dispatch_step,
                    "policy": {"start": dispatch_step - 1, "end": dispatch_step - 1},
                },
            },
            "ok": not errored,
            "errors": [],
            "traces": [trace],
        }

    def _write(self, step: int, kind: str, subset: str, records: list[dict]) -> None:
        folder = self.root / "rollouts" / f"step_{step}" / kind / subset
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "traces.jsonl").open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in records)

    def _metrics_row(self, step: int, kind: str, records: list[dict]) -> None:
        rewards = [r["traces"][0]["rewards"].get("reward_scalar", {}).get("score", 0.0) for r in records]
        row = {
            "step": float(step) if kind == "eval" else step,
            "time": 1_800_000_000.0 + step,
            f"{kind}/dakota-grammar/all/agent/reward/mean": sum(rewards) / len(rewards),
        }
        with (self.root / "metrics.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")

    def write_step(self, step: int, total_steps: int = 100) -> None:
        skill = min(0.9, 0.1 + 0.8 * step / max(1, total_steps))
        late = self.rollouts_per_step // 4 if step > 1 else 0  # dispatched last step, arriving now
        arrivals = [self._record("train", step - 1, skill) for _ in range(late)]
        arrivals += [self._record("train", step, skill) for _ in range(self.rollouts_per_step - late)]
        keep = self.rollouts_per_step // 4  # arrived now, shipped with the next batch
        shipped = self._carry + arrivals[: len(arrivals) - keep]
        self._carry = arrivals[len(arrivals) - keep :]
        self._write(step, "train", "all", arrivals)
        self._write(step, "train", "effective", [r for r in shipped if r["ok"]])
        self._metrics_row(step, "train", arrivals)
        if self.eval_every and step % self.eval_every == 0:
            evals = [self._record("eval", step, skill) for _ in range(self.eval_rollouts)]
            self._write(step, "eval", "all", evals)
            self._write(step, "eval", "effective", evals)
            self._metrics_row(step, "eval", evals)


def write_run(root: Path, steps: int, **options) -> RunWriter:
    writer = RunWriter(root, **options)
    for step in range(1, steps + 1):
        writer.write_step(step, steps)
    return writer
