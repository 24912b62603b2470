/**
 * Single-threaded compute kernels as plain static methods over {@link java.lang.foreign.MemorySegment}s
 * and sizes. No threads, no Arrow types: {@code threading.ParallelOps} tiles them across the pool.
 *
 * <ul>
 *   <li>{@link io.numarrow.kernels.Matmul}: packed, cache-blocked sgemm (bias, accumulate, A·Bᵀ) on a
 *       register-blocked micro-kernel per vector width ({@code MicroKernel512/256/128}, chosen by
 *       {@code TileShape}); blocking from {@code CacheSizes}; per-thread reused scratch.</li>
 *   <li>{@link io.numarrow.kernels.Softmax}: row softmax; {@link io.numarrow.kernels.VectorExp}: the
 *       vectorized exp it uses.</li>
 * </ul>
 */
package io.numarrow.kernels;
