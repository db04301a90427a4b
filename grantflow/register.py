"""Reading the project register from ``config/``: councils/*.yaml and projects/*.yaml."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .errors import UserError
from .findings import Finding, loc_text
from .models import Council, Project, error_loc
from .numbers import echo
from .suggest import unknown_id
from .text import SLUG, SLUG_MAX
from .yamlfile import LocatedYaml, is_yaml, load_yaml

DEFAULT_CONFIG = "config"
SETTINGS_NAMES = ("grantflow.yaml", "grantflow.yml", "grantflow.YAML", "grantflow.YML")


def display_path(path: Path) -> str:
    """A path as the user should see it: relative to the working directory when inside it, else
    absolute ('../../../tmp/x' told a user less than '/tmp/x')."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return os.path.abspath(path)
    return relative


def config_root(path: str | os.PathLike | None = None) -> Path:
    """The config folder: the argument, $GRANTFLOW_CONFIG, or ./config. A file stands for the
    folder that holds it only when it is one of its files (a project or council file, the settings
    file); any other file (``--config /etc/passwd``) is refused rather than read as its folder."""
    root = Path(path or os.environ.get("GRANTFLOW_CONFIG") or DEFAULT_CONFIG)
    if root.is_file():
        if root.parent.name in ("projects", "councils") and is_yaml(root):
            root = root.parent.parent
        elif root.name in SETTINGS_NAMES:
            root = root.parent
        else:
            raise UserError("is a file, not a config folder (give the folder that holds grantflow.yaml, "
                            "councils/ and projects/, or a project file in it)", file=display_path(root))
    if not root.is_dir():
        if is_yaml(root):
            raise UserError("file not found", file=display_path(root))
        if path or os.environ.get("GRANTFLOW_CONFIG"):
            where = "" if path else " (GRANTFLOW_CONFIG)"
            raise UserError(f"config folder not found{where}", file=display_path(root))
        # the default ./config: grantflow was run from another folder than the installation's
        raise UserError(f"no config folder in {Path.cwd()}: run grantflow in the folder that holds config/, "
                        "or give --config FOLDER (or set GRANTFLOW_CONFIG)", file=display_path(root))
    return root


@dataclass
class Register:
    """All councils and projects, with the parsed YAML kept for line numbers."""

    root: Path
    councils: dict[str, Council] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    sources: dict[tuple[str, str], LocatedYaml] = field(default_factory=dict)
    unreadable: set[tuple[str, str]] = field(default_factory=set)   # (kind, file stem) that did not load

    def project(self, project_id: str) -> Project:
        try:
            return self.projects[project_id]
        except KeyError:
            message = unknown_id("project", project_id, self.projects)
            if project_id in self.councils:
                # `send usage haugaland-vekst --year 2015` said only "unknown project" (found by a tester)
                message = (f"{project_id!r} is a council, not a project: a council's usage report is made with "
                           f"--council {project_id} --year YEAR; a document of one of its projects names the project "
                           f"({', '.join(sorted(p.id for p in self.projects.values() if p.council == project_id)) or 'none'})")
            raise UserError(message, file=display_path(self.root / "projects")) from None

    def council(self, council_id: str) -> Council:
        try:
            return self.councils[council_id]
        except KeyError:
            raise UserError(unknown_id("council", council_id, self.councils),
                            file=display_path(self.root / "councils")) from None

    def council_of(self, project: Project) -> Council:
        return self.council(project.council)

    def source(self, kind: str, item_id: str) -> LocatedYaml | None:
        return self.sources.get((kind, item_id))

    def where(self, kind: str, item_id: str, loc: tuple) -> tuple[str, int | None]:
        """File and line of ``loc`` inside the YAML of a council or project."""
        src = self.source(kind, item_id)
        if src is None:
            return display_path(self.root), None
        return src.file, src.line_of(loc)

    def data_path(self, relative: str) -> Path:
        """A data file named in the register; it must lie inside the config folder."""
        root = self.root.resolve()
        try:
            path = (root / relative).resolve()
        except OSError as exc:
            raise UserError(f"data path {relative[:80]!r} cannot be used: {exc.strerror or exc}",
                            file=display_path(root), field="data") from None
        if not path.is_relative_to(root):
            raise UserError(f"data path {relative!r} leads outside the config folder {display_path(root)}",
                            file=display_path(root), field="data")
        return path


