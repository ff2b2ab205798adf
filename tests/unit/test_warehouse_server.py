"""The embedded warehouse launcher's own parts."""

from __future__ import annotations


def test_the_emulator_keeps_only_the_most_recent_results():
    from flights_elt.embedded.warehouse_server import RecentResults

    cache = RecentResults(3)
    for i in range(10):
        cache[f"q{i}"] = i
    cache["q8"] = "again"  # storing an entry again makes it the newest
    cache["q10"] = 10
    assert list(cache) == ["q9", "q8", "q10"] and cache["q8"] == "again"
