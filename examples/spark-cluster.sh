#!/usr/bin/env bash
# A Spark standalone cluster on this machine, from Maven's jars (no Spark download): one Master and N
# Workers, each its own JVM, on loopback only, with free ports; logs, work dirs and the recorded PIDs
# under target/spark-cluster/. examples/README.md shows it in use.
#
#   examples/spark-cluster.sh start [--workers N] [--worker-memory 2g]
#       prints MASTER=spark://127.0.0.1:PORT and JARS=<what an application ships for numarrow>
#   examples/spark-cluster.sh submit ARGS...   spark-submit ARGS against this Spark (same arguments)
#   examples/spark-cluster.sh stop            stops the PIDs that start recorded, and nothing else
#
# Exit 3 with one line when this machine cannot run the cluster (no JDK 25.0.3+, loopback ports
# refused); the tests then skip. NUMARROW_JAR replaces target/numarrow.jar in JARS (the tests pass a jar
# of the classes under test).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLUSTER="$ROOT/target/spark-cluster"
PIDS="$CLUSTER/pids"
export SPARK_HOME="$ROOT/target/spark-home"
# The launcher finds Spark's jars under $SPARK_HOME/jars only once it knows the Scala version.
export SPARK_SCALA_VERSION=2.13
# Every Spark socket on loopback: Master, Workers and the executors they start.
export SPARK_LOCAL_IP=127.0.0.1

cannot_start() { echo "spark-cluster: cannot start: $*" >&2; exit 3; }
fail() { echo "spark-cluster: $*" >&2; exit 1; }

# A JDK 25 at 25.0.3 or newer (Spark 4.2 refuses 25.0.0-25.0.2): JAVA_HOME, else /usr/lib/jvm/*25*.
find_java_home() {
  local d version
  for d in ${JAVA_HOME:+"$JAVA_HOME"} /usr/lib/jvm/*25*; do
    [[ -x "$d/bin/java" && -f "$d/release" ]] || continue
    version="$(sed -n 's/^JAVA_VERSION="\([0-9.]*\)".*/\1/p' "$d/release")"
    IFS=. read -r major _ patch <<<"$version"
    if [[ "$major" == 25 && "${patch:-0}" -ge 3 ]]; then echo "$d"; return 0; fi
  done
  return 1
}

pom_property() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$ROOT/pom.xml" | head -n1; }

resolve_classpath() { # POM OUT: the runtime class path of POM's dependencies into OUT (Maven, offline first)
  local pom="$1" out="$2" log="$SPARK_HOME/maven.log"
  local props=(-Dspark.version="$(pom_property spark.version)" -Dscala.version="$(pom_property scala.version)")
  if ! mvn -B -q -o -f "$pom" "${props[@]}" dependency:build-classpath -Dmdep.outputFile="$out" >>"$log" 2>&1 \
     && ! mvn -B -q -f "$pom" "${props[@]}" dependency:build-classpath -Dmdep.outputFile="$out" >>"$log" 2>&1; then
    cat "$log" >&2
    fail "could not resolve the jars of $pom (Maven's output above)"
  fi
}

# $SPARK_HOME/jars: Spark's jars at Spark's own versions (examples/spark-home/pom.xml), as links
# into the local Maven repository; beside them the class path of the Spark Connect JVM client
# (connect-client.classpath), for client JVMs of their own.
build_spark_home() {
  local pom="$ROOT/examples/spark-home/pom.xml" client="$ROOT/examples/spark-home/connect-client/pom.xml"
  local list="$SPARK_HOME/classpath.txt"
  if [[ -f "$list" && "$list" -nt "$pom" && "$list" -nt "$client" && "$list" -nt "$ROOT/pom.xml" ]]; then return 0; fi
  command -v mvn >/dev/null 2>&1 || fail "needs Apache Maven on PATH to fetch Spark's jars"
  echo "spark-cluster: resolving Spark's jars into $SPARK_HOME/jars" >&2
  rm -rf "$SPARK_HOME"
  mkdir -p "$SPARK_HOME/jars"
  resolve_classpath "$client" "$SPARK_HOME/connect-client.classpath"
  resolve_classpath "$pom" "$list.tmp"
  local jar
  while IFS= read -r jar; do ln -s "$jar" "$SPARK_HOME/jars/"; done < <(tr ':' '\n' <"$list.tmp")
  mv "$list.tmp" "$list"
}