def validation_message(err: dict, missing: str = "required field is missing",
                       extra: str = "unknown key (misspelt?)") -> str:
    """One pydantic error in our words: a validator's own sentence without pydantic's "Value error, "."""
    if err["type"] == "extra_forbidden":
        return extra
    if err["type"] == "missing":
        return missing
    if err["type"] == "value_error" and err.get("ctx", {}).get("error") is not None:
        return str(err["ctx"]["error"])
    if err["type"] in ("model_type", "dict_type"):
        # pydantic says "a valid dictionary or instance of Municipality": our class, not the user's word
        given = err.get("input")
        what = ("an empty entry" if given is None else f"the text {echo(given, 60)}" if isinstance(given, str)
                else "a list" if isinstance(given, list) else f"the value {echo(given, 60)}")
        return f"should be keys with values (key: value, e.g. {{name: …}}), not {what}"
    return err["msg"]


def validation_findings(exc: ValidationError, doc: LocatedYaml) -> list[Finding]:
    out = []
    for err in exc.errors():
        loc = error_loc(err)
        out.append(Finding("error", doc.file, doc.line_of(loc), loc_text(loc), validation_message(err)))
    return out


def _load_items(folder: Path, model: type[BaseModel], kind: str, register: Register,
                findings: list[Finding], paths: list[Path] | None = None) -> dict[str, BaseModel]:
    items: dict[str, BaseModel] = {}
    if paths is None and not folder.is_dir():
        return items
    for path in (paths if paths is not None else sorted(folder.iterdir())):
        if path.name.startswith(".") or path.name.endswith("~"):
            continue                      # editor backups and hidden files
        shown = display_path(path)
        if not is_yaml(path) or not path.is_file():
            findings.append(Finding("warning", shown, None, "",
                                    f"ignored: {kind} files are .yaml or .yml files"))
            continue
        register.unreadable.add((kind, path.stem))      # until it has loaded
        try:
            doc = load_yaml(path, shown)
        except UserError as exc:
            findings.append(Finding("error", shown, exc.line, exc.field or "", exc.message))
            continue
        if not isinstance(doc.data, dict):
            findings.append(Finding("error", shown, 1, "", f"expected a mapping of {kind} fields"))
            continue
        try:
            item = model.model_validate(doc.data)
        except ValidationError as exc:
            findings.extend(validation_findings(exc, doc))
            continue
        item_id = getattr(item, "id")
        if path.stem != item_id:
            # the id names the outputs folder and the send history: a typo in it would start both
            # afresh (every document made and sent again as new), so file name and id must agree
            named = [p for p in (path.with_name(f"{item_id}.yaml"), path.with_name(f"{item_id}.yml")) if p.is_file()]
            what = (f"duplicate {kind} id {item_id!r} (also in {display_path(named[0])}), and the file name "
                    f"{path.name!r} does not match it" if named else
                    f"{kind} id {item_id!r} does not match the file name {path.name!r}: rename the file to "
                    f"{item_id}{path.suffix} or correct the id")
            findings.append(Finding("error", shown, doc.line_of(("id",)), "id", what))
            continue
        if item_id in items:
            other = register.sources[(kind, item_id)].file
            findings.append(Finding("error", shown, doc.line_of(("id",)), "id",
                                    f"duplicate {kind} id {item_id!r} (also in {other})"))
            continue
        items[item_id] = item
        register.unreadable.discard((kind, path.stem))
        register.sources[(kind, item_id)] = doc
    return items


def apply_settings_limits(root: Path, smtp_optional: bool = False) -> list[Finding]:
    """Read ``grantflow.yaml`` (validating it like every other file) and apply its ``max_amount``
    before amounts are read; its problems are returned as findings (``smtp_optional``: see
    ``settings_findings``)."""
    from . import numbers
    from .settings import settings_findings

    settings, findings = settings_findings(root, smtp_optional)
    numbers.set_ceiling(settings.max_amount if settings is not None else None)
    from .deadlines import set_closed_days

    set_closed_days(settings.closed_days if settings is not None else None)
    return findings


