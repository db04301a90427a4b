"""A failed run's state message, as `grantflow run` and the deadline watch read it: a user's
mistake (any UserError, subclasses included) becomes its one line; anything else stays a bug."""

from __future__ import annotations

import importlib
import pkgutil

import grantflow
from flows.remote import USER_ERROR_CLASSES, user_mistake
from grantflow.errors import UserError


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_user_error_class_is_read_as_a_user_mistake():
    # import every grantflow module, so every subclass of UserError exists
    for module in pkgutil.walk_packages(grantflow.__path__, "grantflow."):
        importlib.import_module(module.name)
    names = {UserError.__name__} | {c.__name__ for c in _subclasses(UserError)}
    assert "ContentConflict" in names
    assert names <= set(USER_ERROR_CLASSES), names - set(USER_ERROR_CLASSES)


def test_a_content_conflict_is_one_line_and_a_bug_is_not():
    message = ("Flow run encountered an exception: ContentConflict: outputs/x/status-2016-10-07.docx: "
               "version 1 was sent with other content")
    assert user_mistake(message) == "outputs/x/status-2016-10-07.docx: version 1 was sent with other content"
    assert user_mistake("Flow run encountered an exception: UserError: --period: bad") == "--period: bad"
    assert user_mistake("Flow run encountered an exception: KeyError: 'x'") is None
    assert user_mistake("Flow run encountered an exception: NotContentConflict: x") is None
