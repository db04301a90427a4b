"""Changing a YAML file the way a person would: only the values that changed, comments kept.

The register files carry comments that explain where figures come from (the seeds, what is
invented). An import from a workbook must not wipe them, so new values are merged into the
round-trip tree of ruamel.yaml: equal values keep their original spelling (``"2015-10"``,
flow style, quoting), changed ones are replaced, new keys appended, vanished keys removed.
"""

from __future__ import annotations

import difflib
import functools
import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq


def _yaml() -> YAML:
    y = YAML()               # round-trip mode
    y.preserve_quotes = True
    y.width = 4096          # changed blocks: no re-wrapping in the middle of a phrase
    y.indent(mapping=2, sequence=4, offset=2)
    y.representer.add_representer(Decimal, _represent_decimal)
    y.representer.add_representer(str, _represent_str)
    return y


@functools.lru_cache(maxsize=1)
def _resolver() -> yaml.resolver.Resolver:
    """PyYAML's resolver: what grantflow's reader takes a plain scalar for."""
    return yaml.resolver.Resolver()


def _represent_str(representer, value: str):
    """A text quoted wherever grantflow's reader (PyYAML, YAML 1.1) would take it for something
    else. ruamel writes YAML 1.2, where ``No``, ``off`` and ``1:30`` are text, and left them plain:
    a workbook answer "No" came back as the boolean false, and the project's documents stopped
    ("Input should be a valid string"). A leading "?" or ":" is quoted too: in a flow list PyYAML
    reads ``[?0]`` as a mapping and refuses ``[:0]``."""
    if value.startswith(("?", ":")) or \
            _resolver().resolve(yaml.ScalarNode, value, (True, False)) != "tag:yaml.org,2002:str":
        return representer.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return representer.represent_str(value)


def decimal_text(value: Decimal) -> str:
    """``value`` written so that grantflow's number reader reads it back as the same number: in
    full (never ``1e-05``, which it refuses), and never with exactly three decimals after the
    point (``800.125`` reads as 800 125, the point grouping thousands): then ``800.1250``."""
    from .numbers import read_number

    text = format(value.normalize(), "f")
    try:
        if "." in text and read_number(text, unit="") != value:
            text += "0"
    except ValueError:           # beyond the amount ceiling: the model refuses it before any write
        pass
    return text


def _represent_decimal(representer, value: Decimal):
    if value == value.to_integral_value():
        return representer.represent_int(int(value))
    return representer.represent_scalar("tag:yaml.org,2002:float", decimal_text(value))


def _plain(value: Any) -> Any:
    """Values as YAML would load them (Decimal → int/float), for comparing."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _same(old: Any, new: Any) -> bool:
    old, new = _plain(old), _plain(new)
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new))
    if isinstance(old, str) and isinstance(new, str):
        return str(old) == str(new)           # ruamel's folded/quoted strings are str subclasses
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return old == new
    if isinstance(old, date) and isinstance(new, date):
        return old == new
    return type(old) is type(new) and old == new


def _merge(old: Any, new: Any, full: Any) -> Any:
    """``new`` expressed in ``old``'s tree where the two agree.

    ``new`` leaves out default values; ``full`` is the same data with them, so a default the
    file spells out (``unit: 1``) stays where it is instead of being deleted.
    """
    if _same(old, new):
        return old
    if isinstance(old, CommentedMap) and isinstance(new, dict):
        full = full if isinstance(full, dict) else new
        for key in [k for k in old if k not in new]:
            if not (key in full and _same(old[key], full[key])):
                del old[key]
        for key, value in new.items():
            old[key] = _merge(old[key], value, full.get(key, value)) if key in old else _fresh(value)
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        full = full if isinstance(full, list) and len(full) == len(new) else new
        # Align equal items first (an inserted note must not shift every later item's comments).
        keys_old = [_key(v) for v in old]
        keys_new = [_key(v) for v in new]
        out = []
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=keys_old, b=keys_new, autojunk=False).get_opcodes():
            if tag == "equal":
                out += [old[i] for i in range(i1, i2)]
            else:   # replace / insert / delete: pair what can be paired, add or drop the rest
                pairs = min(i2 - i1, j2 - j1)
                out += [_merge(old[i1 + k], new[j1 + k], full[j1 + k]) for k in range(pairs)]
                out += [_fresh(new[j]) for j in range(j1 + pairs, j2)]
        old[:] = out
        return old
    return _fresh(new)


def _key(value: Any) -> str:
    return json.dumps(_plain(value), sort_keys=True, default=str, ensure_ascii=False)


def _fresh(value: Any) -> Any:
    """A new value in block style (plain Python containers dump as block). A Decimal stays one:
    its representer writes it so that it reads back as the same number (a float would not)."""
    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = _fresh(item)
        return out
    if isinstance(value, (list, tuple)):
        return CommentedSeq([_fresh(v) for v in value])
    return value if isinstance(value, Decimal) else _plain(value)


def load_tree(text: str) -> Any:
    return _yaml().load(text) if text.strip() else None


def dump_tree(tree: Any) -> str:
    stream = io.StringIO()
    _yaml().dump(tree, stream)
    return stream.getvalue()


def update_yaml(text: str, data: Any, full: Any = None) -> str:
    """``text`` changed to hold ``data``, keeping comments and spelling of unchanged values.

    Only the top-level keys whose value changed are written anew (their block of lines is
    replaced); every other line stays byte for byte as the person wrote it. ``full``: ``data``
    including default values (see ``_merge``). Returns ``text`` itself when nothing changed.
    """
    full = full if full is not None else data
    tree = load_tree(text)
    if tree is not None and _same(tree, data):
        return text
    if tree is None or not isinstance(tree, CommentedMap) or not isinstance(data, dict):
        return dump_tree(_fresh(data))
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    keys = list(tree.keys())
    starts = [tree.lc.key(k)[0] for k in keys]
    if any(tree.lc.key(k)[1] != 0 for k in keys) or starts != sorted(starts):
        return dump_tree(_merge(tree, data, full))      # an unusual layout: rewrite whole
    out = lines[:starts[0]] if starts else list(lines)
    for index, key in enumerate(keys):
        end = starts[index + 1] if index + 1 < len(keys) else len(lines)
        block = lines[starts[index]:end]
        if key not in data:
            if key in full and _same(tree[key], full[key]):
                out += block                             # a default spelled out: keep it
            continue
        if _same(tree[key], data[key]):
            out += block
            continue
        single = CommentedMap()
        single[key] = _merge(tree[key], data[key], full.get(key, data[key]))
        dumped = dump_tree(single)
        trailing = [line for line in block if line.strip() == ""][-1:] if block and block[-1].strip() == "" else []
        out += [dumped] + trailing
    for key, value in data.items():
        if key not in tree:
            single = CommentedMap()
            single[key] = _fresh(value)
            out.append(dump_tree(single))
    return "".join(out)


def new_yaml(data: Any, header: str = "") -> str:
    """A new YAML document (block style) with an optional comment header."""
    lines = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines()) if header else ""
    return lines + dump_tree(_fresh(data))
