/**
 * The batch-feature job shared by the command line, the Spark transformer and notebooks: load
 * weights, stream the batches of an Arrow file through {@link io.numarrow.threading.ParallelOps},
 * and write the results beside the input columns.
 */
package io.numarrow.compute;
