/**
 * The thread pool of the seed design ({@code foundation.threading}): {@link ThreadPool} with its
 * {@link Worker}s, each owning a lock-free {@link WorkStealingQueue} (tasks it submits) and an inbox
 * (tasks from outside); idle workers steal, same NUMA node first, spin briefly and park.
 * {@link WorkItem} is a submitted task's handle, {@link WorkerPlacement} where each worker runs.
 * {@link TileLoop} runs the tiles of one call, claimed from a counter by a few reusable tasks,
 * allocating nothing per call; {@link ParallelOps} uses it to tile the tensor kernels across the pool,
 * multiplying by {@link PreparedWeights}. Threads live here and nowhere else.
 */
package io.numarrow.threading;
