import org.apache.spark.connect.proto.Expression;
import org.apache.spark.connect.proto.MlOperator;
import org.apache.spark.connect.proto.MlParams;
import org.apache.spark.connect.proto.Relation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.connect.Dataset;
import org.apache.spark.sql.connect.SparkSession;
import scala.runtime.BoxedUnit;

/**
 * A Spark Connect client that scores a Parquet table with numarrow's transformer on the server,
 * which finds it by class name among its ServiceLoader's transformers. It runs in a JVM of its own
 * with the Connect JVM client's jars (SparkClusterTest starts it with the JDK's source launcher):
 * the test JVM holds classic Spark, and the JVM client has no ML API, so it sends Connect's ML
 * relation (a transform by an operator named and configured in the request) itself.
 *
 * <p>Arguments: REMOTE (sc://host:port) INPUT.parquet WEIGHTS.arrow OUTPUT.parquet BATCH_ROWS
 */
public final class ConnectScore {
    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().remote(args[0]).getOrCreate();
        try {
            Relation input = spark.read().parquet(args[1]).plan().getRoot();
            MlParams params = MlParams.newBuilder()
                    .putParams("inputCol", text("features"))
                    .putParams("outputCol", text("scores"))
                    .putParams("weightsPath", text(args[2]))
                    .putParams("batchRows", Expression.Literal.newBuilder().setInteger(Integer.parseInt(args[4])).build())
                    .build();
            Dataset<Row> scored = spark.newDataFrame(relation -> {
                relation.getMlRelationBuilder().getTransformBuilder()
                        .setTransformer(MlOperator.newBuilder().setName("io.numarrow.spark.NumarrowTransformer")
                                .setUid("numarrow_connect").setType(MlOperator.OperatorType.OPERATOR_TYPE_TRANSFORMER))
                        .setInput(input)
                        .setParams(params);
                return BoxedUnit.UNIT;
            });
            scored.write().parquet(args[3]);
            System.out.println("CONNECT scored " + spark.read().parquet(args[3]).count() + " rows");
        } finally {
            spark.stop();
        }
    }

    private static Expression.Literal text(String value) {
        return Expression.Literal.newBuilder().setString(value).build();
    }
}
