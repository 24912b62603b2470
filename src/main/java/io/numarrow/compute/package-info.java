/**
 * The batch-feature job shared by the command line, the Spark transformer and notebooks: load
 * weights, stream the batches of a {@link io.numarrow.io.BatchSource} through
 * {@link io.numarrow.threading.ParallelOps}, and write the results beside the input columns.
 */
package io.numarrow.compute;