def load_register(path: str | os.PathLike | None = None,
                  smtp_optional: bool = False) -> tuple[Register, list[Finding]]:
    """Load every council and project; problems are returned as findings, not raised.
    ``smtp_optional`` (a command that sends nothing): a mistake in ``delivery`` is a warning (see settings_findings)."""
    root = config_root(path)
    register = Register(root=root)
    findings: list[Finding] = []
    findings += apply_settings_limits(root, smtp_optional)
    register.councils = _load_items(root / "councils", Council, "council", register, findings)
    register.projects = _load_items(root / "projects", Project, "project", register, findings)
    if not register.councils and not any(f.severity == "error" for f in findings):
        if (root / "councils").is_dir():
            findings.append(Finding("error", display_path(root / "councils"), None, "",
                                    "no council files (*.yaml) found"))
        else:   # e.g. --config config/projects
            parent = next((p for p in root.resolve().parents[:2] if (p / "councils").is_dir()), None)
            hint = f"; did you mean --config {display_path(parent)}?" if parent else ""
            findings.append(Finding("error", display_path(root), None, "",
                                    "not a config folder: it has no councils/ folder (a config folder holds "
                                    f"grantflow.yaml, councils/ and projects/){hint}"))
    return register, findings


def open_register(path: str | os.PathLike | None = None, sends: bool = True) -> Register:
    """Load the register for commands that need it whole; the first error is raised. ``sends=False``
    (``grantflow deadlines``): a mistake in ``delivery`` is no error here (``load_settings`` says it)."""
    register, findings = load_register(path, smtp_optional=not sends)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more; run 'grantflow validate')" if len(errors) > 1 else ""
        raise UserError(first.message + more, file=first.file, line=first.line, field=first.field)
    return register


def _only_file_of(folder: Path, item_id: str) -> Path | None:
    """``folder/<id>.yaml`` (or .yml) when it is the one file there that can hold ``item_id``: no
    other YAML file in the folder mentions the id at all (reading bytes costs microseconds a file,
    parsing one 25-60 ms). Otherwise None, and the caller reads the whole folder."""
    if not (SLUG.fullmatch(item_id or "") and len(item_id) <= SLUG_MAX):
        # an id typed on the command line ('../councils/x', 5 000 letters) is never a path: no file
        # outside the folder is read, and the whole register's "unknown project" says what is known
        return None
    named = [folder / f"{item_id}{ext}" for ext in (".yaml", ".yml")]
    found = [p for p in named if p.is_file()]
    if len(found) != 1:
        return None
    needle = item_id.encode()
    try:
        for path in folder.iterdir():
            if path != found[0] and is_yaml(path) and needle in path.read_bytes():
                return None
    except OSError:
        return None
    return found[0]


def open_project_register(path: str | os.PathLike | None, project_id: str) -> Register:
    """The part of the register one project's document needs: the settings, the project and its
    council, parsed alone (a register of a thousand projects costs ~25-60 ms a file to parse).
    Falls back to the whole register (``open_register``, with its clear first error) whenever the
    shortcut could read differently: the file is not named by the id, another file mentions the id
    (a possible duplicate), or anything in the files read is wrong. ``grantflow validate`` always
    reads everything."""
    root = config_root(path)
    project_file = _only_file_of(root / "projects", project_id)
    if project_file is None:
        return open_register(path)
    register = Register(root=root)
    findings = apply_settings_limits(root)
    register.projects = _load_items(root / "projects", Project, "project", register, findings, [project_file])
    project = register.projects.get(project_id)
    council_file = _only_file_of(root / "councils", project.council) if project else None
    if council_file is None:
        return open_register(path)
    register.councils = _load_items(root / "councils", Council, "council", register, findings, [council_file])
    if any(f.severity == "error" for f in findings) or project.council not in register.councils:
        return open_register(path)
    return register
