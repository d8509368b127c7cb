"""A small OpenAI-compatible chat server for a local transformers model, on 127.0.0.1.

`dakota-grammar eval` starts it for the embedded model, so vf-eval talks to it exactly as
it would to vLLM: ``GET /v1/models`` and ``POST /v1/chat/completions``, streamed (SSE, as
vf-eval's chat harness asks) or not. One request is generated at a time (a CPU runs one
model call well, not several); others wait their turn. `n > 1` is not supported: vf-eval
asks for repeated rollouts one request each.

    python -m dakota_grammar_env.jobs.model_server MODEL_DIR [--port 0] [--max-tokens 160]

prints ``PORT <n>`` once it listens.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class LocalChatModel:
    """A causal LM and its tokenizer with a lock: one generation at a time."""

    def __init__(self, directory: Path, name: str, max_tokens: int) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from .embedded_model import quiet_transformers

        quiet_transformers()
        self.torch = torch
        self.name = name
        self.max_tokens = max_tokens
        self.tokenizer = AutoTokenizer.from_pretrained(directory)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32).to(self.device)
        self.model.eval()
        self.lock = threading.Lock()

    def complete(self, messages: list[dict[str, Any]], request: dict[str, Any]) -> tuple[str, int, int]:
        """(reply text, prompt tokens, completion tokens) for one chat request."""
        chat = [{"role": m.get("role", "user"), "content": _text(m.get("content"))} for m in messages]
        inputs = self.tokenizer.apply_chat_template(
            chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(self.device)
        limit = request.get("max_completion_tokens") or request.get("max_tokens") or self.max_tokens
        temperature = request.get("temperature")
        sampling: dict[str, Any] = {"do_sample": False}
        if temperature:
            sampling = {
                "do_sample": True,
                "temperature": float(temperature),
                "top_p": float(request.get("top_p") or 1.0),
            }
        with self.lock, self.torch.no_grad():
            if request.get("seed") is not None:
                self.torch.manual_seed(int(request["seed"]))
            output = self.model.generate(
                **inputs,
                max_new_tokens=int(min(limit, self.max_tokens)),
                pad_token_id=self.tokenizer.eos_token_id,
                **sampling,
            )
        new = output[0][inputs["input_ids"].shape[1] :]
        return self.tokenizer.decode(new, skip_special_tokens=True), int(inputs["input_ids"].shape[1]), len(new)


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content or ""


def make_handler(model: LocalChatModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._json(
                    200, {"object": "list", "data": [{"id": model.name, "object": "model", "owned_by": "local"}]}
                )
            else:
                self._json(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            try:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if (request.get("n") or 1) > 1:
                    self._json(400, {"error": {"message": "n > 1 is not supported; send one request per rollout"}})
                    return
                reply, prompt_tokens, completion_tokens = model.complete(request.get("messages") or [], request)
            except Exception as error:  # report the failure to the client instead of dropping the connection
                self._json(500, {"error": {"message": f"generation failed: {error!r}"}})
                return
            ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
            usage = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            }
            if not request.get("stream"):
                self._json(
                    200,
                    {
                        "id": ident,
                        "object": "chat.completion",
                        "created": created,
                        "model": model.name,
                        "choices": [
                            {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}
                        ],
                        "usage": usage,
                    },
                )
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()

            def chunk(delta: dict[str, Any], finish: str | None, extra: dict[str, Any] | None = None) -> None:
                payload = {
                    "id": ident,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model.name,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    **(extra or {}),
                }
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                self.wfile.flush()

            chunk({"role": "assistant", "content": ""}, None)
            for start in range(0, len(reply), 24):
                chunk({"content": reply[start : start + 24]}, None)
            chunk({}, "stop", {"usage": usage})
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a local transformers chat model, OpenAI-style, on 127.0.0.1.")
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--name", default="SmolLM2-135M-Instruct", help="the model id clients ask for")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-tokens", type=int, default=160, help="cap on generated tokens per request")
    args = parser.parse_args()
    model = LocalChatModel(args.model_dir, args.name, args.max_tokens)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(model))
    print(f"PORT {server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
