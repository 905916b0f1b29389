"""The public names: each documented and typed, as a script's editor and type checker see them."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import askdoc


def public_members(obj) -> list[tuple[str, object]]:
    members = []
    for name, member in vars(obj).items():
        if name.startswith("_"):
            continue
        function = member.fget if isinstance(member, property) else getattr(member, "func", member)
        function = getattr(function, "__func__", function)
        if callable(function):
            members.append((name, function))
    return members


@pytest.mark.parametrize("name", askdoc.__all__)
def test_every_public_name_and_its_methods_are_documented(name):
    value = getattr(askdoc, name)
    if not (inspect.isclass(value) or inspect.isfunction(value)):
        return
    assert inspect.getdoc(value), name
    if inspect.isclass(value):
        undocumented = [member for member, function in public_members(value) if not function.__doc__]
        assert not undocumented, f"{name}: {undocumented}"


def test_the_package_says_it_is_typed():
    assert (Path(askdoc.__file__).parent / "py.typed").is_file()


def test_an_article_needs_no_title_and_is_then_cited_by_its_id():
    index = askdoc.Index.from_articles([askdoc.Article(id="n2", text="Herons nest in the marsh.")])
    assert index.search("herons")[0].citation == "[1] n2, ¶1"


def test_an_article_without_its_text_is_a_clear_error():
    with pytest.raises(TypeError, match="'n3' needs its text"):
        askdoc.Article(id="n3", title="Herons")
