/**
 * The thread pool of the seed design ({@code foundation.threading}): {@link io.numarrow.threading.ThreadPool}
 * with its {@link io.numarrow.threading.Worker}s, each owning a lock-free
 * {@link io.numarrow.threading.WorkStealingQueue} (tasks it submits) and an inbox (tasks from
 * outside); idle workers steal, same NUMA node first, spin briefly and park.
 * {@link io.numarrow.threading.WorkItem} is a submitted task's handle, {@link io.numarrow.threading.WorkerPlacement}
 * where each worker runs. {@link io.numarrow.threading.TileScheduler} cuts row ranges into tiles, a
 * task per tile (with NUMA placement of each tile); {@link io.numarrow.threading.TileLoop} runs tiles
 * claimed from a counter by a few reusable tasks, allocating nothing per call, and is what
 * {@link io.numarrow.threading.ParallelOps} uses to tile tensor kernels across the pool.
 * Threads live here and nowhere else.
 */
package io.numarrow.threading;
