"""Bad data stops at the hop where it appears, through the real scheduler, and people are told."""

from __future__ import annotations

import time

import pytest
from flights_elt.pipeline import landing

from tests.helpers import with_duplicates_and_null_carriers

pytestmark = pytest.mark.e2e
BAD_DAY, NEXT_DAY = "2013-02-01", "2013-02-02"


def wait_for(predicate, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def corrupt_with_duplicates_and_null_carriers(path) -> None:
    path.write_text(with_duplicates_and_null_carriers(path.read_text()))


def test_defective_day_stops_before_marts_alerts_and_next_day_publishes(embedded_stack, webhook, smtp):
    embedded_stack.elt("seed", "--start", BAD_DAY, "--end", NEXT_DAY)
    bad_file = embedded_stack.landing / "flights" / f"{BAD_DAY}.csv"
    corrupt_with_duplicates_and_null_carriers(bad_file)
    landed = bad_file.read_bytes()

    out = embedded_stack.elt("run", "--start", BAD_DAY, "--end", BAD_DAY, "--no-seed", check=False)
    assert out.returncode != 0, out.stdout
    assert "failed in ingest" in out.stdout
    # The summary names the exception the gate raised, with the checks that failed.
    assert "GateFailed: gate gate_raw failed" in out.stdout and "CARRIER.null_check" in out.stdout, out.stdout

    # Nothing of that day reached CORE or MARTS; the landing file is untouched.
    assert embedded_stack.query(
        f"select count(*) from FLIGHTS.MARTS.CARRIER_DAILY_PERFORMANCE where flight_date = '{BAD_DAY}'"
    ) == [["0"]]
    assert embedded_stack.query(f"select count(*) from FLIGHTS.CORE.FCT_FLIGHTS where flight_date = '{BAD_DAY}'") == [
        ["0"]
    ]
    assert bad_file.read_bytes() == landed

    # AUDIT holds the failures with their observed values.
    failed = embedded_stack.query(
        "select check_name, observed_value from FLIGHTS.AUDIT.CHECK_RESULTS "
        f"where partition_key = '{BAD_DAY}' and outcome = 'fail' order by check_name"
    )
    by_name = dict((name, value) for name, value in failed)
    assert by_name["CARRIER.null_check"] == "5"
    assert by_name["flight_key_unique"] == "15"  # 10 repeated keys + 5 null (incomplete) keys
    assert "carrier is never null" in by_name and "flight key is unique within the partition" in by_name

    # Both alert channels received a message naming the failed check and its observed value.
    assert wait_for(lambda: any("CARRIER.null_check" in t for t in webhook.texts())), webhook.texts()
    slack = next(t for t in webhook.texts() if "CARRIER.null_check" in t)
    assert BAD_DAY in slack and "observed 5" in slack and "ingest" in slack
    assert wait_for(lambda: any("CARRIER.null_check" in b for b in smtp.bodies())), smtp.bodies()
    assert all(m["to"] == ["oncall@flights.test"] for m in smtp.messages)

    # A clean day after the bad one still publishes, with the right counts.
    embedded_stack.elt("run", "--start", NEXT_DAY, "--end", NEXT_DAY, "--no-seed")
    src = landing.source_frame("flights")
    day = src[(src.month == "2") & (src.day == "2")]
    rows = embedded_stack.query(
        "select sum(flights), sum(cancelled) from FLIGHTS.MARTS.CARRIER_DAILY_PERFORMANCE "
        f"where flight_date = '{NEXT_DAY}'"
    )
    assert (int(float(rows[0][0])), int(float(rows[0][1]))) == (len(day), int((day.dep_time == "NA").sum()))


def test_a_bad_day_stops_its_batch_and_only_itself_once_the_batch_runs_day_by_day(embedded_stack, webhook):
    """A backfill batch with one defective day: the batch stops at the RAW gate (nothing of
    it reaches CORE), its alert names the batch's days, and `elt run` runs the days again one by
    one, so the good days are published and only the bad one stays stopped."""
    first, bad, last = "2013-06-10", "2013-06-11", "2013-06-13"  # days no other test of the stack uses
    embedded_stack.elt("seed", "--start", first, "--end", last)
    corrupt_with_duplicates_and_null_carriers(embedded_stack.landing / "flights" / f"{bad}.csv")

    out = embedded_stack.elt("run", "--start", first, "--end", last, "--batch-days", "4", "--no-seed", check=False)
    assert out.returncode != 0, out.stdout
    assert "in 1 run(s)" in out.stderr and "running its days one by one" in out.stderr, out.stderr
    assert f"{bad}: failed in ingest" in out.stdout and "Partitions: 4  published: 3" in out.stdout, out.stdout

    batch = f"{first}..{last}"
    recorded = embedded_stack.query(
        "select distinct check_name from FLIGHTS.AUDIT.CHECK_RESULTS "
        f"where partition_key = '{batch}' and outcome = 'fail' order by 1"
    )
    assert ["CARRIER.null_check"] in recorded and ["flight_key_unique"] in recorded, recorded
    assert wait_for(lambda: any(batch in t and "CARRIER.null_check" in t for t in webhook.texts())), webhook.texts()
    published = embedded_stack.query(
        "select distinct flight_date from FLIGHTS.MARTS.CARRIER_DAILY_PERFORMANCE "
        f"where flight_date between '{first}' and '{last}' order by 1"
    )
    assert [r[0] for r in published] == [first, "2013-06-12", last]
    assert embedded_stack.query(f"select count(*) from FLIGHTS.CORE.FCT_FLIGHTS where flight_date = '{bad}'") == [["0"]]
