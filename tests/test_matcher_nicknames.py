"""The curated given-name table: true diminutives share a root, distinct names never do, and the
table stays folded, duplicate-free and narrow enough for the root arrays."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from matchers import nicknames


def _share(a: str, b: str) -> bool:
    return bool(set(nicknames.roots(a)) & set(nicknames.roots(b)))


@pytest.mark.parametrize(
    ("formal", "nickname"),
    [
        ("cynthia", "cindy"),
        ("andrea", "andy"),
        ("andrew", "andy"),
        ("diana", "di"),
        ("lizbeth", "lizzy"),
        ("elizabeth", "liz"),
        ("isaiah", "zay"),
        ("leslie", "les"),
        ("genesis", "gen"),
        ("guillermo", "memo"),
        ("nathan", "nate"),
        ("nathaniel", "nate"),
        ("kenneth", "kenny"),
        ("vincent", "vince"),
        ("gabriel", "gabe"),
        ("elijah", "eli"),
        ("jackson", "jax"),
        ("cameron", "cam"),
        ("dominic", "dom"),
        ("ezekiel", "zeke"),
        ("guadalupe", "lupita"),
        ("humberto", "beto"),
        ("jesus", "chuy"),
        ("gustavo", "tavo"),
        ("sergio", "checo"),
        ("alfonso", "poncho"),
        ("nicolas", "nico"),
        ("sarah", "sara"),
        ("sophia", "sofia"),
        ("kaylee", "kayleigh"),
        ("hailey", "haley"),
        ("jayden", "jaden"),
        ("aidan", "aiden"),
        ("maximiliano", "max"),
        ("amelia", "millie"),
        ("penelope", "penny"),
        ("henry", "hank"),
        ("tatiana", "tati"),
        ("christian", "cristian"),
        ("jacqueline", "jaqueline"),
        ("madeline", "maddie"),
        ("christopher", "chris"),
    ],
)
def test_nickname_shares_a_root_with_its_formal_name(formal: str, nickname: str) -> None:
    assert _share(formal, nickname), (formal, nickname)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("adrian", "adriana"),
        ("daniel", "danielle"),
        ("jasmine", "jessica"),
        ("maria", "mariana"),
        ("emma", "emily"),
        ("alexander", "alexandra"),
        ("christopher", "christina"),
        ("samuel", "samantha"),
        ("andrew", "andrea"),
        ("gabriel", "gabriela"),
        ("jonathan", "nathan"),
        ("santiago", "diego"),
        ("angel", "angela"),
        ("madison", "madeline"),
        ("kayla", "kaylee"),
        ("julia", "juliana"),
        ("lillian", "liliana"),
        ("elijah", "elias"),
        ("jacob", "jayden"),
        ("dakota", "cody"),
        ("brian", "brianna"),
        ("isaiah", "isaac"),
        ("maria", "elizabeth"),
    ],
)
def test_distinct_names_do_not_share_a_root(a: str, b: str) -> None:
    assert not _share(a, b), (a, b, nicknames.roots(a), nicknames.roots(b))


def test_unknown_name_is_its_own_root_and_empty_has_none() -> None:
    assert nicknames.roots("zendaya") == ("zendaya",)
    assert nicknames.roots("") == ()


def test_every_name_is_folded() -> None:
    folded = re.compile(r"^[a-z]+$")
    bad = [
        name for root, names in nicknames.GROUPS.items() for name in (root, *names) if not folded.match(name)
    ]
    assert not bad


def test_no_group_lists_itself_or_a_duplicate() -> None:
    for root, names in nicknames.GROUPS.items():
        assert root not in names, root
        assert len(set(names)) == len(names), (root, [n for n, c in Counter(names).items() if c > 1])
        assert names, root


def test_no_root_is_written_twice_in_the_source() -> None:
    # a repeated key in the dict literal silently drops the first group
    tree = ast.parse(Path(nicknames.__file__).read_text(encoding="utf-8"))
    keys = [
        k.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "GROUPS"
        and isinstance(node.value, ast.Dict)
        for k in node.value.keys
        if isinstance(k, ast.Constant)
    ]
    assert len(keys) == len(nicknames.GROUPS)
    assert [k for k, c in Counter(keys).items() if c > 1] == []


def test_root_arrays_stay_narrow() -> None:
    assert nicknames.max_roots() <= 8


def test_roots_are_sorted_and_include_the_formal_name() -> None:
    for root in nicknames.GROUPS:
        got = nicknames.roots(root)
        assert root in got
        assert list(got) == sorted(got)


# --- clipped forms and diminutives, by rule (nicknames.short_forms) ---------------------------------


def _nickname_level(a: str, b: str) -> str:
    import pandas as pd

    from matchers.compare import LEVELS, compare
    from matchers.standardise import standardise

    def table(name: str, id_column: str) -> object:
        return standardise(
            pd.DataFrame({id_column: ["x"], "first_name": [name], "last_name": ["Lee"]}), id_column=id_column
        )

    levels = compare(table(a, "record_id"), table(b, "client_id"), np.zeros(1, int), np.zeros(1, int))
    return LEVELS["first_name"][int(levels["first_name"].iloc[0])]


@pytest.mark.parametrize(
    ("row", "client"),
    [
        ("Bren", "Brenda"),
        ("Citla", "Citlali"),
        ("Tre", "Trevon"),
        ("Shawn", "Deshawn"),
        ("Celi", "Araceli"),
        ("Karlita", "Karla"),
        ("Dulcita", "Dulce"),
        ("Juanito", "Juan"),
        ("Carmencita", "Carmen"),
        ("Brenda", "Bren"),  # either side may hold the short form
    ],
)
def test_clipped_forms_and_diminutives_are_nicknames(row: str, client: str) -> None:
    assert _nickname_level(row, client) == "nickname"


@pytest.mark.parametrize(
    ("row", "client"),
    [
        ("Adrian", "Adriana"),
        ("Gabriel", "Gabriela"),  # one letter apart: two names, not a clipping
        ("Daniel", "Danielle"),  # both longer than any clipped form
        ("Ana", "Eva"),
        ("Mariana", "Marisol"),
    ],
)
def test_distinct_names_are_not_clipped_forms(row: str, client: str) -> None:
    assert _nickname_level(row, client) != "nickname"


def test_short_forms_fit_their_arrays() -> None:
    longest = "maximilianoalexander"
    assert len(nicknames.short_forms(longest)) <= nicknames.SHORT_WIDTH
    assert nicknames.short_forms("") == ()


# --- the `nicknames` package supplies the English nicknames (issue 13 part 5) ----------------------


def _share_in_own_groups(a: str, b: str) -> bool:
    def own_roots(name: str) -> set[str]:
        return {root for root, names in nicknames.GROUPS.items() if name == root or name in names}

    return bool(own_roots(a) & own_roots(b))


@pytest.mark.parametrize(
    ("formal", "nickname"),
    [
        ("dorothy", "dottie"),
        ("virginia", "ginny"),
        ("gwendolyn", "wendy"),
        ("harriet", "hattie"),
        ("florence", "flo"),
        ("leonard", "lenny"),
    ],
)
def test_package_nicknames_that_our_own_groups_lack_are_equivalent(formal: str, nickname: str) -> None:
    assert nickname in nicknames.package_groups()[formal]
    assert not _share_in_own_groups(formal, nickname)  # only the package knows this pair
    assert _share(formal, nickname)


def test_package_pairs_left_out_stay_apart() -> None:
    for formal, nickname in nicknames.PACKAGE_DROPPED:
        assert nickname not in nicknames.package_groups().get(formal, frozenset())
        assert not _share(formal, nickname), (formal, nickname)


def test_ambiguous_package_nicknames_are_dropped() -> None:
    # the package gives "lena" to sixteen formal names and "bert" to fifteen
    assert not _share("helen", "lena")
    assert not _share("herbert", "bert")
    widest = max(len(names) for names in _formals_by_nickname().values())
    assert widest <= nicknames.PACKAGE_MAX_FORMALS


def _formals_by_nickname() -> dict[str, set[str]]:
    formals: dict[str, set[str]] = {}
    for formal, names in nicknames.package_groups().items():
        for name in names:
            formals.setdefault(name, set()).add(formal)
    return formals
