"""`dakota-grammar eval`: the main job, end to end.

1. An endpoint: the one given (`--base-url`, checked first), or the embedded model
   (SmolLM2-135M-Instruct, fetched and converted once, see `jobs.embedded_model`) served on
   127.0.0.1 by `jobs.model_server` for the duration of the command.
2. The real ``vf-eval dakota-grammar`` against it, with progress as rollouts finish.
3. The ledger exported (`runs.export`), the charts drawn (`runs.plots`), and a short
   markdown summary: mean reward and each component, by task type and difficulty, the
   parse rate, the best and worst replies.

An unreachable endpoint, a vf-eval that fails, or rollouts that error are reported as
errors (non-zero exit), never as a silent zero; what was written is still listed.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dakota_grammar_env.extras import require_extra
from dakota_grammar_env.jobs.toml_text import toml_value

Report = Callable[[str], None]
EMBEDDED_KEY_VAR = "DAKOTA_GRAMMAR_EMBEDDED_KEY"


class EvalError(RuntimeError):
    """The evaluation could not run or its rollouts failed; the message says what to do."""


@dataclass
class EvalOptions:
    base_url: str | None = None
    model: str | None = None
    api_key_var: str | None = None
    num_tasks: int = 8
    rollouts: int = 1
    split: str = "test"
    max_tokens: int = 96
    temperature: float = 0.0
    output_dir: Path | None = None
    model_dir: Path | str | None = None
    """A model to serve on 127.0.0.1 instead of the embedded one: a local directory
    (transformers format, e.g. what `dakota-grammar train` saved) or a name
    transformers can load."""
    taskset: dict[str, Any] = field(default_factory=dict)
    """More `--env.taskset.*` fields (task types, difficulties, system prompt, ...),
    passed to vf-eval in a TOML file beside its output; `split` stays its own option."""


@dataclass
class EvalResult:
    run_dir: Path
    summary: Path
    files: list[Path] = field(default_factory=list)
    rollouts: int = 0
    errored: list[str] = field(default_factory=list)


def _default_output_dir() -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path("outputs") / f"eval-{stamp}"
    suffix = 1
    while path.exists():
        suffix += 1
        path = Path("outputs") / f"eval-{stamp}-{suffix}"
    return path


def check_endpoint(base_url: str, api_key_var: str | None) -> None:
    """GET <base_url>/models; an unreachable or failing endpoint is an `EvalError`."""
    request = urllib.request.Request(base_url.rstrip("/") + "/models")
    key = os.environ.get(api_key_var) if api_key_var else None
    if api_key_var and key is None:
        raise EvalError(f"--api-key-var {api_key_var}: that environment variable is not set")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            response.read()
    except OSError as error:
        raise EvalError(f"cannot reach the endpoint {base_url} ({error}); is the server running?") from None


class EmbeddedServer:
    """The embedded model behind a local OpenAI-compatible server, as a context manager."""

    def __init__(self, model_dir: Path, name: str, max_tokens: int, log: Path) -> None:
        self.model_dir, self.name, self.max_tokens, self.log = model_dir, name, max_tokens, log
        self.process: subprocess.Popen | None = None
        self.base_url = ""

    def __enter__(self) -> EmbeddedServer:
        command = [
            sys.executable,
            "-m",
            "dakota_grammar_env.jobs.model_server",
            str(self.model_dir),
            "--name",
            self.name,
            "--port",
            "0",
            "--max-tokens",
            str(self.max_tokens),
        ]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._log_handle = self.log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._log_handle, text=True)
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("PORT "):
            self.__exit__(None, None, None)
            raise EvalError(f"the embedded model server did not start; see {self.log}")
        self.base_url = f"http://127.0.0.1:{line.split()[1]}/v1"
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log_handle.close()


def _tool(name: str) -> str:
    """An executable next to this Python, else on PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        hint = (
            "pip install uv (vf-eval's chat harness runs through it)"
            if name == "uv"
            else "pip install 'dakota-grammar-env[v1]'"
        )
        raise EvalError(f"`{name}` was not found: {hint}")
    return found


