"""What the tasks do: sources, landing zone, loads, models, write-audit-publish, the days of a run.

``tasks`` holds the task entry points the DAG files call; ``spec`` (the sources), ``landing``,
``loaders``, ``models``, ``publish``, ``days``, ``assets``, ``dag_defaults`` and ``faults``
(failpoints) are what they are made of. This is code that runs in production, in the task
processes and at DAG parse time.

May import: ``flights_elt.config``, ``flights_elt.warehouse``, ``flights_elt.driver`` and
``flights_elt.quality`` (the gates and the alerts of the tasks). Never ``flights_elt.embedded``
or ``flights_elt.cli``.
"""
