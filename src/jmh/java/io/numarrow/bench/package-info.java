/**
 * {@code ./numarrow bench}: JMH benchmarks of numarrow, each class measuring numarrow and its baselines
 * (OpenBLAS, EJML, {@code ForkJoinPool}, scalar Java, Arrow's allocators, {@code MemorySegment.copy})
 * in the same run, one subpackage per suite ({@code pool}, {@code matmul}, {@code softmax},
 * {@code memory}). {@link io.numarrow.bench.BenchMain} runs a suite and prints each score with its
 * ratios to the baselines; {@link io.numarrow.bench.BenchPlot} draws them. Figures and the machines
 * they come from: docs/performance.md.
 */
package io.numarrow.bench;
