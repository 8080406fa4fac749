"""A minimal XML tree that remembers line numbers (``xml.etree`` does not), and number parsing."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from xml.parsers import expat

from hwsr.ink.errors import InkFormatError


@dataclasses.dataclass
class XmlNode:
    """One element: local tag name (namespace prefix removed), attributes, line, children."""

    tag: str
    attrib: dict[str, str]
    line: int
    children: list[XmlNode] = dataclasses.field(default_factory=list)
    text_parts: list[str] = dataclasses.field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def iter(self, tag: str):
        """Yields this node and its descendants named ``tag``, in document order."""
        stack = [self]
        while stack:
            node = stack.pop()
            if node.tag == tag:
                yield node
            stack.extend(reversed(node.children))


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def parse_xml(path: Path) -> XmlNode:
    """Parses ``path`` into an `XmlNode` tree (iteratively: any nesting depth is fine).

    Raises:
        InkFormatError: malformed or truncated XML, naming the line and column.
    """
    data = path.read_bytes()
    parser = expat.ParserCreate()
    stack: list[XmlNode] = []
    root: list[XmlNode] = []

    def start(name, attrs):
        node = XmlNode(_local(name), {_local(k): v for k, v in attrs.items()}, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(_name):
        stack.pop()

    def chars(text):
        if stack:
            stack[-1].text_parts.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        raise InkFormatError(
            f"{path}: line {e.lineno}, column {e.offset + 1}: malformed XML "
            f"({expat.ErrorString(e.code)}; is the file truncated or not XML?)"
        ) from None
    return root[0]


def parse_number(value: str | None, path: Path, line: int, what: str) -> float:
    """``float(value)``, finite, or an `InkFormatError` naming the file, line and ``what``."""
    if value is None:
        raise InkFormatError(f"{path}: line {line}: {what} is missing")
    try:
        number = float(value)
    except ValueError:
        raise InkFormatError(f"{path}: line {line}: {what}={value!r} is not a number") from None
    if not math.isfinite(number):
        raise InkFormatError(f"{path}: line {line}: {what}={value!r} is not a finite number")
    return number