def run_vf_eval(options: EvalOptions, base_url: str, model: str, key_var: str, out_dir: Path, report: Report) -> Path:
    """Run vf-eval with progress; return its traces file."""
    vf_eval, uv = _tool("vf-eval"), _tool("uv")
    out_dir.mkdir(parents=True, exist_ok=True)
    env_source = ["dakota-grammar"]
    if options.taskset:
        config = out_dir / "vf-eval-taskset.toml"
        config.write_text(taskset_toml(options.taskset), encoding="utf-8")
        env_source = ["@", str(config)]
    command = [
        vf_eval,
        *env_source,
        "-m",
        model,
        "--client.base-url",
        base_url,
        "--client.api-key-var",
        key_var,
        "-n",
        str(options.num_tasks),
        "-r",
        str(options.rollouts),
        "--no-push",
        "--no-rich",
        "-o",
        str(out_dir),
        "--run.name",
        "vf-eval",
        "--env.taskset.split",
        options.split,
        "--sampling.max-tokens",
        str(options.max_tokens),
        "--sampling.temperature",
        str(options.temperature),
    ]
    env = {**os.environ, "PATH": f"{Path(uv).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    total = options.num_tasks * options.rollouts
    log = out_dir / "vf-eval.log"
    report(f"running vf-eval dakota-grammar on {options.num_tasks} {options.split} tasks x {options.rollouts} ...")
    with log.open("w", encoding="utf-8") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env)
        shown, start = -1, time.monotonic()
        while True:
            running = process.poll() is None
            done = sum(_line_count(path) for path in out_dir.glob("*/traces.jsonl"))
            if done != shown:  # counted once more after exit, so the last rollouts always show
                report(f"  rollouts finished: {done}/{total} ({time.monotonic() - start:.0f} s)")
                shown = done
            if not running:
                break
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=1.0)  # back at once when vf-eval exits
    if process.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise EvalError(f"vf-eval exited with {process.returncode}; the end of {log}:\n" + "\n".join(tail))
    found = sorted(out_dir.glob("*/traces.jsonl"))
    if not found:
        raise EvalError(f"vf-eval wrote no traces.jsonl under {out_dir}; see {log}")
    return found[0]


def taskset_toml(fields: dict[str, Any]) -> str:
    """A vf-eval config file holding only ``[env.taskset]``: the taskset id and `fields`
    (None values are left to the taskset's defaults)."""
    lines = ["[env.taskset]", 'id = "dakota-grammar"']
    try:
        lines += [f"{key} = {toml_value(value)}" for key, value in fields.items() if value is not None and key != "id"]
    except TypeError as error:
        raise EvalError(f"a taskset field for vf-eval: {error}") from None
    return "\n".join(lines) + "\n"


