"""YAML loading that remembers the line of every key, so errors can name it.

Hand-edited files are read defensively:
- numbers keep the text they were written as (``SourcedInt``/``SourcedFloat``), so an amount
  ``350.000`` is read by ``grantflow.numbers`` as 350 000 kr, not by YAML as 350.0;
- a date that does not exist (``2016-13-01``) stays text and its field reports it;
- a key written twice in one mapping is an error (YAML would silently keep the last);
- aliases may not expand beyond ``MAX_NODES`` nodes (a "billion laughs" file is refused at once)
  and may not refer to themselves;
- files over ``MAX_BYTES`` are refused;
- ``!!binary``, ``!!set``, ``!!omap`` and ``!!pairs`` values are refused (no field takes them);
- a whole number not written in plain decimal digits is refused: YAML 1.1 reads ``0x0a`` and
  ``012`` as 10, ``0b1010`` as 10, ``1_000`` as 1000 and ``1:30`` as 90 (sexagesimal), none of which
  a person typing a risk factor, a percentage or a postal code means.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import UserError
from .findings import loc_text
from .numbers import echo

Path_ = tuple[Any, ...]
# libyaml's C parser when PyYAML was built with it (about 7x faster, same marks and errors).
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_BYTES = 5_000_000
MAX_NODES = 200_000


class SourcedInt(int):
    """An int from YAML that remembers how it was written."""

    source: str


class SourcedFloat(float):
    """A float from YAML that remembers how it was written."""

    source: str


def _int(loader, node):
    value = SourcedInt(yaml.SafeLoader.construct_yaml_int(loader, node))
    value.source = node.value
    return value


def _float(loader, node):
    value = SourcedFloat(yaml.SafeLoader.construct_yaml_float(loader, node))
    value.source = node.value
    return value


def _timestamp(loader, node):
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return str(node.value)          # not a real date: the field's validator says so


def _foreign(loader, node):
    """Tags whose values are no text, number, list or mapping (``!!binary`` would become a name
    read from base64, ``!!set`` a mapping of nulls): not used in grantflow files."""
    raise yaml.constructor.ConstructorError(
        None, None, f"the tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not used in grantflow files; "
        "write the value itself", node.start_mark)


class _Loader(_Base):
    pass


_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:float", _float)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
for _tag in ("binary", "set", "omap", "pairs"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _foreign)


class LocatedYaml:
    """A parsed YAML document plus the 1-based line of every mapping key and list item."""

    def __init__(self, file: str, data: Any, lines: dict[Path_, int]):
        self.file = file
        self.data = data
        self.lines = lines

    def line_of(self, loc: Path_) -> int | None:
        """The line of ``loc`` or of its nearest ancestor that has one."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_MERGE = "tag:yaml.org,2002:merge"


def _key(key_node: yaml.Node, loader):
    """A mapping key as YAML constructs it; plain text keys (nearly all) without the constructor."""
    if key_node.tag == _STR and isinstance(key_node, yaml.ScalarNode):
        return key_node.value
    return loader.construct_object(key_node, deep=True)


