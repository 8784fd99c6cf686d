"""Reader for folders of documents (txt, md, html): template fields and front matter become columns."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser

import yaml

from hybridq.refresh.files import absolute
from hybridq.front_matter import FRONT_MATTER, FrontMatterError, load_front_matter
from hybridq.paths import resolve, template_regex
from hybridq.refresh.sources.base import ReadContext, RowIssue, SourceRead, typed_from_records

def read_documents(ctx: ReadContext, files: list[str]) -> SourceRead:
    out = SourceRead(rows=None)  # set below
    pattern = template_regex(os.path.normpath(resolve(ctx.base_dir, ctx.source.path)))
    records, rec_files = [], []
    for shown in ctx.each_file(files):
        record, problem = _read_one(ctx, shown, pattern)
        if problem:
            out.failed.add(shown)
            out.issues.append(problem)
            continue
        records.append(record)
        rec_files.append(shown)
    typed, issues = typed_from_records(ctx, records, rec_files, [None] * len(records))
    out.failed.update(i.file for i in issues if i.file)
    out.rows, out.issues = typed, out.issues + issues
    return out


def _read_one(ctx: ReadContext, shown: str, pattern: re.Pattern) -> tuple[dict | None, RowIssue | None]:
    path = absolute(ctx.base_dir, shown)
    try:
        size = path.stat().st_size
        if size > ctx.source.max_file_bytes:
            return None, RowIssue(shown, None, None,
                                  f"file is {size:,} bytes, over max_file_bytes ({ctx.source.max_file_bytes:,}); not read")
        raw = path.read_bytes()
    except OSError as exc:
        return None, RowIssue(shown, None, None, f"cannot read file: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, RowIssue(shown, line, None, f"not UTF-8 text (byte {exc.start}: {exc.reason})")
    record: dict = {}
    m = FRONT_MATTER.match(text)
    if m:
        try:
            meta = load_front_matter(m.group(1)) or {}
        except FrontMatterError as exc:
            return None, RowIssue(shown, exc.line + 2 if exc.line is not None else 1, None, f"invalid front matter: {exc}")
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 2 if mark else 1
            return None, RowIssue(shown, line, None, f"invalid front matter: {getattr(exc, 'problem', exc)}")
        if not isinstance(meta, dict):
            return None, RowIssue(shown, 1, None, "front matter must be a mapping of keys")
        record.update(meta)
        text = text[m.end():]
    fields = pattern.match(os.path.normpath(path))
    if fields:
        for key, value in fields.groupdict().items():
            if key in record and str(record[key]) != value:
                return None, RowIssue(shown, 1, None,
                                      f"front matter says {key}: {record[key]!r} but the path says {value!r}")
            record[key] = value
    if path.suffix.lower() in (".html", ".htm"):
        text = html_to_text(text)
    record[ctx.source.body_column] = text.strip()
    return record, None


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "pre", "blockquote"}
    SKIP = {"script", "style", "head", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"\s*\n\s*\n\s*", "\n\n", text).strip()
