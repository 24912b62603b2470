/**
 * numarrow: vectorized matmul and softmax over Apache Arrow data, in the caller's JVM, on a NUMA-aware
 * work-stealing thread pool. The root package holds only what every layer shares:
 * {@link io.numarrow.BadInputException}, input the user can fix. The work is in the packages, in layers
 * that only look down: {@code kernels} (single-threaded kernels over memory segments), {@code numa}
 * (machine shape, NUMA memory) and {@code tensor} (Arrow-backed tensors) at the bottom; {@code threading}
 * (the pool, and {@code ParallelOps} tiling the kernels over it) and {@code io} (Arrow IPC in and out)
 * above them; {@code compute} (the batch job) above those; {@code cli} and {@code spark}, thin shells
 * over the job, on top. docs/design.md in the repository draws the whole picture.
 */
package io.numarrow;
