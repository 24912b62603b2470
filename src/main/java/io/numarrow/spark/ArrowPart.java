package io.numarrow.spark;

import java.io.Serializable;

/**
 * What a task reports to the driver once its partition's Arrow file is complete.
 *
 * @param partition the partition
 * @param attempt   the task attempt that wrote it (Spark's unique attempt id)
 * @param rows      the rows in it
 * @param file      its name under {@code _temporary}
 */
record ArrowPart(int partition, long attempt, long rows, String file) implements Serializable {
}
