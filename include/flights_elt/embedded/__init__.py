"""The embedded platform: the whole stack as local processes, for a laptop and for CI.

``stack`` starts and stops the stack (warehouse emulator, embedded PostgreSQL, Airflow's
processes), ``warehouse_server`` serves the Snowflake emulator, ``warm_start`` launches the
Airflow processes with the task modules preloaded, ``settings_loader`` loads
``airflow_settings.yaml`` into the metadata DB, and ``testing`` is the stack the end-to-end
tests and the benchmark drive through ``elt``. None of it runs in production.

May import anything in the package. Nothing outside ``flights_elt.embedded`` may import it,
except the embedded-only commands of ``flights_elt.cli``, inside their functions: task code
never depends on the embedded platform.
"""
