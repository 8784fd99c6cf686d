"""The language-model path against a local OpenAI-compatible server with scripted replies."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import hybridq


class ScriptedModel:
    """An OpenAI-compatible /chat/completions endpoint on loopback that plays back replies."""

    def __init__(self, replies: list[str]):
        self.replies = list(replies)
        self.requests: list[dict] = []
        model = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                model.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                content = model.replies.pop(0) if model.replies else "I cannot help with that."
                payload = json.dumps({"id": "x", "object": "chat.completion", "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload.encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def llm_env(monkeypatch):
    servers = []

    def start(replies, mode="fallback"):
        server = ScriptedModel(replies)
        servers.append(server)
        monkeypatch.setenv("HYBRIDQ_LLM_BASE_URL", server.url)
        monkeypatch.setenv("HYBRIDQ_LLM_MODEL", "scripted-model")
        monkeypatch.setenv("HYBRIDQ_LLM_MODE", mode)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        return server

    yield start
    for s in servers:
        s.close()


def test_llm_answers_a_question_the_catalog_cannot_place(acme, llm_env):
    server = llm_env(["Here you go:\n```sql\nSELECT count(*) AS n FROM customers WHERE industry = 'Healthcare'\n```"])
    answer = acme.ask("How many hospitals and clinics are our clients?")
    assert not answer.refused and answer.source == "llm"
    assert answer.rows == acme.sql("SELECT count(*) FROM customers WHERE industry = 'Healthcare'").rows
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer test-key"
    body = request["body"]
    assert body["model"] == "scripted-model"
    system = body["messages"][0]["content"]
    # the prompt carries the relevant slice of the catalog and the verified examples
    assert "customers" in system and "industry" in system and "Verified examples" in system
    assert body["messages"][-1] == {"role": "user", "content": "How many hospitals and clinics are our clients?"}


def test_invalid_sql_goes_through_the_repair_loop(acme, llm_env):
    server = llm_env([
        "```sql\nSELECT count(*) FROM custmers\n```",                       # unknown table
        "```sql\nSELECT count(* FROM customers\n```",                       # syntax error
        "```sql\nSELECT count(*) AS n FROM customers WHERE segment = 'SMB'\n```",
    ], mode="always")
    answer = acme.ask("how many small companies?")
    assert not answer.refused
    assert answer.rows == acme.sql("SELECT count(*) FROM customers WHERE segment = 'SMB'").rows
    assert len(server.requests) == 3
    second = server.requests[1]["body"]["messages"]
    assert "unknown table 'custmers'" in second[-1]["content"]
    assert "syntax error" in server.requests[2]["body"]["messages"][-1]["content"]


def test_hostile_sql_is_stopped_by_the_guard(acme, llm_env):
    server = llm_env(["```sql\nDROP TABLE customers\n```",
                      "```sql\nSELECT * FROM read_csv('/etc/passwd')\n```",
                      "```sql\nSELECT 1; DELETE FROM tickets\n```"], mode="always")
    answer = acme.ask("remove all customers")
    assert answer.refused and answer.source == "llm"
    assert "no usable SQL in 3 rounds" in answer.reason
    feedback = [r["body"]["messages"][-1]["content"] for r in server.requests[1:]]
    assert "DROP statements are not allowed" in feedback[0]
    assert "read_csv() is not allowed" in feedback[1]
    assert acme.sql("SELECT count(*) FROM customers").rows == [(60,)]
    assert acme.sql("SELECT count(*) FROM tickets").rows == [(325,)]


def test_no_fallback_when_turned_off(acme, llm_env):
    server = llm_env(["```sql\nSELECT 1\n```"], mode="off")
    answer = acme.ask("what is the weather in Paris?")
    assert answer.refused and answer.source == "catalog" and not server.requests
    forced = acme.ask("what is the weather in Paris?", llm=True)
    assert not forced.refused and forced.rows == [(1,)]


def test_the_model_is_never_asked_when_the_catalog_answers(acme, llm_env):
    server = llm_env(["```sql\nSELECT 42\n```"])
    answer = acme.ask("How many enterprise customers are there?")
    assert answer.source == "catalog" and not server.requests


def test_without_configuration_llm_true_is_an_error(acme, monkeypatch):
    monkeypatch.delenv("HYBRIDQ_LLM_BASE_URL", raising=False)
    with pytest.raises(hybridq.NLError, match="no language model is configured"):
        acme.ask("anything at all", llm=True)


def test_an_ambiguous_question_gives_the_model_its_readings(acme, llm_env):
    question = "Which customers mention data residency?"
    alone = acme.ask(question, llm=False)
    assert alone.kind == "clarification" and len(alone.options) >= 2
    chosen = next(o for o in alone.options if "tickets.body" in o.description)
    server = llm_env([f"The tickets are meant:\n```sql\n{chosen.sql}\n```"])
    answer = acme.ask(question)
    assert answer.source == "llm" and answer.kind == "answer" and answer.verified
    assert answer.rows == acme.sql(chosen.sql).rows
    user = server.requests[0]["body"]["messages"][-1]["content"]
    assert user.startswith(question) and f"reads this question in {len(alone.options)} ways" in user
    assert all(o.sql.strip() in user for o in alone.options)


def test_sql_that_does_not_trace_back_to_the_question_is_marked_unverified(acme, llm_env):
    llm_env(["```sql\nSELECT count(*) AS n FROM customers WHERE industry = 'Healthcare' AND employees > 500\n```"])
    answer = acme.ask("How many hospitals and clinics are our clients?")
    assert answer.source == "llm" and not answer.refused and not answer.verified
    assert "value 'Healthcare'" in answer.reason and "number 500" in answer.reason
    assert "not verified against the question" in answer.explain()
    assert answer.to_dict()["verified"] is False
