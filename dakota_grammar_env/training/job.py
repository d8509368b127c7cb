"""`dakota-grammar train`: GRPO with TRL's `GRPOTrainer`, end to end.

1. The run directory (new, or `--resume`d): ``train_config.toml`` (the resolved
   configuration), ``run.json`` (the run's id).
2. Before: ``dakota-grammar eval``'s path (vf-eval against the model served on
   127.0.0.1) on the held-out test tasks of the same selection -> ``eval-before/``.
3. GRPO: the taskset's reward (`rewards.DakotaReward`), its ledger written as each
   rollout is scored and committed step by step (`callback.LedgerCallback`), TRL's
   checkpoints under ``checkpoints/``, the trained model in ``final-model/``.
4. After: the same evaluation of the trained model -> ``eval-after/``.
5. The ledger chart and report (``wandb_analysis/report/``), the first and last steps
   as markdown (``ledger_snippet.md``) and ``summary.md`` with before and after side by
   side per task family.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dakota_grammar_env.extras import import_from_extra, require_extra
from dakota_grammar_env.training.config import TrainConfig, apply, read_toml

Report = Callable[[str], None]
CONFIG_FILE = "train_config.toml"
CHECKPOINTS = "checkpoints"
FINAL_MODEL = "final-model"


class TrainError(RuntimeError):
    """The run could not start or finish; the message says what to do."""


@dataclass
class TrainResult:
    run_dir: Path
    summary: Path | None
    files: list[Path] = field(default_factory=list)
    steps: int = 0
    history: list[dict[str, float]] = field(default_factory=list)


def _default_run_dir() -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path, suffix = Path("outputs") / f"train-{stamp}", 1
    while path.exists():
        suffix += 1
        path = Path("outputs") / f"train-{stamp}-{suffix}"
    return path


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete TRL checkpoint (one whose trainer_state.json was written,
    which the Trainer does last) or None."""
    found = []
    for path in (run_dir / CHECKPOINTS).glob("checkpoint-*"):
        number = path.name.removeprefix("checkpoint-")
        if number.isdigit() and (path / "trainer_state.json").is_file():
            found.append((int(number), path))
    return max(found)[1] if found else None


def prepare_run_dir(config: TrainConfig, resume: bool, resume_steps: int | None = None) -> tuple[TrainConfig, Path]:
    """The run directory and the configuration it runs with. A resumed run reads its
    saved configuration; `resume_steps` may set a new number of steps."""
    if resume:
        if config.output_dir is None:
            raise TrainError("--resume needs --output-dir, the run directory to resume")
        run_dir = config.output_dir
        saved = run_dir / CONFIG_FILE
        if not saved.is_file():
            raise TrainError(f"--resume: {saved} is missing; is {run_dir} a `dakota-grammar train` run directory?")
        resumed = apply(TrainConfig(), read_toml(saved), str(saved))
        if resume_steps is not None:
            resumed.steps = resume_steps
        resumed.output_dir = run_dir
        return resumed.validate(str(saved)), run_dir
    run_dir = config.output_dir or _default_run_dir()
    if run_dir.exists() and any(run_dir.iterdir()):
        raise TrainError(f"{run_dir} exists and is not empty; pass --resume to go on with it, or another --output-dir")
    run_dir.mkdir(parents=True, exist_ok=True)
    config.output_dir = run_dir
    (run_dir / CONFIG_FILE).write_text(config.as_toml(), encoding="utf-8")
    return config, run_dir


def resolve_model(config: TrainConfig, report: Report) -> tuple[str, str]:
    """(what transformers loads, a display name): the embedded model's cached
    directory when no model is given."""
    if config.model is not None:
        return config.model, config.model
    from dakota_grammar_env.jobs.embedded_model import SMOLLM2, EmbeddedModelError, ensure_model

    try:
        return str(ensure_model(SMOLLM2, report)), SMOLLM2.name
    except EmbeddedModelError as error:
        raise TrainError(str(error)) from None


def grpo_args(config: TrainConfig, run_dir: Path, wandb: bool) -> Any:
    """TRL's `GRPOConfig` for this run: one optimizer step per generation batch of
    `prompts_per_step` x `group_size` completions."""
    trl = import_from_extra("trl", "train", "training")
    vllm = dict(config.vllm)
    use_vllm = bool(vllm.pop("use", False))
    cuda = config.device == "cuda"
    return trl.GRPOConfig(
        output_dir=str(run_dir / CHECKPOINTS),
        per_device_train_batch_size=config.prompts_per_step * config.group_size,
        gradient_accumulation_steps=1,
        num_generations=config.group_size,
        max_completion_length=config.max_completion_tokens,
        learning_rate=config.learning_rate,
        temperature=config.temperature,
        beta=config.beta,
        max_steps=config.steps,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=2,
        logging_steps=1,
        report_to=["wandb"] if wandb else [],
        run_name=run_dir.name,
        use_cpu=not cuda,
        bf16=cuda,
        seed=config.seed,
        disable_tqdm=True,
        log_completions=False,
        dataloader_num_workers=0,
        use_vllm=use_vllm,
        **{f"vllm_{key}": value for key, value in vllm.items()},
    )


def wandb_wanted(config: TrainConfig) -> bool:
    """`--wandb`, or W&B configured in the environment (WANDB_PROJECT, or WANDB_MODE
    online/offline)."""
    configured = bool(os.environ.get("WANDB_PROJECT")) or os.environ.get("WANDB_MODE") in ("online", "offline")
    return config.wandb or configured


