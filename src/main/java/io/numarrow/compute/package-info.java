/**
 * The batch-feature job shared by the command line, the Spark transformer and notebooks: load
 * weights, stream the batches of a {@link io.numarrow.io.BatchSource} through
 * {@link io.numarrow.threading.ParallelOps}, and write the results beside the input columns. The
 * deprecated names here ({@code BatchSource}, {@code Formats}, {@code Weights}, ...) forward to
 * their homes in {@code io}.
 */
package io.numarrow.compute;
