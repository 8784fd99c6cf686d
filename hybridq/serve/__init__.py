"""Serving a store: one FastAPI application for the public HTTP API, the owner endpoint that other
local processes use, and the MCP tools.

Modules that a client needs (`wire`, `owner`, `client`) import nothing heavy: a command answered
by the store's owner process loads neither the engine nor the model.
"""