# Runs Spark's launcher the way Spark's bin/spark-class does. It prints any message for the user, a
# NUL and a newline, then the JVM command for CLASS (Spark's --add-opens list, the class path of
# $SPARK_HOME/jars, SPARK_*_OPTS), NUL-separated; its exit status follows. The command goes into CMD.
spark_command() {
  CMD=()
  local out=() arg
  while IFS= read -r -d '' arg; do out+=("$arg"); done < <(
    "$JAVA_HOME/bin/java" -Xmx128m -cp "$SPARK_HOME/jars/*" org.apache.spark.launcher.Main "$@"; printf '%d\0' $?)
  local status="${out[${#out[@]}-1]}"
  [[ -n "${out[0]}" ]] && printf '%s\n' "${out[0]}" >&2
  if [[ "$status" != 0 || ${#out[@]} -lt 3 ]]; then fail "Spark's launcher failed for $1 (exit $status)"; fi
  CMD=("${out[1]#$'\n'}" "${out[@]:2:${#out[@]}-3}")
}

running_pids() { # the recorded PIDs still alive
  [[ -f "$PIDS" ]] || return 0
  local name pid
  while read -r name pid; do
    if kill -0 "$pid" 2>/dev/null && grep -qa 'org.apache.spark.deploy' "/proc/$pid/cmdline" 2>/dev/null; then
      echo "$pid"
    fi
  done <"$PIDS"
}

# Waits until FILE has a line matching PATTERN (prints it) or PID exits.
await_line() {
  local file="$1" pattern="$2" pid="$3" line
  for _ in $(seq 1 1200); do
    if line="$(grep -m1 -E "$pattern" "$file" 2>/dev/null)"; then echo "$line"; return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

start_daemon() { # NAME LOG CLASS ARGS...: starts it in the background, records its PID
  local name="$1" log="$2"
  shift 2
  spark_command "$@"
  nohup "${CMD[@]}" >"$log" 2>&1 </dev/null &
  echo "$name $!" >>"$PIDS"
  DAEMON_PID=$!
}

died() { # NAME LOG: the reason a daemon did not come up
  local name="$1" log="$2"
  if grep -qE 'BindException|Cannot assign requested address|Address already in use' "$log"; then
    stop_all
    cannot_start "the $name could not bind a port on 127.0.0.1 ($(grep -m1 -oE '[A-Za-z.]*BindException[^\n]*' "$log"))"
  fi
  tail -n 30 "$log" >&2
  stop_all
  fail "the $name did not start (its log: $log)"
}

start() {
  local workers=2 memory=2g
  while (($#)); do
    case "$1" in
      --workers) workers="${2:?--workers needs a number}"; shift 2 ;;
      --worker-memory) memory="${2:?--worker-memory needs a size}"; shift 2 ;;
      *) fail "unknown option '$1' (start [--workers N] [--worker-memory 2g])" ;;
    esac
  done
  [[ "$workers" =~ ^[1-9][0-9]*$ ]] || fail "--workers must be a whole number above 0, was '$workers'"
  [[ -z "$(running_pids)" ]] || fail "a cluster is already running (PIDs in $PIDS); stop it first"
  JAVA_HOME="$(find_java_home)" || cannot_start "no JDK 25.0.3 or newer (JAVA_HOME or /usr/lib/jvm/*25*); Spark 4.2 refuses 25.0.0-25.0.2"
  export JAVA_HOME
  local jar="${NUMARROW_JAR:-$ROOT/target/numarrow.jar}"
  if [[ ! -f "$jar" ]]; then
    [[ -z "${NUMARROW_JAR:-}" ]] || fail "NUMARROW_JAR=$jar does not exist"
    "$ROOT/numarrow" build >&2
  fi
  build_spark_home
  rm -rf "$CLUSTER"
  mkdir -p "$CLUSTER/logs"
  : >"$PIDS"

  export SPARK_MASTER_OPTS="-Dspark.master.rest.enabled=false"
  start_daemon master "$CLUSTER/logs/master.log" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port 0 --webui-port 0
  local master_pid=$DAEMON_PID line master
  line="$(await_line "$CLUSTER/logs/master.log" 'Starting Spark master at spark://' "$master_pid")" \
    || died master "$CLUSTER/logs/master.log"
  master="$(grep -oE 'spark://[0-9.]+:[0-9]+' <<<"$line")"

  local i dir
  for ((i = 1; i <= workers; i++)); do
    dir="$CLUSTER/worker-$i"
    mkdir -p "$dir/work" "$dir/local"
    # Executors' scratch space (shuffle, spills) stays under target/ too.
    SPARK_LOCAL_DIRS="$dir/local" start_daemon "worker-$i" "$CLUSTER/logs/worker-$i.log" \
      org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --port 0 --webui-port 0 \
      --cores 1 --memory "$memory" --work-dir "$dir/work" "$master"
  done
  local name pid
  while read -r name pid; do
    [[ "$name" == master ]] && continue
    await_line "$CLUSTER/logs/$name.log" 'Successfully registered with master' "$pid" >/dev/null \
      || died "$name" "$CLUSTER/logs/$name.log"
  done <"$PIDS"
  echo "MASTER=$master"
  echo "JARS=$jar"
}

submit() {
  JAVA_HOME="$(find_java_home)" || cannot_start "no JDK 25.0.3 or newer (JAVA_HOME or /usr/lib/jvm/*25*)"
  export JAVA_HOME
  build_spark_home
  spark_command org.apache.spark.deploy.SparkSubmit "$@"
  exec "${CMD[@]}"
}

stop_all() { # TERM, then KILL after 30 s, to the recorded PIDs only
  local pids pid
  mapfile -t pids < <(running_pids)
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -f "$PIDS"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  submit) shift; submit "$@" ;;
  stop) stop_all ;;
  *) echo "usage: examples/spark-cluster.sh start [--workers N] [--worker-memory 2g] | submit SPARK-SUBMIT-ARGS... | stop" >&2; exit 1 ;;
esac
