"""Parsing and row rules of a landing file, without a warehouse."""

from __future__ import annotations

import csv

import pytest
from flights_elt.pipeline import loaders
from flights_elt.pipeline.loaders import BadFileError, parse
from flights_elt.pipeline.spec import FLIGHTS

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


# The fast path (pyarrow's CSV reader) and the strict one (csv.reader) must agree on everything.


def _strict_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loaders, "_fields_fast", lambda data, table: None)


def _same(a, b) -> None:
    assert a.rows_in_file == b.rows_in_file and a.extra_columns == b.extra_columns
    for left, right in ((a.accepted, b.accepted), (a.quarantined, b.quarantined)):
        assert list(left.columns) == list(right.columns)
        assert list(left.dtypes.astype(str)) == list(right.dtypes.astype(str))
        for c in left.columns:  # repr: tells None from NaN, 5 from 5.0, 0.0 from -0.0
            assert [repr(v) for v in left[c].tolist()] == [repr(v) for v in right[c].tolist()], c


MIXED = (
    ROW
    + CANCELLED
    + ROW.replace(",1400,", ",-3,")  # out of range
    + ROW.replace("2013,1,5,", "2013,1,6,")  # another day
    + ROW.replace(",IAH,", ",,")  # missing value
    + ROW.replace(",517,", ", 517 ,").replace(",UA,", ",\tUA ,")  # padded: stripped
    + ROW.replace(",517,", ",0517,")  # leading zero
    + ROW.replace("2013-01-05T10:00:00Z", "2013-02-30T10:00:00Z")  # no such day
    + ROW.replace(",N14228,", ",NA,")  # null tail number
    + ROW.replace(",1545,", ",100000,")  # out of range
)


@pytest.mark.parametrize(
    "body",
    [
        ROW + CANCELLED,
        MIXED,
        MIXED + ROW.rstrip("\n"),  # last row without its newline
        MIXED.replace("\n", ",\n").replace(",\n", "\n", 3),  # rows with a field too many
        MIXED + "\n" + ROW,  # a blank line
        MIXED.replace(",UA,", ',"UA",'),  # quoted
        MIXED.replace(",2,830,", ",-0,830,"),  # negative zero in a column with nulls: -0.0
        MIXED.replace(",517,", ",0x1F,"),  # hexadecimal: not a number
        MIXED.replace(",517,", ",+517,").replace(",2,830,", ",2.5,830,"),
        MIXED.replace(",517,", ",\u00a0517\u3000,").replace(",UA,", ",\u2003UA,"),  # Unicode spaces
        MIXED.replace("\n", "\r\n"),
    ],
)
def test_the_fast_path_gives_exactly_what_the_strict_path_gives(body: str, monkeypatch: pytest.MonkeyPatch):
    data = (HEADER + body).encode()
    fast = parse(data, FLIGHTS, "2013-01-05", "f.csv")
    _strict_only(monkeypatch)
    _same(fast, parse(data, FLIGHTS, "2013-01-05", "f.csv"))
    assert fast.rows_in_file == len(fast.accepted) + len(fast.quarantined)


def test_a_plain_file_takes_the_fast_path_and_keeps_the_dtypes():
    data = (HEADER + MIXED).encode()
    assert loaders._fields_fast(data, FLIGHTS) is not None
    parsed = parse(data, FLIGHTS, "2013-01-05")
    dtypes = {c.name: str(parsed.accepted[c.name].dtype) for c in FLIGHTS.columns}
    assert dtypes["DEP_TIME"] == "int64[pyarrow]" and dtypes["DEP_DELAY"] == "double[pyarrow]"
    assert dtypes["CARRIER"] == "category" and dtypes["TIME_HOUR"] == "datetime64[us]"
    # Accepted: the row, the cancelled one, the padded one, "0517", the one without tail number.
    assert parsed.accepted["CARRIER"].tolist() == ["UA", "EV", "UA", "UA", "UA"]
    assert parsed.accepted["DEP_TIME"].tolist()[2:4] == [517, 517]
    assert parsed.accepted["TAILNUM"].isna().tolist() == [False] * 4 + [True]
    rules = ["out_of_range", "wrong_partition", "missing_value", "wrong_type", "out_of_range"]
    assert parsed.quarantined["_RULE"].tolist() == rules


