"""Two fixes to the Snowflake driver's login, applied in every process of the pipeline that connects.

Every task connects several times (its writes, the SQL check operators, the Soda scan), and
the ``snowflake-connector-python`` 3.x login spent more time on the client than the warehouse
spent on the login:

* It names the calling script (``APPLICATION_PATH``) with ``inspect.stack()``, which reads the
  source file of every frame on the call stack: inside an Airflow task, ~100 frames deep,
  that is a few tenths of a second of CPU per connection. Upstream fixed it in 4.x
  (snowflakedb/snowflake-connector-python#2908: walk the frames instead); Soda Core 3.x keeps
  the driver on 3.x, so the same fix is applied here. Same result, without reading any file.
* It probes cloud metadata endpoints (AWS, Azure, GCP) to label the login's telemetry with
  the platform, waiting up to 0.2 s for each when they do not answer, as on any machine
  outside those clouds. The default timeout becomes 0, which skips the probes; a connection
  that sets ``platform_detection_timeout_seconds`` itself keeps its value.

Neither changes what is sent to the warehouse except the platform label.
"""

from __future__ import annotations

import sys

_installed = False


def application_path() -> str:
    """The file of the outermost frame of the call stack, as ``inspect.stack()[-1].filename``."""
    frame = sys._getframe()
    while frame.f_back is not None:
        frame = frame.f_back
    return frame.f_code.co_filename


def install() -> None:
    """Apply both fixes to the imported driver (idempotent)."""
    global _installed
    if _installed:
        return
    from snowflake.connector import _utils, connection
    from snowflake.connector.auth import _auth

    _utils.get_application_path = application_path
    _auth.get_application_path = application_path
    key = "platform_detection_timeout_seconds"
    default, types = connection.DEFAULT_CONFIGURATION[key]
    if default is None:
        connection.DEFAULT_CONFIGURATION[key] = (0.0, types)
    _installed = True
