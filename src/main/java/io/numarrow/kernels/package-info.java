/**
 * Single-threaded compute kernels as plain static methods over {@link java.lang.foreign.MemorySegment}s
 * and sizes: matmul and softmax. No threads, no Arrow types: {@code threading.ParallelOps} tiles
 * them across the pool.
 */
package io.numarrow.kernels;
