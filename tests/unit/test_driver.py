"""The Snowflake driver fixes: same login data, without the per-connection cost."""

from __future__ import annotations

import inspect

from flights_elt import driver


def nested(depth: int):
    return nested(depth - 1) if depth else (driver.application_path(), inspect.stack()[-1].filename)


def test_application_path_is_what_the_driver_computed_before():
    fast, slow = nested(50)
    assert fast == slow


def test_install_replaces_the_slow_path_and_skips_platform_probes():
    from snowflake.connector import _utils, connection
    from snowflake.connector.auth import _auth

    driver.install()
    driver.install()  # idempotent
    assert _auth.get_application_path is driver.application_path
    assert _utils.get_application_path is driver.application_path
    assert connection.DEFAULT_CONFIGURATION["platform_detection_timeout_seconds"][0] == 0.0