def _line_count(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return 0


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _number(text: str) -> float | None:
    try:
        return float(text) if text != "" else None
    except ValueError:
        return None


def write_summary(rollouts_csv: Path, path: Path, context: dict[str, str], files: Sequence[Path]) -> Path:
    """The markdown summary of one evaluation (see the module docstring)."""
    with rollouts_csv.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    scored = [r for r in rows if r.get("reward_scalar") not in (None, "")]
    value = lambda row, name: _number(row.get(name, ""))  # noqa: E731
    lines = ["# Dakota grammar evaluation", ""]
    lines += [f"- {key}: {val}" for key, val in context.items()]
    lines += [
        f"- rollouts: {len(rows)} ({len(rows) - len(scored)} errored, {len(scored)} scored)",
        f"- parse rate (an answer was found): {_fmt(_mean([value(r, 'parse_ok') or 0.0 for r in scored]))}",
        f"- mean reward_scalar: **{_fmt(_mean([value(r, 'reward_scalar') or 0.0 for r in scored]))}** "
        f"(exact matches: {sum(value(r, 'exact_match_raw') == 1.0 for r in scored)}; "
        f"mean partial credit: {_fmt(_mean([value(r, 'partial_credit') or 0.0 for r in scored]))})",
        "",
        "## Components",
        "",
        "| component | mean raw | mean normalised | rollouts it applies to |",
        "|---|---|---|---|",
    ]
    for name in ("exact_match", "novel", "char_overlap", "orthography", "slots", "length_penalty"):
        raws = [v for r in scored if (v := value(r, f"{name}_raw")) is not None]
        norms = [v for r in scored if (v := value(r, f"{name}_norm")) is not None]
        lines.append(f"| {name} | {_fmt(_mean(raws))} | {_fmt(_mean(norms))} | {len(norms)} |")
    for column, title in (("task_type", "By task type"), ("difficulty", "By difficulty")):
        groups: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in scored:
            groups[row.get(column) or "?"].append(row)
        lines += [
            "",
            f"## {title}",
            "",
            f"| {column} | rollouts | mean reward | exact | parsed |",
            "|---|---|---|---|---|",
        ]
        for group, members in sorted(groups.items()):
            rewards = [value(r, "reward_scalar") or 0.0 for r in members]
            exact = sum(value(r, "exact_match_raw") == 1.0 for r in members)
            parsed = _mean([value(r, "parse_ok") or 0.0 for r in members])
            lines.append(f"| {group} | {len(members)} | {_fmt(_mean(rewards))} | {exact} | {_fmt(parsed, 2)} |")
    ranked = sorted(scored, key=lambda r: (value(r, "reward_scalar") or 0.0, r.get("episode_id", "")))
    lines += [
        "",
        "## Lowest and highest rewards",
        "",
        "| reward | task | answer given | gold (closest) |",
        "|---|---|---|---|",
    ]
    for row in [*ranked[:3], *ranked[-3:][::-1]] if len(ranked) > 6 else ranked:
        span = (row.get("span") or f"(no answer: {row.get('parse_error')})").replace("|", "\\|")[:60]
        lines.append(
            f"| {_fmt(value(row, 'reward_scalar'))} | {row.get('task_type')} | {span} | "
            f"{row.get('matched_reference', '')} |"
        )
    lines += ["", "## Files", ""] + [f"- `{file}`" for file in files]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_eval(options: EvalOptions, report: Report) -> EvalResult:
    """The whole main job; raises `EvalError` with what went wrong."""
    from dakota_grammar_env.runs.export import default_steps_csv, export_run
    from dakota_grammar_env.runs.plots import PlotError, plot_eval_summary, plot_reconciliation
    from dakota_grammar_env.runs.records import RunLayout
    from dakota_grammar_env.runs.sink import LedgerSink

    require_extra("plots", "dakota-grammar eval (its charts)")
    if not options.base_url:
        require_extra("embedded", "dakota-grammar eval without --base-url (the embedded model)")
    out_dir = Path(options.output_dir) if options.output_dir else _default_output_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    if options.base_url:
        check_endpoint(options.base_url, options.api_key_var)
        model = options.model or "default"
        traces = run_vf_eval(options, options.base_url, model, options.api_key_var or "OPENAI_API_KEY", out_dir, report)
        endpoint = options.base_url
    else:
        from dakota_grammar_env.jobs.embedded_model import SMOLLM2, EmbeddedModelError, ensure_model

        if options.model_dir is not None:
            model_dir = Path(options.model_dir)
            if model_dir.exists() and not (model_dir / "config.json").is_file():
                raise EvalError(f"{model_dir}: not a model directory (no config.json)")
            model = options.model or model_dir.name
            endpoint = f"{options.model_dir} (served on 127.0.0.1)"
        else:
            try:
                model_dir = ensure_model(SMOLLM2, report)
            except EmbeddedModelError as error:
                raise EvalError(str(error)) from None
            model = options.model or SMOLLM2.name
            endpoint = f"embedded ({SMOLLM2.package} {SMOLLM2.version}, served on 127.0.0.1)"
        report(f"starting {model} on 127.0.0.1 ...")
        with EmbeddedServer(model_dir, model, options.max_tokens, out_dir / "model-server.log") as server:
            os.environ.setdefault(EMBEDDED_KEY_VAR, "local")
            traces = run_vf_eval(options, server.base_url, model, EMBEDDED_KEY_VAR, out_dir, report)
    run_dir = traces.parent
    layout = RunLayout.detect(run_dir)
    summary = export_run(layout)
    sink = LedgerSink(default_steps_csv(layout))
    report_dir = layout.output_dir / "report"
    charts = []
    for draw in (
        lambda: plot_eval_summary(
            sink.rollouts_path, report_dir / "eval_summary.png", f"{model} on {options.split} tasks"
        ),
        lambda: plot_reconciliation(sink.steps_path, report_dir / "reconciliation.png"),
    ):
        try:
            charts.append(draw())
        except PlotError as error:  # e.g. every rollout errored: nothing to chart, and we say so
            report(f"no chart: {error}")
    files = [traces, sink.steps_path, sink.rollouts_path, *charts]
    context = {
        "model": model,
        "endpoint": endpoint,
        "split": options.split,
        "tasks x rollouts": f"{options.num_tasks} x {options.rollouts}",
        "max tokens, temperature": f"{options.max_tokens}, {options.temperature}",
    }
    for key, value in options.taskset.items():
        if value is not None and key != "system_prompt_text":
            context[f"taskset {key}"] = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    summary_md = write_summary(sink.rollouts_path, out_dir / "summary.md", context, files)
    errored = _errored(traces)
    return EvalResult(run_dir, summary_md, [summary_md, *files], summary.rollouts, errored)


def _errored(traces: Path) -> list[str]:
    problems = []
    with traces.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            episode = json.loads(line)
            if not episode.get("ok"):
                errors = [e for t in episode.get("traces", []) for e in t.get("errors", [])] + episode.get("errors", [])
                detail = f"{errors[-1].get('type')}: {str(errors[-1].get('message'))[:160]}" if errors else "not ok"
                problems.append(f"{traces}:{number}: {detail}")
    return problems
