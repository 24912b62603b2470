package io.numarrow.spark;

import io.numarrow.compute.Ops;
import java.io.Serializable;

/**
 * Everything a task needs to transform one partition, decided on the driver and shipped with
 * the task (the transformer itself stays on the driver).
 *
 * @param column      the input column
 * @param ops         what to compute
 * @param weights     the weights (a file, or the transformer's coefficients), null for softmax alone
 * @param batchRows   rows per Arrow batch
 * @param threads     pool size, 0 for every executor core (see {@link ExecutorResources#onTaskThread})
 * @param columns     the columns added to each row
 * @param figures     the accumulators each task adds its figures to; null when metrics are off
 */
record PartitionSpec(FeatureColumn column, Ops ops, WeightsOrigin weights, int batchRows, int threads,
                     AddedColumns columns, TaskFigures figures) implements Serializable {
}
