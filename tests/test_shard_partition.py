"""The shard partition: stable, total and disjoint; malformed values are usage errors."""

import pytest

from errlint.errors import UsageError
from errlint.shard import Shard, parse_shard, shard_of

PATHS = [f"pkg/mod_{i}/file_{j}.py" for i in range(20) for j in range(10)]


def test_every_file_in_exactly_one_shard() -> None:
    for count in (1, 2, 3, 7):
        owners = [[k for k in range(1, count + 1) if Shard(k, count).owns(p)] for p in PATHS]
        assert all(len(o) == 1 for o in owners)


def test_partition_is_stable_and_spread() -> None:
    # Pinned: the partition must not change between releases (CI matrices rely on it).
    assert [shard_of(p, 4) for p in ("a.py", "src/app/views.py", "tests/test_x.py")] == [
        shard_of("a.py", 4),
        shard_of("src\\app\\views.py", 4),
        shard_of("tests/test_x.py", 4),
    ]
    sizes = [sum(Shard(k, 4).owns(p) for p in PATHS) for k in range(1, 5)]
    assert min(sizes) > 30 and sum(sizes) == len(PATHS)


def test_pinned_values() -> None:
    assert [shard_of(p, 4) for p in ("a.py", "b.py", "pkg/c.py", "pkg/d.py", "e.py")] == [4, 4, 4, 3, 3]


@pytest.mark.parametrize("value", ["0/3", "4/3", "1/0", "x/2", "2", "1/2/3", "-1/2", ""])
def test_bad_values_are_usage_errors(value: str) -> None:
    with pytest.raises(UsageError, match="--shard"):
        parse_shard(value)


def test_parse() -> None:
    assert parse_shard("2/4") == Shard(2, 4)
    assert str(parse_shard(" 1/1 ")) == "1/1"
