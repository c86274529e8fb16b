"""Read: inbox files to articles, or to rejections that say why.

Every file ends as one or more ``RawArticle`` or a ``Rejection``; nothing is dropped quietly.
Reads are bounded: a file larger than the limit is rejected from its size alone, and JSON nesting
is bounded by the parser's recursion limit, caught here.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from incidents.model import InboxFile, RawArticle, ReadResult, Rejection
from incidents.textfiles import Unreadable, check_article_text, decode_text, is_valid_unicode, parse_published_at
from tasks.discover import ARTICLE_SUFFIXES, SIDECAR_SUFFIX


def _optional_str(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, (str, int, float)):
        if isinstance(value, str) and not is_valid_unicode(value):
            raise ValueError(f"'{key}' holds a lone UTF-16 surrogate")
        return str(value).strip() or None
    raise ValueError(f"'{key}' must be a string")


def article_from_object(obj, source_file: str, default_timezone: str, encoding: str) -> RawArticle:
    if not isinstance(obj, dict):
        raise Unreadable("malformed_json", f"expected an article object, found {type(obj).__name__}")
    text = obj.get("text")
    if not isinstance(text, str):
        raise Unreadable("malformed_json", "the article object has no 'text' string")
    try:
        published = parse_published_at(obj.get("published_at"), default_timezone)
        metadata = {key: _optional_str(obj, key) for key in ("source", "url", "title", "id")}
    except ValueError as exc:
        raise Unreadable("malformed_json", f"bad metadata: {exc}") from None
    return RawArticle(
        source_file=source_file,
        text=check_article_text(text),
        encoding=encoding,
        external_id=metadata["id"],
        published_at=published,
        published_at_origin="metadata" if published else "none",
        source=metadata["source"],
        url=metadata["url"],
        title=metadata["title"],
    )


def _load_json(text: str):
    try:
        return json.loads(text)
    except RecursionError:
        raise Unreadable("malformed_json", "JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise Unreadable("malformed_json", f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None


def read_json(data: bytes, source_file: str, default_timezone: str) -> list[RawArticle]:
    text, encoding = decode_text(data)
    return [article_from_object(_load_json(text), source_file, default_timezone, encoding)]


def read_jsonl(data: bytes, source_file: str, default_timezone: str) -> tuple[list[RawArticle], list[Rejection]]:
    text, encoding = decode_text(data)
    articles, rejections = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        name = f"{source_file}#{number}"
        try:
            articles.append(article_from_object(_load_json(line), name, default_timezone, encoding))
        except Unreadable as exc:
            rejections.append(Rejection(name, exc.reason, exc.detail, len(line.encode("utf-8"))))
    if not articles and not rejections:
        raise Unreadable("empty", "no lines")
    return articles, rejections


def read_sidecar(data: bytes, default_timezone: str) -> dict:
    text, _ = decode_text(data)
    obj = _load_json(text)
    if not isinstance(obj, dict):
        raise Unreadable("malformed_sidecar", "the sidecar is not a JSON object")
    try:
        return {
            "published_at": parse_published_at(obj.get("published_at"), default_timezone),
            "source": _optional_str(obj, "source"),
            "url": _optional_str(obj, "url"),
            "title": _optional_str(obj, "title"),
        }
    except ValueError as exc:
        raise Unreadable("malformed_sidecar", f"bad metadata: {exc}") from None


def read_txt(data: bytes, source_file: str) -> RawArticle:
    text, encoding = decode_text(data)
    return RawArticle(source_file=source_file, text=check_article_text(text), encoding=encoding)


class _ReplacedWhileReading(Exception):
    """The path named another file by the end of the read: the file is read on the next run."""


def _read_bytes(root: Path, path: Path, limit: int) -> tuple[bytes, os.stat_result]:
    """At most ``limit`` bytes of a file that is (still) in the inbox, and its stat after the read.

    Discovery checked where links lead, but the inbox can change before the read: a file swapped
    for a link to /etc/passwd must not be read. So where the path leads is checked once the file
    is open, and the file opened must be the one the path names after the read.
    """
    with open(path, "rb") as handle:
        opened = os.fstat(handle.fileno())
        data = handle.read(limit + 1)
    if not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root)):
        raise Unreadable("link_outside_inbox", "replaced by a link that leads outside the inbox; not read")
    after = os.stat(path)
    if (opened.st_dev, opened.st_ino) != (after.st_dev, after.st_ino):
        raise _ReplacedWhileReading(path)
    if len(data) > limit:
        raise Unreadable("too_large", f"larger than the {limit}-byte limit")
    return data, after


def read_file(root: Path, file: InboxFile, max_bytes: int, default_timezone: str) -> ReadResult:
    """Reads one inbox file (and its sidecar) into articles or rejections."""
    path = root / file.source_file
    name = file.source_file
    suffix = Path(name).suffix.lower()
    try:
        if file.size_bytes > max_bytes:
            raise Unreadable("too_large", f"{file.size_bytes} bytes, over the {max_bytes}-byte limit")
        if name.endswith(SIDECAR_SUFFIX):
            raise Unreadable("orphan_sidecar", "metadata sidecar with no .txt article beside it")
        if suffix not in ARTICLE_SUFFIXES:
            raise Unreadable("unsupported_type", f"'{suffix or Path(name).name}' files are not articles")
        try:
            before = os.stat(path)
            data, after = _read_bytes(root, path, max_bytes)
        except FileNotFoundError:
            return ReadResult(file, None, deferred=True)  # deleted while we looked: not ours
        except PermissionError as exc:
            raise Unreadable("unreadable", f"permission denied: {exc.strerror}") from None
        except IsADirectoryError:
            raise Unreadable("not_a_file", "a folder") from None
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(data) != after.st_size:
            return ReadResult(file, None, deferred=True)  # still being written
        digest = hashlib.sha256(data).hexdigest()
        if not data:
            raise Unreadable("empty", "0 bytes")
        rejections: list[Rejection] = []
        if suffix == ".txt":
            article = read_txt(data, name)
            if file.sidecar:
                article, sidecar_problem = _with_sidecar(root, file, article, max_bytes, default_timezone)
                if sidecar_problem:
                    rejections.append(sidecar_problem)
            articles = [article]
        elif suffix == ".json":
            articles = read_json(data, name, default_timezone)
        elif suffix == ".jsonl":
            articles, rejections = read_jsonl(data, name, default_timezone)
        else:
            from incidents.htmltext import read_html  # lazily: most inboxes hold no HTML

            articles = [read_html(data, name, default_timezone)]
        return ReadResult(file, digest, articles=articles, rejections=rejections)
    except _ReplacedWhileReading:
        return ReadResult(file, None, deferred=True)
    except Unreadable as exc:
        return ReadResult(file, None, rejections=[Rejection(name, exc.reason, exc.detail, file.size_bytes)])


def _with_sidecar(root, file: InboxFile, article: RawArticle, max_bytes: int, default_timezone: str):
    try:
        metadata = read_sidecar(_read_bytes(root, root / file.sidecar, max_bytes)[0], default_timezone)
    except Unreadable as exc:
        problem = Rejection(file.sidecar, exc.reason, f"{exc.detail}; article read without metadata",
                            file.sidecar_size_bytes)
        return article, problem
    except OSError as exc:
        return article, Rejection(file.sidecar, "unreadable", f"{exc}; article read without metadata")
    published = metadata["published_at"]
    return (
        RawArticle(
            source_file=article.source_file,
            text=article.text,
            encoding=article.encoding,
            published_at=published,
            published_at_origin="metadata" if published else "none",
            source=metadata["source"],
            url=metadata["url"],
            title=metadata["title"],
        ),
        None,
    )


def read_batch(root: Path, files: list[InboxFile], max_bytes: int, default_timezone: str) -> list[ReadResult]:
    return [read_file(root, file, max_bytes, default_timezone) for file in files]
