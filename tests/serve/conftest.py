"""Fixtures for the server tests: the acme store (shared with the other tests) seen through a
catalog that declares access roles, served by the real application on loopback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "live"))  # live_project: small document stores

ROLES = """
access:
  roles:
    regional:
      description: Support staff of one region.
      tables:
        customers: {rows: "region = caller('region')", hide: [health_score, account_manager]}
        tickets: {rows: "customer_id IN (SELECT customer_id FROM customers WHERE region = caller('region'))"}
        contracts: {rows: "customer_id IN (SELECT customer_id FROM customers WHERE region = caller('region'))"}
        kb_articles:
    analyst:
      allow: [status]
    operator:
      allow: [status, refresh]
"""

KEYS = {"regional_emea": ("regional", {"region": "EMEA"}), "regional_apac": ("regional", {"region": "APAC"}),
        "regional_nobody": ("regional", {}), "analyst": ("analyst", {}), "operator": ("operator", {})}


@pytest.fixture(scope="session")
def roles_catalog(acme_catalog, acme):
    """acme.yaml plus access roles, in the same folder: the same store as the `acme` session."""
    path = acme_catalog.with_name("acme_roles.yaml")
    path.write_text(acme_catalog.read_text() + ROLES)
    return path


@pytest.fixture(scope="session")
def roles_session(roles_catalog, acme):
    import hybridq

    hq = hybridq.connect(roles_catalog)  # opened in this process already: shares its store and model
    yield hq
    hq.close()


@pytest.fixture(scope="session")
def api_keys():
    """name -> a real key (hq_...), and the hashed entries a server keeps."""
    from hybridq.serve.keys import hash_key, new_key

    keys = {name: new_key() for name in KEYS}
    entries = [{"hash": hash_key(keys[name]), "role": role, "attributes": attrs, "name": name, "origin": "test"}
               for name, (role, attrs) in KEYS.items()]
    return keys, entries


@pytest.fixture(scope="session")
def server(roles_session, api_keys):
    """The application on a loopback port, with API keys; yields (base url, owner token)."""
    from hybridq.serve.app import create_app
    from hybridq.serve.keys import KeyRing
    from hybridq.serve.server import AppServer, listening_socket

    app = create_app(roles_session, token="test-owner-token", keys=KeyRing(api_keys[1]), kind="serve")
    sock = listening_socket("127.0.0.1", 0)
    running = AppServer(app, [sock])
    running.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", "test-owner-token"
    running.stop()


@pytest.fixture
def http(server, api_keys):
    """An httpx client factory: http(key_name) or http(owner=True)."""
    import httpx

    url, token = server
    clients = []

    def make(key: str | None = None, *, owner: bool = False):
        headers = {"X-Hybridq-Token": token} if owner else {"Authorization": f"Bearer {api_keys[0][key]}"} if key else {}
        client = httpx.Client(base_url=url, headers=headers, timeout=120, trust_env=False)
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()
