#!/usr/bin/env bash
# The Docker Compose stack: images, .env, up, down. One path for people (make image,
# make compose-up, make compose-down), the container test and cd.yml.
#
#   scripts/compose-stack.sh images   build every image docker-compose.yaml needs that this
#                                     machine cannot pull, then the project's images; print sizes
#   scripts/compose-stack.sh build TARGET TAG   build one target of the Dockerfile (base resolved
#                                     as for images), e.g. build production flights-elt:latest
#   scripts/compose-stack.sh env      write the env file with generated secrets if there is none
#   scripts/compose-stack.sh up       env, then bring up the profile and wait until healthy
#   scripts/compose-stack.sh down     stop the stack, keep the volumes
#   scripts/compose-stack.sh destroy  stop the stack and delete its volumes
#   scripts/compose-stack.sh compose ARGS...   any other `docker compose` command, same settings
#
# Where the base images cannot be pulled (no registry reachable), the Debian base is bootstrapped
# with mmdebstrap and `docker import`, and PostgreSQL and Redis stand-ins are built from Debian's
# packages (deploy/docker/), all under local names (flights-elt-local/...), never tagged as the
# official images they replace. Built once per machine; `images` reuses them.
#
# Environment (all optional):
#   ELT_COMPOSE_ENV_FILE  env file of the stack (default .env; also passed into the containers)
#   ELT_COMPOSE_PROFILE   compose profile to bring up (default embedded; empty = real Snowflake)
#   ELT_COMPOSE_WORKERS   number of Celery worker containers (default 1)
#   ELT_COMPOSE_WAIT_S    how long `up` waits for every service to be healthy (default 600)
#   BASE_IMAGE            base of every image (default: the Dockerfile's, pinned by digest)
#   AIRFLOW_IMAGE, WAREHOUSE_IMAGE, POSTGRES_IMAGE, REDIS_IMAGE   image names
#   ELT_BUILD_CONTEXT     build context of the project's images (default: this checkout)
#   BUILD_CA_BUNDLE       CA bundle the build's installers trust (BuildKit secret, never in a
#                         layer); default: this machine's system bundle
#   DOCKER                docker client (default: one that builds with BuildKit)
#   COMPOSE_FILE, COMPOSE_PROJECT_NAME   as for docker compose
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ENV_FILE="${ELT_COMPOSE_ENV_FILE:-.env}"
PROFILE="${ELT_COMPOSE_PROFILE-embedded}"
WORKERS="${ELT_COMPOSE_WORKERS:-1}"
WAIT_S="${ELT_COMPOSE_WAIT_S:-600}"
LOCAL_BASE="flights-elt-local/debian:bookworm-mmdebstrap"
LOCAL_POSTGRES="flights-elt-local/postgres:15-bookworm"
LOCAL_REDIS="flights-elt-local/redis:7-bookworm"
# The defaults of docker-compose.yaml (the official images).
DEFAULT_POSTGRES="postgres:16"
DEFAULT_REDIS="redis:7.2-bookworm"

note() { printf '==> %s\n' "$*" >&2; }
die() { printf 'compose-stack: %s\n' "$*" >&2; exit 1; }

# A docker client that builds with BuildKit: buildx where installed, else a client that still
# has BuildKit built in (Debian's docker.io 20.10; clients from 23 on need buildx for it).
find_docker() {
    local candidate version
    for candidate in ${DOCKER:-} docker /usr/bin/docker; do
        command -v "$candidate" >/dev/null || continue
        if "$candidate" buildx version >/dev/null 2>&1; then
            DOCKER="$candidate"; BUILD=("$candidate" buildx build --load); return
        fi
        version="$("$candidate" version --format '{{.Client.Version}}' 2>/dev/null || true)"
        if [[ "${version%%.*}" =~ ^[0-9]+$ ]] && ((${version%%.*} < 23)); then
            DOCKER="$candidate"; BUILD=(env DOCKER_BUILDKIT=1 "$candidate" build); return
        fi
    done
    command -v docker >/dev/null || die "no docker client found"
    DOCKER=docker; BUILD=(env DOCKER_BUILDKIT=1 docker build)
}

# `docker compose` (CLI plugin) or the Compose v2 binary from the dev lock (.venv).
find_compose() {
    if "$DOCKER" compose version >/dev/null 2>&1; then
        COMPOSE=("$DOCKER" compose)
    elif [[ -x "$ROOT/.venv/bin/docker-compose" ]]; then
        COMPOSE=("$ROOT/.venv/bin/docker-compose")
    elif command -v docker-compose >/dev/null && docker-compose version 2>/dev/null | grep -q 'v2\.'; then
        COMPOSE=(docker-compose)
    else
        die "no Docker Compose v2: run 'make install' (it comes with the dev lock)"
    fi
    COMPOSE+=(--project-directory "$ROOT" --env-file "$ENV_FILE")
    if [[ -n "$PROFILE" ]]; then COMPOSE+=(--profile "$PROFILE"); fi
}

have_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

# have_image, or pull it; false when it can be had neither way.
obtain() { have_image "$1" || "$DOCKER" pull --quiet "$1" >/dev/null 2>&1; }

