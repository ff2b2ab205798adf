"""DAG integrity: every DAG imports cleanly, touches nothing at parse time, follows the house rules,
and the asset graph is exactly ingest → transform → publish."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pendulum
import pytest
from flights_elt.config import PROJECT_ROOT

DAGS_DIR = PROJECT_ROOT / "dags"
EXPECTED = {"ingest", "transform", "publish"}


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory):
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow-home")))
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    return bag


def test_every_dag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED


def test_parse_touches_no_database_connection_or_variable(tmp_path):
    """Parse the DAG folder in a process whose metadata DB, connections and variables all raise."""
    probe = textwrap.dedent(
        f"""
        import json, sys
        calls = []
        import sqlalchemy.engine
        real_connect = sqlalchemy.engine.Engine.connect
        def connect(self, *a, **k):
            calls.append("db:" + str(self.url))
            raise RuntimeError("database access at parse time")
        sqlalchemy.engine.Engine.connect = connect
        from airflow.sdk import BaseHook, Variable
        def no_conn(*a, **k):
            calls.append("connection:" + str(a))
            raise RuntimeError("connection lookup at parse time")
        def no_var(*a, **k):
            calls.append("variable:" + str(a))
            raise RuntimeError("variable lookup at parse time")
        BaseHook.get_connection = classmethod(no_conn)
        Variable.get = staticmethod(no_var)
        heavy = {{"pandas", "snowflake.connector", "soda", "duckdb", "fakesnow", "pyarrow"}}
        before = set(sys.modules)
        from airflow.dag_processing.dagbag import DagBag
        bag = DagBag(dag_folder={str(DAGS_DIR)!r})
        loaded_heavy = sorted(m for m in heavy if m in sys.modules and m not in before)
        print(json.dumps({{"dags": sorted(bag.dag_ids), "errors": {{k: str(v) for k, v in bag.import_errors.items()}},
                          "calls": calls, "heavy": loaded_heavy}}))
        """
    )
    env = dict(
        os.environ,
        AIRFLOW_HOME=str(tmp_path),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql+psycopg2://nobody@127.0.0.1:1/nothing",
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
    )
    env = {k: v for k, v in env.items() if not k.startswith(("AIRFLOW_CONN_", "AIRFLOW_VAR_"))}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["errors"] == {}
    assert set(result["dags"]) == EXPECTED
    assert result["calls"] == []
    assert result["heavy"] == [], f"heavy modules imported at parse time: {result['heavy']}"


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_house_rules(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.doc_md and len(dag.doc_md) > 200, "the docstring explains when and why it runs"
    assert dag.tags and "flights" in dag.tags
    assert dag.start_date == pendulum.datetime(2013, 1, 1, tz="UTC")
    assert dag.catchup is False
    for task in dag.tasks:
        assert task.owner == "data-engineering", task.task_id
        # Transient errors are retried everywhere; a failed check is not (GateFailed says so).
        assert task.retries >= 1, task.task_id


def test_asset_graph_is_exactly_ingest_transform_publish(dagbag):
    from airflow.sdk import CronPartitionTimetable, PartitionedAssetTimetable

    def outlets(dag_id):
        return {o.uri for t in dagbag.dags[dag_id].tasks for o in t.outlets}

    def schedule_uris(dag_id):
        def walk(cond):
            if hasattr(cond, "objects"):  # AssetAll / AssetAny
                return set().union(*(walk(o) for o in cond.objects))
            return {cond.uri}

        return walk(dagbag.dags[dag_id].timetable.asset_condition)

    ingest, transform, publish = (dagbag.dags[d] for d in ("ingest", "transform", "publish"))
    assert type(ingest.timetable).__name__ == CronPartitionTimetable.__name__
    assert type(transform.timetable).__name__ == PartitionedAssetTimetable.__name__
    assert type(publish.timetable).__name__ == PartitionedAssetTimetable.__name__
    assert (
        schedule_uris("transform")
        == outlets("ingest")
        == {
            "warehouse://flights/raw/flights",
            "warehouse://flights/raw/weather",
        }
    )
    assert schedule_uris("publish") == outlets("transform") == {"warehouse://flights/core/fct_flights"}
    assert outlets("publish") == {
        "warehouse://flights/marts/carrier_daily_performance",
        "warehouse://flights/marts/route_daily_delays",
    }
    # Nothing downstream is on a clock.
    assert publish.max_active_runs == 1


GATES = {"ingest": "gate_raw", "transform": "gate_core", "publish": "audit_and_publish"}


def test_only_the_gate_emits_assets_after_every_write(dagbag):
    """Each DAG is write → gate: the gate task is the only emitter and runs after every write."""
    for dag_id, gate in GATES.items():
        dag = dagbag.dags[dag_id]
        assert [t.task_id for t in dag.tasks if t.outlets] == [gate], dag_id
        writers = {t.task_id for t in dag.tasks} - {gate}
        assert writers and writers <= dag.get_task(gate).get_flat_relative_ids(upstream=True), dag_id
        assert not dag.get_task(gate).downstream_task_ids, dag_id


def test_downstream_dags_get_task_slots_first(dagbag):
    """With many partitions in flight, publish (serial) and transform drain before more ingest."""
    weights = {
        dag_id: {(t.priority_weight, str(t.weight_rule)) for t in dagbag.dags[dag_id].tasks}
        for dag_id in ("ingest", "transform", "publish")
    }
    assert {d: {w for w, _ in ws} for d, ws in weights.items()} == {"ingest": {1}, "transform": {2}, "publish": {3}}
    assert {rule for ws in weights.values() for _, rule in ws} == {"absolute"}
