# syntax=docker/dockerfile:1
#
# flights-elt: the production Airflow image.
#
# The official Apache Airflow 3.3.2 image plus the project's locked runtime dependencies
# (requirements/runtime.lock, hash-checked), the flights_elt package and its DAGs, SQL and
# SodaCL checks baked in. No credentials are baked in: connections come from AIRFLOW_CONN_*
# environment variables (or a secrets backend) at run time.
#
#   docker build -t flights-elt:latest .
#   docker run --rm flights-elt:latest airflow version
#
FROM apache/airflow:3.3.2-python3.12

# Set by CI (docker/metadata-action overrides the OCI labels with the real values).
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=https://github.com/OWNER/flights-elt

LABEL org.opencontainers.image.title="flights-elt" \
      org.opencontainers.image.description="Gated, data-aware ELT of the nycflights13 data set into Snowflake, orchestrated by Apache Airflow 3" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.url="${SOURCE}" \
      org.opencontainers.image.documentation="${SOURCE}#readme" \
      org.opencontainers.image.base.name="docker.io/apache/airflow:3.3.2-python3.12" \
      org.apache.airflow.version="3.3.2"

SHELL ["/bin/bash", "-o", "pipefail", "-o", "errexit", "-o", "nounset", "-c"]

# ELT_HOME: local scratch / embedded landing zone (a named volume in docker-compose.yaml).
ENV AIRFLOW__CORE__LOAD_EXAMPLES=False \
    ELT_ENV=production \
    ELT_HOME=/opt/airflow/elt-data \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1

# Numeric UID of the image's `airflow` user (lets Kubernetes verify runAsNonRoot).
USER 50000:0
WORKDIR /opt/airflow

# 1. Third-party dependencies: exactly the lock (every file hash-checked). The lock is complete,
#    so --no-deps; it pins apache-airflow==3.3.2 itself, i.e. the version already in the image.
COPY --chown=50000:0 requirements/runtime.lock /opt/airflow/requirements/runtime.lock
RUN pip install --no-cache-dir --require-hashes --no-deps -r /opt/airflow/requirements/runtime.lock

# 2. The project. Installed editable on purpose: flights_elt.config finds sql/ and checks/
#    relative to the package (PROJECT_ROOT = /opt/airflow), so the package must stay in
#    /opt/airflow/include rather than be copied into site-packages.
COPY --chown=50000:0 pyproject.toml README.md /opt/airflow/
COPY --chown=50000:0 include/ /opt/airflow/include/
RUN pip install --no-cache-dir --no-deps --no-build-isolation --editable /opt/airflow

COPY --chown=50000:0 sql/ /opt/airflow/sql/
COPY --chown=50000:0 checks/ /opt/airflow/checks/
COPY --chown=50000:0 dags/ /opt/airflow/dags/

# Mount points for named volumes: created here so a fresh volume inherits airflow:0 ownership
# and group-write (the containers may run as any UID in group 0, as in the official image).
RUN mkdir -p /opt/airflow/elt-data /opt/airflow/warehouse-data /opt/airflow/warehouse-tls \
    && chmod g+rwx /opt/airflow/elt-data /opt/airflow/warehouse-data /opt/airflow/warehouse-tls

# Build-time checks, run with a throw-away AIRFLOW_HOME so nothing (config, logs, SQLite DB)
# is left in the image: Airflow is still exactly 3.3.2, the package and the FAB auth manager
# used by docker-compose.yaml import, and the CLI entry point is on PATH.
RUN check_home="$(mktemp -d)" \
    && airflow_version="$(AIRFLOW_HOME="${check_home}" airflow version 2>/dev/null | tail -n 1)" \
    && if [ "${airflow_version}" != "3.3.2" ]; then \
         echo "expected Airflow 3.3.2, found '${airflow_version}'" >&2; exit 1; \
       fi \
    && AIRFLOW_HOME="${check_home}" python -c "import flights_elt, flights_elt.config as c; assert c.SQL_DIR.is_dir(), c.SQL_DIR; assert c.CHECKS_DIR.is_dir(), c.CHECKS_DIR" \
    && AIRFLOW_HOME="${check_home}" python -c "import airflow.providers.fab.auth_manager.fab_auth_manager" \
    && command -v elt >/dev/null \
    && rm -rf "${check_home}"

EXPOSE 8080
