package io.numarrow.spark;

import io.numarrow.io.parquet.ParquetRanges;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.Partition;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.FileSourceScanExec;
import org.apache.spark.sql.execution.InputAdapter;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;
import org.apache.spark.sql.execution.datasources.FilePartition;
import org.apache.spark.sql.execution.datasources.HadoopFsRelation;
import org.apache.spark.sql.execution.datasources.PartitionedFile;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.TaskCompletionListener;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The rows of a plain Spark scan of local Parquet files, read on the executors by numarrow's own
 * reader ({@link ParquetRanges}, about a third of the time Spark's decoding of an {@code array<float>}
 * column takes, docs/performance.md) from the same file ranges Spark's tasks would read: its
 * partitions are the scan's own. A task whose files the own reader declines (another encoding, codec,
 * layout, a remote filesystem) reads them through Spark's scan, the parent; both take a row group
 * into the range that holds its midpoint, so each row is read once either way.
 *
 * <p>Taken only where the plan is exactly a scan of Parquet files (Spark's row conversion and code
 * generation wrappers aside) with no filter, partition column, bucketing, metadata column or
 * ignored corrupt or missing files, and every column is one the own reader gives in Spark's type
 * ({@link #of} returns null otherwise).
 */
final class ParquetSplitRows extends RDD<InternalRow> {
    private static final long serialVersionUID = 1L;
    private static final ClassTag<InternalRow> ROWS = ClassTag$.MODULE$.apply(InternalRow.class);
    private static final Set<DataType> FLAT = Set.of(DataTypes.IntegerType, DataTypes.LongType, DataTypes.FloatType,
            DataTypes.DoubleType, DataTypes.StringType);
    private static final List<String> IGNORING = List.of("ignoreCorruptFiles", "ignoreMissingFiles");

    private final StructType scan;
    private final String features;
    private final int batchRows;

    private ParquetSplitRows(RDD<InternalRow> spark, StructType scan, String features, int batchRows) {
        super(spark, ROWS);
        this.scan = scan;
        this.features = features;
        this.batchRows = batchRows;
    }

    /**
     * The scan's rows read by numarrow's reader where Spark's scan would read them, or null where
     * {@code plan} is not a plain scan of Parquet files this reader can take.
     *
     * @param rows Spark's rows of {@code plan}, read where the own reader declines a task's files
     */
    static RDD<InternalRow> of(SparkSession session, SparkPlan plan, RDD<InternalRow> rows, String features,
                               int batchRows) {
        FileSourceScanExec scan = scanOf(plan);
        if (scan == null) {
            return null;
        }
        HadoopFsRelation relation = scan.relation();
        if (relation.fileFormat().getClass() != ParquetFileFormat.class || !relation.partitionSchema().isEmpty()
                || !scan.partitionFilters().isEmpty() || !scan.dataFilters().isEmpty() || scan.bucketedScan()
                || !scan.fileConstantMetadataColumns().isEmpty() || scan.stream().isDefined()
                || ignoresBadFiles(session, relation)) {
            return null;
        }
        StructType schema = scan.requiredSchema();
        if (schema.fields().length != scan.output().size() || !readable(schema, features)) {
            return null;
        }
        return new ParquetSplitRows(rows, schema, features, batchRows);
    }

    /** The scan under Spark's row conversion and code generation, or null where there is more to the plan. */
    private static FileSourceScanExec scanOf(SparkPlan plan) {
        SparkPlan p = plan;
        while (p instanceof WholeStageCodegenExec || p instanceof InputAdapter || p instanceof ColumnarToRowExec) {
            p = p.children().head();
        }
        return p instanceof FileSourceScanExec scan ? scan : null;
    }

    private static boolean ignoresBadFiles(SparkSession session, HadoopFsRelation relation) {
        for (String option : IGNORING) {
            String set = relation.options().getOrElse(option,
                    () -> session.conf().get("spark.sql.files." + option, "false"));
            if (Boolean.parseBoolean(set.strip())) {
                return true; // Spark skips such files; the own reader would fail on them
            }
        }
        return false;
    }

    /** Whether each column is one the own reader gives as Spark reads it: the features as {@code array<float>}. */
    private static boolean readable(StructType schema, String features) {
        boolean found = false;
        for (StructField f : schema.fields()) {
            if (f.name().equals(features)) {
                found = f.dataType() instanceof ArrayType a && a.elementType().equals(DataTypes.FloatType);
                if (!found) {
                    return false;
                }
            } else if (!FLAT.contains(f.dataType())) {
                return false;
            }
        }
        return found;
    }

    @Override
    public Partition[] getPartitions() {
        return firstParent(ROWS).partitions();
    }

    @Override
    public scala.collection.immutable.Seq<String> getPreferredLocations(Partition split) {
        return firstParent(ROWS).preferredLocations(split);
    }

    @Override
    public scala.collection.Iterator<InternalRow> compute(Partition split, TaskContext context) {
        // Before anything loads Arrow: a JVM without numarrow's flags fails here, by name.
        ExecutorJvmCheck.require();
        SplitBatches own = split instanceof FilePartition files ? open(files, context) : null;
        return own != null ? CollectionConverters.asScala(own) : firstParent(ROWS).iterator(split, context);
    }

    /** The own reader over the task's files, closed when the task ends; null where it declines them. */
    private SplitBatches open(FilePartition files, TaskContext context) {
        List<Path> paths = new ArrayList<>();
        PartitionedFile[] parts = files.files();
        long[] starts = new long[parts.length];
        long[] ends = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            URI uri = parts[i].toPath().toUri();
            if (!"file".equals(uri.getScheme())) {
                return null; // a Hadoop filesystem: Spark's reader
            }
            paths.add(Path.of(uri));
            starts[i] = parts[i].start();
            ends[i] = parts[i].start() + parts[i].length();
        }
        BufferAllocator allocator = ExecutorResources.get().rootAllocator()
                .newChildAllocator("numarrow-parquet-split-" + files.index(), 0, Long.MAX_VALUE);
        SplitBatches batches = null;
        try {
            ParquetRanges reader = paths.isEmpty() ? null
                    : ParquetRanges.open(paths, starts, ends, features, batchRows, allocator);
            batches = reader == null ? null : SplitBatches.of(reader, scan, features);
            if (batches == null) {
                if (reader != null) {
                    reader.close();
                }
                allocator.close();
                return null;
            }
            SplitBatches opened = batches;
            if (context != null) {
                context.addTaskCompletionListener((TaskCompletionListener) c -> {
                    try {
                        opened.close();
                    } finally {
                        allocator.close();
                    }
                });
            }
            return batches;
        } catch (RuntimeException | Error e) {
            if (batches != null) {
                batches.close();
            }
            allocator.close();
            throw e;
        }
    }
}