@pytest.mark.parametrize(
    "body",
    [
        ROW.replace(",517,", ",0x1F,"),  # pyarrow reads 31
        ROW.replace(",2,830,", ",-0,830,"),  # pyarrow reads 0, pandas -0.0
        ROW.replace(",UA,", ',"UA",'),
        ROW + "\n" + ROW,
        ROW.replace("\n", "\r\n"),
        ROW.replace("\n", ",extra\n"),
        ROW.replace(",517,", ",5x7,"),
    ],
)
def test_what_pyarrow_could_read_otherwise_goes_the_strict_way(body: str):
    assert loaders._fields_fast((HEADER + ROW + body).encode(), FLIGHTS) is None


def test_quarantined_rows_keep_their_text_verbatim_on_the_fast_path():
    body = ROW + ROW.replace(",517,", ", 517 ,").replace(",1400,", ",-3,") + ROW.replace(",1545,", ",0,")
    parsed = _parse(body)
    q = parsed.quarantined
    assert q["_ROW_NUMBER"].tolist() == [3, 4]
    assert q["DEP_TIME"].tolist() == [" 517 ", "517"] and q["DISTANCE"].tolist() == ["-3", "1400"]
    # The value as the column's type has it: a FLOAT column's as a float, an INTEGER column's as
    # an integer, nulls elsewhere in the column or not.
    assert q["_REASON"].tolist() == ["DISTANCE outside [1, 10000]: -3.0", "FLIGHT outside [1, 99999]: 0"]
    parsed = _parse(CANCELLED + ROW.replace(",517,", ",2500,") + ROW.replace(",2,830,", ",-1500,830,"))
    reasons = ["DEP_TIME outside [0, 2400]: 2500", "DEP_DELAY outside [-1440, 2880]: -1500.0"]
    assert parsed.quarantined["_REASON"].tolist() == reasons


def test_a_complete_last_row_without_newline_is_quarantined_on_the_fast_path():
    data = (HEADER + ROW + ROW.rstrip("\n")).encode()
    assert loaders._fields_fast(data, FLIGHTS) is not None
    parsed = parse(data, FLIGHTS, "2013-01-05")
    assert len(parsed.accepted) == 1 and parsed.rows_in_file == 2
    q = parsed.quarantined.iloc[0]
    assert (q["_ROW_NUMBER"], q["_RULE"]) == (3, "malformed_row")
    assert q["_REASON"] == "line 3: file ends without a newline, row may be truncated"
    assert q["TIME_HOUR"] == "2013-01-05T10:00:00Z"


def test_blank_lines_count_in_row_numbers():
    parsed = _parse(ROW + "\n" + ROW.replace(",517,", ",5x7,"))
    assert parsed.rows_in_file == 2 and parsed.quarantined["_ROW_NUMBER"].tolist() == [4]


def test_a_field_over_the_csv_size_limit_stops_the_file():
    with pytest.raises(BadFileError, match="malformed CSV"):
        _parse(ROW.replace(",N14228,", "," + "N" * (csv.field_size_limit() + 1) + ","))


def test_a_large_plain_file_parses_like_the_strict_path(monkeypatch: pytest.MonkeyPatch):
    rows = [ROW.replace(",517,", f",{i % 2400},").replace(",1545,", f",{i % 99999 + 1},") for i in range(3000)]
    rows[100] = CANCELLED
    rows[2000] = rows[2000].replace(",2,830,", ",9999,830,")  # out of range
    data = (HEADER + "".join(rows)).encode()
    fast = parse(data, FLIGHTS, None)
    assert len(fast.accepted) == 2999 and fast.quarantined["_ROW_NUMBER"].tolist() == [2002]
    _strict_only(monkeypatch)
    _same(fast, parse(data, FLIGHTS, None))


def test_text_is_a_categorical_of_stripped_values_with_null_tokens_missing():
    tails = ["N14228", " N14228", "NA", "", "N18120\u2003", "\tNA "]
    parsed = _parse("".join(ROW.replace(",N14228,", f",{t},") for t in tails))
    tailnum = parsed.accepted["TAILNUM"]
    assert str(tailnum.dtype) == "category" and sorted(tailnum.cat.categories) == ["N14228", "N18120"]
    assert [None if v != v else v for v in tailnum.tolist()] == ["N14228", "N14228", None, None, "N18120", None]
