#!/usr/bin/env bash
# Throw-away PostgreSQL (+PostGIS) cluster on loopback for tests and benchmarks.
#
#   scripts/postgres.sh start        # idempotent; last stdout line is the SQLAlchemy URL
#   scripts/postgres.sh url [DB]     # print the URL (DB defaults to "reperes")
#   scripts/postgres.sh stop         # fast shutdown if running
#
# Cluster lives in <repo>/.cache/postgres/{data,run,server.log}. Trust auth,
# 127.0.0.1 only, fsync off: never put data you care about in it.
#
# Env:
#   REPERES_PG_PORT  TCP port (default 54329)
#   REPERES_PG_USER  OS user that owns/runs the server when invoked as root
#                    (default: "postgres" if it exists, else "reperes-pg", created)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PG_HOME="$ROOT/.cache/postgres"
PGDATA_DIR="$PG_HOME/data"
SOCK_DIR="$PG_HOME/run"
LOG_FILE="$PG_HOME/server.log"
LOCK_FILE="$PG_HOME/.lock"
PORT="${REPERES_PG_PORT:-54329}"
HOST=127.0.0.1
APP_ROLE=reperes
DATABASES=(reperes reperes_test)
ADMIN=postgres # bootstrap superuser name inside the cluster (initdb -U)

log() { echo "postgres.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

url() {
    echo "postgresql+psycopg://${APP_ROLE}@${HOST}:${PORT}/${1:-reperes}"
}

# --- locate binaries ------------------------------------------------------
find_bindir() {
    local d=""
    if command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir 2>/dev/null || true)"
    fi
    if [[ -z "$d" || ! -x "$d/initdb" ]]; then
        d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
    fi
    [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]] ||
        die "no PostgreSQL server binaries found (install postgresql-15)"
    echo "$d"
}

# --- run as the server user -----------------------------------------------
IS_ROOT=0
[[ "$(id -u)" -eq 0 ]] && IS_ROOT=1
PG_OS_USER="$(id -un)"

pick_os_user() {
    [[ $IS_ROOT -eq 1 ]] || return 0
    if [[ -n "${REPERES_PG_USER:-}" ]]; then
        PG_OS_USER="$REPERES_PG_USER"
        id -u "$PG_OS_USER" >/dev/null 2>&1 ||
            useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER"
    elif [[ -d "$PGDATA_DIR" ]]; then
        # Reuse whoever owns the existing cluster.
        PG_OS_USER="$(stat -c %U "$PGDATA_DIR")"
    elif id -u postgres >/dev/null 2>&1; then
        PG_OS_USER=postgres
    else
        PG_OS_USER=reperes-pg
        id -u "$PG_OS_USER" >/dev/null 2>&1 ||
            useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER"
    fi
    [[ "$PG_OS_USER" != root ]] || die "refusing to run the server as root"
}

as_pg() {
    # cd / so the server user never trips over an unreadable cwd (e.g. /root);
    # 9>&- so the postmaster does not inherit (and hold) the start lock.
    if [[ $IS_ROOT -eq 1 ]]; then
        (cd / && runuser -u "$PG_OS_USER" -- "$@") 9>&-
    else
        "$@" 9>&-
    fi
}

# --- PostGIS ----------------------------------------------------------------
ensure_postgis() {
    local bindir="$1" sharedir major pkg
    sharedir="$("$bindir/pg_config" --sharedir 2>/dev/null || true)"
    major="$("$bindir/pg_config" --version 2>/dev/null | sed -E 's/^PostgreSQL ([0-9]+).*/\1/' || true)"
    [[ -n "$major" ]] || major="$(basename "$(dirname "$bindir")")"
    [[ -n "$sharedir" ]] || sharedir="/usr/share/postgresql/$major"
    [[ -f "$sharedir/extension/postgis.control" ]] && return 0

    pkg="postgresql-${major}-postgis-3"
    local sudo=()
    if [[ $IS_ROOT -ne 1 ]]; then
        command -v sudo >/dev/null 2>&1 || die "PostGIS missing and not root: install $pkg"
        sudo=(sudo -n)
    fi
    log "PostGIS missing; installing $pkg (apt-get)"
    local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get
        -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends)
    if ! "${apt[@]}" install "$pkg" >&2; then
        log "install failed; running apt-get update and retrying"
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get \
            -o DPkg::Lock::Timeout=600 -q update >&2
        "${apt[@]}" install "$pkg" >&2
    fi
    [[ -f "$sharedir/extension/postgis.control" ]] ||
        die "$pkg installed but $sharedir/extension/postgis.control still missing"
}

