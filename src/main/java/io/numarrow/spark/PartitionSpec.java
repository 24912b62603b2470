package io.numarrow.spark;

import io.numarrow.compute.Ops;
import java.io.Serializable;
import org.apache.spark.sql.types.DataType;

/**
 * Everything a task needs to transform one partition, decided on the driver and shipped with
 * the task (the transformer itself stays on the driver).
 *
 * @param column      the input column
 * @param ops         what to compute
 * @param weights     the weights file, null for softmax alone
 * @param batchRows   rows per Arrow batch
 * @param threads     pool size, 0 for every executor core
 * @param outputTypes the types of the output row: the input columns, then the output column
 * @param figures     the accumulators each task adds its figures to; null when metrics are off
 */
record PartitionSpec(FeatureColumn column, Ops ops, WeightsSource weights, int batchRows, int threads,
                     DataType[] outputTypes, TaskFigures figures) implements Serializable {
}