def _check(root: yaml.Node, loader, file: str) -> None:
    """One pass over the node graph (each node once, aliases included): refuse self-referring
    aliases, documents whose aliases expand beyond MAX_NODES values, and a key written twice in
    one mapping."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise UserError("invalid YAML: an alias refers to the mapping or list that contains it",
                            file=file, line=node.start_mark.line + 1)
        active.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            _no_twice(node, loader, file)
            children = [n for pair in node.value for n in pair]
        else:
            children = node.value if isinstance(node, yaml.SequenceNode) else []
        for child in children:
            total += size(child)
            if total > MAX_NODES:
                raise UserError(f"refused: the aliases in this file expand to more than {MAX_NODES:,} values "
                                "(an alias bomb?)", file=file, line=child.start_mark.line + 1)
        active.discard(key)
        sizes[key] = total
        return total

    size(root)


def _no_twice(node: yaml.MappingNode, loader, file: str) -> None:
    """A key written twice in one mapping is an error (YAML would silently keep the last)."""
    keys: dict = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
            continue
        try:
            name = _key(key_node, loader)
            hash(name)
        except Exception:       # noqa: BLE001 - construction reports it later with its mark
            continue
        if name in keys:
            raise UserError(f"key {echo(str(name), 80)} appears twice in this mapping (first on "
                            f"line {keys[name]}); YAML would silently keep the last",
                            file=file, line=key_node.start_mark.line + 1)
        keys[name] = key_node.start_mark.line + 1


def _decimal_only(node: yaml.Node, loader, path: Path_, file: str) -> None:
    """A whole number must be written in decimal digits: YAML 1.1 also takes hexadecimal, octal
    (a leading zero), binary, underscores and base 60, and reads each as a number nobody typed."""
    if node.tag != _INT or not isinstance(node, yaml.ScalarNode) or _DECIMAL.fullmatch(node.value):
        return
    text = node.value
    digits = text.lstrip("+-")
    how = ("hexadecimal" if digits[:2].lower() == "0x" else "binary" if digits[:2].lower() == "0b"
           else "base 60, as in hours:minutes" if ":" in digits else "octal, as it starts with 0" if digits[:1] == "0"
           else "with its underscores dropped")
    try:
        read = f"{int(yaml.SafeLoader.construct_yaml_int(loader, node)):d}"
    except (ValueError, TypeError):
        read = "a number"
    # the text matched YAML's int pattern: digits, letters a-f, x, b, _, :, a sign; safe to show as is
    raise UserError(f"{text} is not a decimal whole number: YAML would read it as {read} ({how}); write "
                    f"whole numbers in decimal digits ({read} if that is meant), or quote it ('{text}') if it is text",
                    file=file, line=node.start_mark.line + 1, field=loc_text(path) or None)


def _walk(node: yaml.Node, loader, path: Path_, lines: dict[Path_, int], file: str = "") -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    _decimal_only(node, loader, path, file)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _decimal_only(key_node, loader, path, file)
            key = _key(key_node, loader)
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, loader, path + (key,), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[path + (index,)] = item.start_mark.line + 1
            _walk(item, loader, path + (index,), lines, file)


def is_yaml(path: Path) -> bool:
    """``.yaml`` or ``.yml`` in any case."""
    return path.suffix.lower() in (".yaml", ".yml")


def load_yaml(path: str | Path, display: str | None = None) -> LocatedYaml:
    """Parse ``path``; every problem becomes a UserError naming file and line."""
    file = display or str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise UserError("file not found", file=file) from None
    except IsADirectoryError:
        raise UserError("is a folder, not a YAML file", file=file) from None
    except OSError as exc:
        raise UserError(f"cannot read file: {exc.strerror or exc}", file=file) from None
    if len(raw) > MAX_BYTES:
        raise UserError(f"file is larger than {MAX_BYTES // 1_000_000} MB; not a grantflow YAML file", file=file)
    if b"\x00" in raw:
        raise UserError("binary data (NUL bytes), not a YAML text file", file=file)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise UserError(f"not UTF-8 text (byte 0x{raw[exc.start:exc.start + 1].hex()}); save the file as UTF-8",
                        file=file, line=line) from None
    data, lines = _parse(text, file)
    return LocatedYaml(file, data, lines)


def read_yaml_text(text: str) -> Any:
    """A YAML value typed in one place (a workbook cell), read by the rules of a grantflow YAML
    file (decimal whole numbers only, no key twice, no alias bombs, no foreign tags); ValueError
    with the reason otherwise, for the caller to name its place."""
    try:
        return _parse(text, "")[0]
    except UserError as exc:
        raise ValueError(exc.message) from None


def _parse(text: str, file: str) -> tuple[Any, dict[Path_, int]]:
    """The document in ``text`` and the line of every key and item; UserError naming ``file``."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = None
        lines: dict[Path_, int] = {}
        if node is not None:
            _check(node, loader, file)
            data = loader.construct_document(node)
            _walk(node, loader, (), lines, file)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise UserError(f"invalid YAML: {problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise UserError(f"invalid YAML: {echo(str(exc), 150)}", file=file) from None
    except RecursionError:
        raise UserError("invalid YAML: nested too deeply", file=file) from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise UserError(f"invalid YAML value: {echo(str(exc), 150)}", file=file) from None
    finally:
        loader.dispose()
    return data, lines
