"""A tiny OpenAI-compatible chat server on 127.0.0.1 for end-to-end tests.

It streams (SSE) or returns whole chat completions, like vLLM does, with scripted
replies: a JSON file maps the text of the last user message to the reply; any other
prompt gets `--default-reply`. Run it with `python tests/stub_openai_server.py --port 0
--replies FILE`; it prints ``PORT <n>`` once it listens.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar


class StubHandler(BaseHTTPRequestHandler):
    replies: ClassVar[dict[str, str]] = {}
    default_reply = "Answer: ?"
    model = "stub-model"
    fail = False

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
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
            self._json(200, {"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "stub"}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.fail:
            self._json(400, {"error": {"message": "stub: this request is refused", "type": "invalid_request_error"}})
            return
        user = [m for m in request.get("messages", []) if m.get("role") == "user"]
        prompt = user[-1].get("content", "") if user else ""
        if isinstance(prompt, list):
            prompt = "".join(part.get("text", "") for part in prompt if isinstance(part, dict))
        reply = self.replies.get(prompt, self.default_reply)
        created, ident = int(time.time()), f"chatcmpl-{uuid.uuid4().hex}"
        usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": len(reply.split()), "total_tokens": 0}
        if not request.get("stream"):
            self._json(
                200,
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": created,
                    "model": request.get("model", self.model),
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
                "model": request.get("model", self.model),
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **(extra or {}),
            }
            self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
            self.wfile.flush()

        chunk({"role": "assistant", "content": ""}, None)
        pieces = [reply[i : i + 16] for i in range(0, len(reply), 16)] or [""]
        for piece in pieces:
            chunk({"content": piece}, None)
        chunk({}, "stop", {"usage": usage})
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def serve(port: int, replies: dict[str, str], default_reply: str, fail: bool = False) -> ThreadingHTTPServer:
    handler = type("Handler", (StubHandler,), {"replies": replies, "default_reply": default_reply, "fail": fail})
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--replies", type=Path, help="JSON object: user prompt text -> reply")
    parser.add_argument("--default-reply", default="Answer: ?")
    parser.add_argument("--fail", action="store_true", help="refuse every chat request with HTTP 400")
    args = parser.parse_args()
    replies = json.loads(args.replies.read_text(encoding="utf-8")) if args.replies else {}
    server = serve(args.port, replies, args.default_reply, args.fail)
    print(f"PORT {server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
