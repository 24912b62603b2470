#!/usr/bin/env bash
# The Spark job of examples/README.md in local mode, without a Spark installation: Spark's jars
# come from Maven. Converts data/batch.arrow to Parquet, scores it with NumarrowTransformer
# (ScoreJob, the class spark-submit runs on a cluster) and shows a few rows.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
OUT="${1:-/tmp/numarrow-spark-example}"
MASTER="${MASTER:-local[2]}"

# numarrow's flags (jvm.flags), then Spark 4.2's (spark.jvm.flags; spark-submit adds these itself, a
# plain `java` does not).
mapfile -t FLAGS < <(sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d' jvm.flags spark.jvm.flags)

mvn -B -q package -DskipTests
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
CP="target/numarrow-tests.jar:target/numarrow.jar:$(cat target/test-classpath.txt)"
JAVA=("$JAVA_HOME/bin/java" "${FLAGS[@]}" -Dspark.master="$MASTER" -Dspark.ui.enabled=false -cp "$CP")

"${JAVA[@]}" io.numarrow.spark.ArrowToParquet data/batch.arrow "$OUT/batch.parquet"
"${JAVA[@]}" io.numarrow.spark.ScoreJob --input "$OUT/batch.parquet" --weights data/weights.arrow \
    --output "$OUT/scored.parquet" --ops matmul,softmax --output-col scores --batch-rows 4096 --mode overwrite
"${JAVA[@]}" io.numarrow.spark.ShowRows "$OUT/scored.parquet" 5
