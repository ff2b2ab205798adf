"""Data quality: the checks, the gates that enforce them, and the alerts they raise.

``checks_spec`` declares the SQL checks of every layer, ``gates`` runs them (Airflow's audited
SQL check operators) with the Soda scans and records every outcome, ``alerts`` sends the
failure alerts and warning notices, and ``outcomes`` holds what the last two share (a check's
outcome, ``GateFailed``). Runs in production, in the task processes.

May import: ``flights_elt.config``, ``flights_elt.warehouse``, ``flights_elt.driver`` and the
days of a run (``flights_elt.pipeline.days``). Never ``flights_elt.embedded`` or
``flights_elt.cli``.
"""
