"""The authoring surface: `@client` options, type hints → IR shapes, and
misuse refused at import time with the function's name and file:line."""

from __future__ import annotations

import datetime
import enum
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, Literal, Optional, Union

from typing_extensions import TypedDict

import pydantic
import pytest

from mizan import Context, DefinitionError, Registry, Request, Upload, _core

from conftest import ROOT


class Color(enum.Enum):
    """A colour."""

    RED = "red"
    DARK_BLUE = "dark-blue"


@dataclass
class Point:
    """A point."""

    x: float
    y: float = 0.0


class Tags(TypedDict):
    """Some tags."""

    names: list[str]


class Person(pydantic.BaseModel):
    """Someone."""

    model_config = pydantic.ConfigDict(populate_by_name=True)

    person_id: int = pydantic.Field(alias="personId", description="The id.")
    nick: Optional[str] = None
    born: datetime.datetime


class Users(Context, name="users"):
    """Every user."""


def is_owner(req: Request) -> bool:
    return req.principal is not None and req.principal.id == "owner"


def test_every_hint_and_option_reaches_the_ir() -> None:
    r = Registry()

    @r.client(context=Users, cache=30, rev=3, route="/u/:person_id/", methods=["GET"])
    async def person(req: Request, person_id: int, color: Color = Color.RED) -> Person:
        """One person."""
        raise NotImplementedError

    @r.client(context="users", auth="staff")
    def everything(
        person_id: int,
        a: float,
        b: str,
        c: bool,
        d: list[int],
        e: dict[str, Point],
        f: int | None,
        g: Union[int, str],
        h: Literal["x", "y"],
        i: Tags,
        j: Any,
        k: datetime.datetime,
    ) -> None:
        raise NotImplementedError

    @r.client(affects=[Users, person], merge="users", auth=is_owner, private=True, websocket=True, cache=False)
    def mutate(person_id: int, file: Upload) -> Person:
        raise NotImplementedError

    text = r.ir_text()
    assert _core.format_ir(text) == text, "canonical"
    for line in [
        'doc "One person."',
        "cache 30",
        "rev 3",
        'route "/u/:person_id/"',
        'methods GET',
        "param color Color default=red required=#false",
        "auth staff",
        "param d list<integer>",
        "param e map<Point>",
        "param f optional<integer>",
        "param g union<integer,string>",
        'param h "literal<\\"x\\",\\"y\\">"',
        "param i Tags",
        "param j json",
        "param k datetime",
        "auth predicate=is_owner",
        "transport websocket",
        "cache none",
        "param file upload",
        "affects context=users",
        "affects function=person",
        "merge users",
        "field personId integer",
        "variant dark-blue",
        "field y number optional=#true default=0.0",
    ]:
        assert line in text, f"{line!r} not in\n{text}"


def test_duplicate_names_are_refused_at_registration() -> None:
    r = Registry()

    @r.client
    def f() -> int:
        return 1

    with pytest.raises(DefinitionError, match=r"`f` \(.*test_authoring.py:\d+\): a function named `f` is already registered at .*test_authoring.py:\d+"):

        @r.client(name="f")
        def g() -> int:
            return 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"auth": "admin"}, "auth must be"),
        ({"cache": -1}, "cache must be"),
        ({"rev": "2"}, "rev must be"),
        ({"affects": [42]}, "affects 42 is not"),
        ({"context": "users", "affects": Users}, "a context read cannot also affect"),
        ({"context": 3}, "context must be"),
        ({"auth": lambda req: True}, "an auth predicate must be a named function"),
    ],
)
def test_misuse_names_the_function_and_its_line(options: dict[str, Any], message: str) -> None:
    r = Registry()
    with pytest.raises(DefinitionError, match=rf"`bad` \(.*test_authoring.py:\d+\): {message}"):

        @r.client(**options)
        def bad(x: int) -> int:
            return x


def test_hints_without_a_shape_are_refused() -> None:
    r = Registry()
    with pytest.raises(DefinitionError, match=r"`f` \(.*\), parameter `x`: .* has no IR shape"):

        @r.client
        def f(x: complex) -> int:
            return 1

    with pytest.raises(DefinitionError, match="needs a return type hint"):

        @r.client
        def g(x: int):  # type: ignore[no-untyped-def]
            return 1


def test_the_afi_fixture_exports_exactly_afi_kdl() -> None:
    expected = (ROOT / "fixtures" / "afi" / "afi.kdl").read_text()
    out = subprocess.run(
        [sys.executable, "-m", "mizan_fastapi", "export-ir", "afi_functions"],
        cwd=ROOT / "fixtures" / "afi-fastapi",
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == expected


def test_export_ir_reports_a_broken_module() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mizan_fastapi", "export-ir", "no_such_module_here"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and "No module named" in out.stderr


def test_export_ir_falls_back_to_the_default_registry() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mizan_fastapi", "export-ir", "sample_default_app"],
        cwd=ROOT / "python" / "tests",
        capture_output=True,
        text=True,
        check=True,
    )
    assert "function lucky {" in out.stdout and "param seed integer default=7 required=#false" in out.stdout
    assert "affects context=numbers" in out.stdout
    assert _core.format_ir(out.stdout) == out.stdout


def test_a_definition_error_fails_the_export_with_its_location(tmp_path: Any) -> None:
    (tmp_path / "broken_app.py").write_text(
        "from mizan import client\n\n@client(cache=-5)\ndef f() -> int:\n    return 1\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "mizan_fastapi", "export-ir", "broken_app"], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 1 and out.stdout == ""
    assert "DefinitionError: `f` (" in out.stderr and "broken_app.py:3" in out.stderr and "cache must be" in out.stderr