dockerfile_base() { sed -n 's/^ARG BASE_IMAGE=//p' Dockerfile | head -n 1; }

build_ca_bundle() {
    local bundle="${BUILD_CA_BUNDLE:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
    [[ -r "$bundle" ]] && printf '%s' "$bundle"
}

# Sets BASE_IMAGE: the pinned official base if it can be had, else the local bootstrap.
resolve_base() {
    BASE_IMAGE="${BASE_IMAGE:-$(dockerfile_base)}"
    if obtain "$BASE_IMAGE"; then return; fi
    note "cannot pull $BASE_IMAGE: using the local Debian 12 base $LOCAL_BASE"
    BASE_IMAGE="$LOCAL_BASE"
    if have_image "$LOCAL_BASE"; then return; fi
    command -v mmdebstrap >/dev/null || die "mmdebstrap is needed to bootstrap the base (apt-get install mmdebstrap)"
    local tmp
    tmp="$(mktemp -d)"
    note "bootstrapping $LOCAL_BASE with mmdebstrap (Debian 12, minbase)"
    # The same archive and suites as debian:bookworm-slim; documentation left out as there.
    mmdebstrap --quiet --variant=minbase --include=ca-certificates \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
        bookworm "$tmp/rootfs.tar" \
        "deb http://deb.debian.org/debian bookworm main" \
        "deb http://deb.debian.org/debian bookworm-updates main" \
        "deb http://deb.debian.org/debian-security bookworm-security main"
    "$DOCKER" import \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["bash"]' \
        --change 'LABEL org.opencontainers.image.title="Debian 12 minbase (mmdebstrap), local build" org.opencontainers.image.description="Local stand-in for debian:bookworm-slim, bootstrapped from the Debian archive"' \
        "$tmp/rootfs.tar" "$LOCAL_BASE" >/dev/null
    rm -rf "$tmp"
}

# resolve_service VAR DEFAULT LOCAL DIR: the image named by $VAR or DEFAULT if it can be had,
# else the local stand-in built from DIR.
resolve_service() {
    local var=$1 default=$2 local_name=$3 dir=$4 image
    image="${!var:-$default}"
    if obtain "$image"; then
        printf -v "$var" '%s' "$image"
        return
    fi
    if [[ "$image" != "$default" ]]; then die "$var=$image cannot be pulled"; fi
    if ! have_image "$local_name"; then
        note "cannot pull $image: building the stand-in $local_name from $dir"
        "${BUILD[@]}" --quiet --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$local_name" "$dir" >/dev/null
    fi
    printf -v "$var" '%s' "$local_name"
}

# Which images the stack runs, without building anything (for up/down/compose).
export_images() {
    AIRFLOW_IMAGE="${AIRFLOW_IMAGE:-flights-elt:latest}"
    WAREHOUSE_IMAGE="${WAREHOUSE_IMAGE:-flights-elt-embedded:latest}"
    if [[ -z "${POSTGRES_IMAGE:-}" ]]; then
        POSTGRES_IMAGE="$DEFAULT_POSTGRES"
        have_image "$POSTGRES_IMAGE" || ! have_image "$LOCAL_POSTGRES" || POSTGRES_IMAGE="$LOCAL_POSTGRES"
    fi
    if [[ -z "${REDIS_IMAGE:-}" ]]; then
        REDIS_IMAGE="$DEFAULT_REDIS"
        have_image "$REDIS_IMAGE" || ! have_image "$LOCAL_REDIS" || REDIS_IMAGE="$LOCAL_REDIS"
    fi
    export AIRFLOW_IMAGE WAREHOUSE_IMAGE POSTGRES_IMAGE REDIS_IMAGE
}

build_project() {
    local target=$1 tag=$2 ca version
    local args=(--build-arg BASE_IMAGE="$BASE_IMAGE" --target "$target" -t "$tag")
    local context="${ELT_BUILD_CONTEXT:-$ROOT}"
    args+=(-f "$context/Dockerfile")
    version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$context/pyproject.toml" | head -n 1)"
    args+=(--build-arg VERSION="$version")
    args+=(--build-arg REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)")
    args+=(--build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)")
    if [[ -n "${IMAGE_SOURCE:-}" ]]; then args+=(--build-arg SOURCE="$IMAGE_SOURCE"); fi
    if ca="$(build_ca_bundle)"; then args+=(--secret "id=build_ca,src=$ca"); fi
    note "building $tag (target $target, base $BASE_IMAGE)"
    "${BUILD[@]}" "${args[@]}" "$context"
}

size_mib() { "$DOCKER" image inspect --format '{{.Size}}' "$1" | awk '{printf "%.0f", $1 / 1048576}'; }