# --- cluster ------------------------------------------------------------------
is_running() {
    # pg_ctl status: 0 running, 3 not running, 4 no/invalid data dir
    as_pg "$BINDIR/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1
}

running_port() {
    # 4th line of postmaster.pid is the port
    sed -n 4p "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true
}

write_conf() {
    # Regenerated on every start so REPERES_PG_PORT / paths follow the env.
    as_pg tee "$PGDATA_DIR/reperes.conf" >/dev/null <<EOF
# Managed by scripts/postgres.sh -- throw-away test cluster, do not edit.
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = '$SOCK_DIR'
unix_socket_permissions = 0777
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
shared_buffers = 128MB
logging_collector = off
log_min_messages = warning
EOF
    if ! grep -q "^include_if_exists = 'reperes.conf'" "$PGDATA_DIR/postgresql.conf"; then
        echo "include_if_exists = 'reperes.conf'" | as_pg tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null
    fi
}

psql_admin() {
    # Over the unix socket as the bootstrap superuser (trust auth).
    "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK_DIR" -p "$PORT" -U "$ADMIN" "$@"
}

cmd_start() {
    BINDIR="$(find_bindir)"
    ensure_postgis "$BINDIR"
    # postgis may have pulled a newer server; keep the same bindir choice logic
    BINDIR="$(find_bindir)"

    mkdir -p "$PG_HOME"
    pick_os_user

    local sock_path="$SOCK_DIR/.s.PGSQL.$PORT"
    (( ${#sock_path} < 107 )) || die "socket path too long (${#sock_path} chars): $sock_path"

    # Serialise concurrent starts (e.g. parallel test runners).
    exec 9>"$LOCK_FILE"
    flock 9

    if [[ $IS_ROOT -eq 1 ]]; then
        chown "$PG_OS_USER:" "$PG_HOME" "$LOCK_FILE"
        as_pg test -x "$PG_HOME" ||
            die "user $PG_OS_USER cannot reach $PG_HOME (check parent dir permissions)"
    fi
    as_pg mkdir -p "$SOCK_DIR"
    chmod 0755 "$SOCK_DIR" 2>/dev/null || true

    if [[ ! -s "$PGDATA_DIR/PG_VERSION" ]]; then
        log "initdb $PGDATA_DIR (as $PG_OS_USER)"
        rm -rf "$PGDATA_DIR"
        as_pg "$BINDIR/initdb" -D "$PGDATA_DIR" -U "$ADMIN" --auth=trust \
            --encoding=UTF8 --locale=C.UTF-8 --no-sync >&2
    fi
    write_conf

    if is_running; then
        local rp
        rp="$(running_port)"
        if [[ "$rp" != "$PORT" ]]; then
            log "running on port $rp, restarting on $PORT"
            as_pg "$BINDIR/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w >&2
        fi
    fi
    if ! is_running; then
        log "starting server on $HOST:$PORT"
        if ! as_pg "$BINDIR/pg_ctl" start -D "$PGDATA_DIR" -l "$LOG_FILE" -w -t 60 >&2; then
            tail -n 30 "$LOG_FILE" >&2 || true
            die "server failed to start (log: $LOG_FILE)"
        fi
    fi

    local i
    for i in $(seq 1 60); do
        "$BINDIR/pg_isready" -q -h "$HOST" -p "$PORT" && break
        sleep 0.5
    done
    "$BINDIR/pg_isready" -q -h "$HOST" -p "$PORT" || die "server not ready on $HOST:$PORT"

    if [[ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$APP_ROLE'")" != 1 ]]; then
        log "creating role $APP_ROLE"
        psql_admin -d postgres -c "CREATE ROLE $APP_ROLE LOGIN SUPERUSER" >&2
    fi
    local db
    for db in "${DATABASES[@]}"; do
        if [[ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]]; then
            log "creating database $db"
            psql_admin -d postgres -c "CREATE DATABASE $db OWNER $APP_ROLE" >&2
        fi
        psql_admin -d "$db" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS postgis" >&2
    done

    url reperes
}

cmd_stop() {
    BINDIR="$(find_bindir)"
    pick_os_user
    if [[ -s "$PGDATA_DIR/PG_VERSION" ]] && is_running; then
        as_pg "$BINDIR/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w >&2
    else
        log "not running"
    fi
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    url) url "${2:-reperes}" ;;
    *)
        echo "usage: $0 {start|stop|url [DB]}" >&2
        exit 2
        ;;
esac
