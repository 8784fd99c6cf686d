"""The MCP tools, called with the mcp package's own client: over streamable HTTP at /mcp of the
served app (API keys and roles as for the HTTP API), and over stdio (`hybridq mcp CATALOG`)."""

from __future__ import annotations

import json
import os
import sys

import anyio
import httpx2
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

TOOLS = {"sql", "ask", "retrieve", "describe_catalog", "status"}


def structured(result) -> dict:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        return result.structured_content
    return json.loads(result.content[0].text)


async def exercise(client) -> dict:
    tools = {t.name for t in (await client.list_tools()).tools}
    out = {"tools": tools}
    out["sql"] = structured(await client.call_tool("sql", {"query": "SELECT count(*) AS n FROM customers"}))
    out["params"] = structured(await client.call_tool(
        "sql", {"query": "SELECT count(*) AS n FROM customers WHERE region = ?", "params": ["EMEA"]}))
    out["retrieve"] = structured(await client.call_tool(
        "retrieve", {"column": "kb_articles.body", "text": "reset a password", "k": 2}))
    out["ask"] = structured(await client.call_tool("ask", {"question": "how many enterprise customers are there"}))
    out["catalog"] = structured(await client.call_tool("describe_catalog", {}))
    out["status"] = await client.call_tool("status", {})
    out["hidden"] = await client.call_tool("sql", {"query": "SELECT health_score FROM customers"})
    out["bad"] = await client.call_tool("sql", {"query": "DROP TABLE customers"})
    return out


def test_mcp_over_http_with_an_api_key(server, api_keys, acme):
    url = server[0] + "/mcp"

    async def run(key: str):
        headers = {"Authorization": f"Bearer {api_keys[0][key]}"}
        async with httpx2.AsyncClient(headers=headers, timeout=120, trust_env=False) as http:
            async with Client(streamable_http_client(url, http_client=http)) as client:
                return await exercise(client)

    emea = anyio.run(run, "regional_emea")
    assert emea["tools"] >= TOOLS
    in_emea = acme.sql("SELECT count(*) FROM customers WHERE region = 'EMEA'").rows[0][0]
    assert emea["sql"]["rows"] == [[in_emea]] and emea["params"]["rows"] == [[in_emea]]
    reference = acme.sql("SELECT article_id FROM vector_search('kb_articles.body', 'reset a password', 2)").rows
    assert [r[0] for r in emea["retrieve"]["rows"]] == [r[0] for r in reference]
    assert emea["retrieve"]["columns"] == ["article_id", "_score", "_chunk"]
    assert not emea["ask"]["refused"]
    assert "health_score" not in emea["catalog"]["tables"]["customers"]["columns"]
    assert "invoices" not in emea["catalog"]["tables"]
    assert emea["status"].is_error and "may not use status" in emea["status"].content[0].text
    assert emea["hidden"].is_error and "not visible to role 'regional'" in emea["hidden"].content[0].text
    assert emea["bad"].is_error and "DROP statements are not allowed" in emea["bad"].content[0].text

    analyst = anyio.run(run, "analyst")
    assert analyst["sql"]["rows"] == [[acme.sql("SELECT count(*) FROM customers").rows[0][0]]]
    assert not analyst["status"].is_error

    async def without_key():
        async with httpx2.AsyncClient(timeout=30, trust_env=False) as http:
            response = await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
            return response.status_code

    assert anyio.run(without_key) == 401


def test_mcp_over_stdio(roles_catalog, acme):
    """`hybridq mcp CATALOG` in another process; the store is owned by this one, so its tools are
    answered through the owner endpoint."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    params = StdioServerParameters(command=sys.executable, args=["-m", "hybridq.cli", "mcp", str(roles_catalog)],
                                   env=env)

    async def run():
        with open(os.devnull, "w") as quiet:
            async with Client(params) as client:
                return await exercise(client)

    result = anyio.run(run)
    assert result["tools"] >= TOOLS
    assert result["sql"]["rows"] == [[acme.sql("SELECT count(*) FROM customers").rows[0][0]]]
    assert result["catalog"]["tables"]["customers"]["columns"]["health_score"]  # the local user sees everything
    assert not result["hidden"].is_error
    assert not result["status"].is_error and structured(result["status"])["status"]
    assert result["bad"].is_error and "DROP statements are not allowed" in result["bad"].content[0].text