def evaluate(config: TrainConfig, model_dir: Path | str, name: str, out_dir: Path, report: Report) -> Path:
    """The held-out evaluation through `jobs.eval` (vf-eval, the model on 127.0.0.1);
    returns its rollouts CSV."""
    from dakota_grammar_env.jobs.eval import EvalError, EvalOptions, run_eval

    selection = config.eval_selection()
    tasks = selection.tasks()
    args = selection.taskset_args()
    args.pop("split")
    options = EvalOptions(
        model=name,
        num_tasks=len(tasks),
        split="test",
        max_tokens=config.max_completion_tokens,
        temperature=0.0,
        output_dir=out_dir,
        model_dir=model_dir,
        taskset=args,
    )
    try:
        result = run_eval(options, lambda line: report(f"  {line}"))
    except EvalError as error:
        raise TrainError(f"evaluation into {out_dir} failed: {error}") from None
    if result.errored:
        raise TrainError(f"evaluation into {out_dir}: {len(result.errored)} rollouts failed, e.g. {result.errored[0]}")
    return result.run_dir / "wandb_analysis" / "reward_ledger_rollouts.csv"


def train(config: TrainConfig, run_dir: Path, model: str, report: Report, resume: bool) -> tuple[Any, list[dict]]:
    """The GRPO run itself; returns the trainer and the per-step progress."""
    torch = import_from_extra("torch", "train", "training")
    trl = import_from_extra("trl", "train", "training")
    from dakota_grammar_env.jobs.embedded_model import quiet_transformers
    from dakota_grammar_env.training.rewards import dakota_trl

    if config.device == "cuda" and not torch.cuda.is_available():
        raise TrainError("--device cuda, but torch sees no CUDA device (a CPU build of torch?)")
    quiet_transformers()
    # TRL 1.16 calls transformers APIs that transformers 5 renamed: deprecation notices
    # about their code, not the user's, on every step.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"(transformers|trl)(\.|$)")
    wandb = wandb_wanted(config)
    if wandb:
        from dakota_grammar_env.training.rewards import run_identity

        # One W&B run per training run, resumed along with it (unless the user chose an id).
        os.environ.setdefault("WANDB_RUN_ID", run_identity(run_dir)[0])
        os.environ.setdefault("WANDB_RESUME", "allow")
    dakota = dakota_trl(config.selection(), run_dir=run_dir, wandb=wandb, report=report, total_steps=config.steps)
    report(
        f"training {len(dakota.tasks)} tasks, {config.steps} steps of {config.prompts_per_step} prompts x "
        f"{config.group_size} completions (max {config.max_completion_tokens} tokens), lr {config.learning_rate:g}"
    )
    checkpoint = latest_checkpoint(run_dir) if resume else None
    if resume:
        report(f"resuming from {checkpoint}" if checkpoint else "no complete checkpoint yet: starting over")
    trainer = trl.GRPOTrainer(
        model=model,
        reward_funcs=dakota.reward_funcs,
        train_dataset=dakota.dataset(),
        args=grpo_args(config, run_dir, wandb),
        callbacks=dakota.callbacks,
    )
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # TRL's metrics dict per step; our progress line says it in one
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    final = run_dir / FINAL_MODEL
    trainer.save_model(str(final))
    trainer.processing_class.save_pretrained(str(final))
    if wandb:
        import wandb as wandb_module

        if wandb_module.run is not None:
            wandb_module.run.finish()
    return trainer, dakota.callbacks[0].history


def require_wandb() -> None:
    require_extra("wandb", "W&B logging (--wandb)")


def run_train(
    config: TrainConfig, report: Report, resume: bool = False, resume_steps: int | None = None
) -> TrainResult:
    """The whole job; raises `TrainError` (or `ConfigError`, `DataError`) with what went
    wrong. With `resume`, `config.output_dir` is the run to go on with, its saved
    configuration is used, and `resume_steps` (if given) replaces its number of steps."""
    from dakota_grammar_env.training.summary import write_train_summary

    for module in ("torch", "transformers", "datasets", "trl"):
        import_from_extra(module, "train", "training")  # a missing extra is an error before anything is written
    if not resume and wandb_wanted(config):
        require_wandb()  # as is W&B asked for without wandb
    config, run_dir = prepare_run_dir(config, resume, resume_steps)
    if resume and wandb_wanted(config):
        require_wandb()  # a resumed run asks for W&B in its saved configuration
    config.selection().tasks()  # so is a bad selection
    report(f"run directory: {run_dir}")
    model, name = resolve_model(config, report)
    before = run_dir / "eval-before"
    before_csv: Path | None = None
    started = time.monotonic()
    if config.eval:
        existing = before / "vf-eval" / "wandb_analysis" / "reward_ledger_rollouts.csv"
        if resume and existing.is_file():
            before_csv = existing
        else:
            report(f"evaluating {name} before training (test split) ...")
            before_csv = evaluate(config, model, name, before, report)
    _, history = train(config, run_dir, model, report, resume)
    after_csv = None
    if config.eval:
        report("evaluating the trained model (test split) ...")
        after_csv = evaluate(config, run_dir / FINAL_MODEL, f"{name}-grpo", run_dir / "eval-after", report)
    files = write_train_summary(run_dir, config, name, before_csv, after_csv, time.monotonic() - started, report)
    return TrainResult(run_dir, run_dir / "summary.md", files, len(history), history)
