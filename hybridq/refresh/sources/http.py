"""Reader for HTTP JSON endpoints: every page is fetched, the records are diffed by key and hash.

The URL and header values are jinja2 templates with the variables `page`, `offset`, `limit`,
`cursor` and `env` (the environment: secrets never sit in the catalog). A failed request, a
timeout or a response that is not JSON fails the whole read: the stored rows stay as they are
(a partial listing cannot tell which rows were deleted) and the problem is reported.
"""

from __future__ import annotations

import os
import re

import httpx
import jinja2

from hybridq.errors import SourceError
from hybridq.refresh.sources.base import ReadContext, SourceRead

_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def read_http(ctx: ReadContext, files: list[str]) -> SourceRead:
    from hybridq.refresh.external import rows_from_records

    opts = ctx.source.http
    records = []
    with httpx.Client(timeout=opts.timeout_seconds, trust_env=False, follow_redirects=True) as client:
        for page_number, document, response in _pages(client, opts):
            found = dig(document, opts.records)
            if found is _MISSING:
                raise SourceError(f"page {page_number} of {opts.url}: no '{opts.records}' in the response",
                                  hint="records: names the dotted path of the list of records")
            if not isinstance(found, list):
                found = [found] if isinstance(found, dict) else found
            if not isinstance(found, list):
                raise SourceError(f"page {page_number} of {opts.url}: '{opts.records or 'the response'}' is "
                                  f"{type(found).__name__}, not a list of records")
            records.extend(found)
            if _last_page(opts.pagination, found):
                break
    return rows_from_records(ctx, records)


def _pages(client: httpx.Client, opts):
    """(page number, parsed JSON, response) for each page, following the pagination style."""
    pag = opts.pagination
    variables = {"page": pag.start, "offset": 0, "limit": pag.size, "cursor": ""}
    url = None
    for number in range(1, pag.max_pages + 1):
        if url is None or pag.style != "next_url":
            url = render(opts.url, variables)
        headers = {k: render(v, variables) for k, v in opts.headers.items()}
        document, response = _get(client, url, headers, number, opts.url)
        yield number, document, response
        if pag.style == "none":
            return
        if pag.style == "page":
            variables["page"] += 1
        elif pag.style == "offset":
            variables["offset"] += pag.size
        elif pag.style == "cursor":
            cursor = dig(document, pag.next_path)
            if cursor in (None, "", _MISSING):
                return
            variables["cursor"] = cursor
        else:  # next_url
            nxt = dig(document, pag.next_path) if pag.next_path else _link_next(response)
            if nxt in (None, "", _MISSING):
                return
            url = str(response.url.join(str(nxt)))
    raise SourceError(f"{opts.url}: more than {pag.max_pages} pages", hint="raise pagination.max_pages")


def _last_page(pag, records: list) -> bool:
    if pag.style in ("page", "offset"):
        return len(records) < pag.size
    return False


def _get(client: httpx.Client, url: str, headers: dict, number: int, shown: str):
    where = f"page {number} of {shown}"
    try:
        response = client.get(url, headers=headers)
    except httpx.TimeoutException:
        raise SourceError(f"{where}: no answer within {client.timeout.read}s",
                          hint="raise http.timeout_seconds if the endpoint is slow") from None
    except httpx.HTTPError as exc:
        raise SourceError(f"{where}: {type(exc).__name__}: {exc}") from None
    if response.status_code >= 400:
        raise SourceError(f"{where}: HTTP {response.status_code} {response.reason_phrase}")
    try:
        return response.json(), response
    except ValueError as exc:
        raise SourceError(f"{where}: the response is not valid JSON ({exc})") from None


class _Environment:
    """`env` in templates: the process environment; a missing variable is named, not left empty."""

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return os.environ[name]
        except KeyError:
            raise SourceError(f"environment variable {name} is not set",
                              hint=f"export {name}=... before running hybridq; secrets are read from the environment") from None

    __getitem__ = __getattr__


def render(template: str, variables: dict) -> str:
    try:
        return _ENV.from_string(template).render(**variables, env=_Environment())
    except jinja2.UndefinedError as exc:
        raise SourceError(f"template {template!r}: {exc.message}") from None


_MISSING = object()


def dig(document, path: str | None):
    """The value at a dotted path (`data.items`, `results.0`), or _MISSING."""
    node = document
    for part in (path or "").split(".") if path else []:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _link_next(response: httpx.Response) -> str | None:
    match = _LINK_NEXT.search(response.headers.get("link", ""))
    return match.group(1) if match else None
