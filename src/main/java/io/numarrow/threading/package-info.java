/**
 * The thread pool of the seed design ({@code foundation.threading}): configuration, workers,
 * work items, and {@link io.numarrow.threading.ParallelOps}, which tiles tensor kernels across
 * the pool. Threads live here and nowhere else.
 */
package io.numarrow.threading;
