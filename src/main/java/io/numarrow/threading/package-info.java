/**
 * The thread pool of the seed design ({@code foundation.threading}): {@link io.numarrow.threading.ThreadPool}
 * with its {@link io.numarrow.threading.Worker}s, each owning a lock-free
 * {@link io.numarrow.threading.WorkStealingQueue} (tasks it submits) and an inbox (tasks from
 * outside); idle workers steal, same NUMA node first, spin briefly and park.
 * {@link io.numarrow.threading.WorkItem} is a submitted task's handle, {@link io.numarrow.threading.WorkerPlacement}
 * where each worker runs, {@link io.numarrow.threading.TileScheduler} cuts row ranges into tiles
 * for {@link io.numarrow.threading.ParallelOps}, which tiles tensor kernels across the pool.
 * Threads live here and nowhere else.
 */
package io.numarrow.threading;
