"""Parsing and row rules of a landing file, without a warehouse."""

from __future__ import annotations

import pytest
from flights_elt.loaders import BadFileError, parse
from flights_elt.spec import FLIGHTS

HEADER = (
    "year,month,day,dep_time,sched_dep_time,dep_delay,arr_time,sched_arr_time,arr_delay,"
    "carrier,flight,tailnum,origin,dest,air_time,distance,hour,minute,time_hour\n"
)
ROW = "2013,1,5,517,515,2,830,819,11,UA,1545,N14228,EWR,IAH,227,1400,5,15,2013-01-05T10:00:00Z\n"
CANCELLED = "2013,1,5,NA,1630,NA,NA,1815,NA,EV,4308,N18120,EWR,RDU,NA,416,16,30,2013-01-05T21:00:00Z\n"


def _parse(body: str):
    return parse((HEADER + body).encode(), FLIGHTS, "2013-01-05", "flights/2013-01-05.csv")


def test_clean_rows_are_typed_and_accepted():
    parsed = _parse(ROW + CANCELLED)
    assert parsed.rows_in_file == 2
    assert len(parsed.accepted) == 2 and parsed.quarantined.empty
    first = parsed.accepted.iloc[0]
    assert first["DEP_TIME"] == 517 and first["CARRIER"] == "UA" and first["DISTANCE"] == 1400.0
    # NA is null, not a defect: cancelled flights have no times.
    assert parsed.accepted["DEP_TIME"].isna().tolist() == [False, True]


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        (ROW.replace(",517,", ",5x7,"), "wrong_type"),
        (ROW.replace(",517,", ",51.5,"), "wrong_type"),
        (ROW.replace(",1400,", ",-3,"), "out_of_range"),
        (ROW.replace("2013,1,5,", "2013,1,6,"), "wrong_partition"),
        (ROW.replace(",IAH,", ",,"), "missing_value"),
        (ROW.replace("\n", ",extra\n"), "malformed_row"),
        (ROW.rsplit(",", 3)[0] + "\n", "malformed_row"),
    ],
)
def test_bad_rows_are_quarantined_with_their_rule(row: str, rule: str):
    parsed = _parse(ROW + row)
    assert parsed.rows_in_file == 2
    assert len(parsed.accepted) == 1
    assert parsed.quarantined["_RULE"].tolist() == [rule]
    assert parsed.quarantined["_ROW_NUMBER"].tolist() == [3]
    assert parsed.quarantined["_REASON"].iloc[0]


def test_nothing_is_lost():
    body = ROW + ROW.replace(",517,", ",abc,") + CANCELLED + ROW.replace("2013,1,5,", "2013,2,5,")
    parsed = _parse(body)
    assert parsed.rows_in_file == 4
    assert len(parsed.accepted) + len(parsed.quarantined) == 4


def test_null_keys_and_duplicates_reach_raw_for_the_gate_to_stop():
    parsed = _parse(ROW + ROW + ROW.replace(",UA,", ",,"))
    assert len(parsed.accepted) == 3 and parsed.quarantined.empty


def test_truncated_last_row_is_quarantined():
    parsed = parse((HEADER + ROW + ROW[:40]).encode(), FLIGHTS, "2013-01-05")
    assert parsed.quarantined["_RULE"].tolist() == ["malformed_row"]
    assert len(parsed.accepted) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (HEADER.encode() + b"2013,1,5,\xff\xfe\n", "invalid UTF-8"),
        (HEADER.replace("carrier,", "airline,").encode() + ROW.encode(), "missing columns ['carrier']"),
        (HEADER.encode() + b'2013,1,5,"517,515\n', "malformed CSV"),
        (b"\n", "no header"),
    ],
)
def test_file_level_defects_stop_with_a_clear_error(data: bytes, message: str):
    with pytest.raises(BadFileError, match=r"flights/2013-01-05\.csv") as err:
        parse(data, FLIGHTS, "2013-01-05", "flights/2013-01-05.csv")
    assert message in str(err.value)


def test_header_only_parses_to_zero_rows():
    parsed = _parse("")
    assert parsed.rows_in_file == 0 and parsed.accepted.empty and parsed.quarantined.empty


def test_extra_columns_are_reported_and_ignored():
    data = HEADER.replace("\n", ",gate\n") + ROW.replace("\n", ",B12\n")
    parsed = parse(data.encode(), FLIGHTS, "2013-01-05")
    assert parsed.extra_columns == ["gate"]
    assert len(parsed.accepted) == 1 and "GATE" not in parsed.accepted.columns


def test_columns_in_another_order_are_matched_by_name():
    cols = HEADER.strip().split(",")
    vals = ROW.strip().split(",")
    data = ",".join(reversed(cols)) + "\n" + ",".join(reversed(vals)) + "\n"
    parsed = parse(data.encode(), FLIGHTS, "2013-01-05")
    assert parsed.accepted.iloc[0]["CARRIER"] == "UA" and parsed.accepted.iloc[0]["FLIGHT"] == 1545


def test_timestamps_are_parsed_as_utc_and_bad_ones_quarantined():
    parsed = _parse(ROW + ROW.replace("2013-01-05T10:00:00Z", "yesterday").replace(",1545,", ",1546,"))
    assert str(parsed.accepted["TIME_HOUR"].iloc[0]) == "2013-01-05 10:00:00"
    assert parsed.quarantined["_RULE"].tolist() == ["wrong_type"]