cmd_images() {
    resolve_base
    resolve_service POSTGRES_IMAGE "$DEFAULT_POSTGRES" "$LOCAL_POSTGRES" deploy/docker/postgres
    resolve_service REDIS_IMAGE "$DEFAULT_REDIS" "$LOCAL_REDIS" deploy/docker/redis
    export_images
    build_project production "$AIRFLOW_IMAGE"
    build_project embedded "$WAREHOUSE_IMAGE"
    # Earlier builds of these images, now untagged (only ours: selected by the OCI title label).
    "$DOCKER" image prune --force --filter "label=org.opencontainers.image.title=flights-elt" >/dev/null
    printf '%-14s %-48s %8s\n' service image MiB
    printf '%-14s %-48s %8s\n' airflow "$AIRFLOW_IMAGE" "$(size_mib "$AIRFLOW_IMAGE")"
    printf '%-14s %-48s %8s\n' warehouse "$WAREHOUSE_IMAGE" "$(size_mib "$WAREHOUSE_IMAGE")"
    printf '%-14s %-48s %8s\n' postgres "$POSTGRES_IMAGE" "$(size_mib "$POSTGRES_IMAGE")"
    printf '%-14s %-48s %8s\n' redis "$REDIS_IMAGE" "$(size_mib "$REDIS_IMAGE")"
}

secret_hex() { python3 -c 'import secrets; print(secrets.token_hex(32))'; }

# The env file for the embedded profile: generated secrets, owner-only. An existing file is
# left alone (it may hold a real deployment's settings).
cmd_env() {
    if [[ -e "$ENV_FILE" ]]; then
        note "$ENV_FILE exists: left as it is"
        return
    fi
    local fernet
    fernet="$(python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')"
    # The images this machine runs (stand-ins where the official ones cannot be had), so that a
    # plain `docker compose` with this file starts the same stack as `make compose-up`.
    export_images
    (
        umask 077
        cat >"$ENV_FILE" <<EOF
# Written by scripts/compose-stack.sh for the embedded profile: generated secrets, keep private.
AIRFLOW_IMAGE=${AIRFLOW_IMAGE}
WAREHOUSE_IMAGE=${WAREHOUSE_IMAGE}
POSTGRES_IMAGE=${POSTGRES_IMAGE}
REDIS_IMAGE=${REDIS_IMAGE}
AIRFLOW_UID=50000
AIRFLOW_API_BIND=${AIRFLOW_API_BIND:-127.0.0.1}
AIRFLOW_API_PORT=${AIRFLOW_API_PORT:-8080}
AIRFLOW__API__BASE_URL=http://localhost:${AIRFLOW_API_PORT:-8080}
AIRFLOW__CELERY__WORKER_CONCURRENCY=4
POSTGRES_USER=airflow
POSTGRES_PASSWORD=$(secret_hex)
POSTGRES_DB=airflow
AIRFLOW__CORE__FERNET_KEY=${fernet}
AIRFLOW__API_AUTH__JWT_SECRET=$(secret_hex)
AIRFLOW__API__SECRET_KEY=$(secret_hex)
_AIRFLOW_WWW_USER_USERNAME=admin
_AIRFLOW_WWW_USER_PASSWORD=$(secret_hex)
ELT_ENV=production
ELT_LANDING_URL=
ELT_WAREHOUSE_CA_FILE=/opt/airflow/warehouse-tls/cert.pem
ELT_WAREHOUSE_HOST=warehouse
ELT_WAREHOUSE_PORT=8443
AIRFLOW_CONN_SNOWFLAKE_WAREHOUSE='{"conn_type": "snowflake", "login": "elt", "password": "elt", "schema": "RAW", "extra": {"account": "fakesnow", "warehouse": "ELT_WH", "database": "FLIGHTS", "role": "ELT_ROLE", "host": "warehouse", "port": 8443}}'
EOF
    )
    chmod 0600 "$ENV_FILE"
    note "wrote $ENV_FILE (0600) with generated secrets"
}

cmd_up() {
    cmd_env
    export_images
    have_image "$AIRFLOW_IMAGE" || die "$AIRFLOW_IMAGE not found: run 'make image' first"
    local start=$SECONDS
    note "starting the stack (profile '${PROFILE:-default}', $WORKERS worker(s)); waiting up to ${WAIT_S}s for health"
    "${COMPOSE[@]}" up --detach --no-build --pull never --wait --wait-timeout "$WAIT_S" \
        --scale airflow-worker="$WORKERS"
    note "every service healthy after $((SECONDS - start)) s"
    "${COMPOSE[@]}" ps
}

cmd_down() {
    export_images
    "${COMPOSE[@]}" down "$@"
}

main() {
    local cmd=${1:-}
    [[ -n "$cmd" ]] || die "usage: $0 images|env|up|down|destroy|compose ARGS..."
    shift
    find_docker
    case "$cmd" in
        images) cmd_images ;;
        build)
            [[ $# -eq 2 ]] || die "usage: $0 build TARGET TAG"
            resolve_base
            build_project "$1" "$2"
            ;;
        env) cmd_env ;;
        up) find_compose; cmd_up ;;
        down) find_compose; cmd_down ;;
        destroy) find_compose; cmd_down --volumes --remove-orphans ;;
        compose) find_compose; export_images; "${COMPOSE[@]}" "$@" ;;
        *) die "unknown command '$cmd'" ;;
    esac
}

main "$@"
