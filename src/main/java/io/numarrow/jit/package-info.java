/**
 * When the kernels compile. Vector API code runs with every vector boxed, 50-100 times slower, until
 * HotSpot's optimising compiler (C2) has compiled it; left to the JVM's defaults that takes a fresh
 * JVM a second or more, during which a job's first batches run boxed.
 *
 * <ul>
 *   <li>{@link io.numarrow.jit.CompilePolicy}: whether this JVM runs with the compile policy of
 *       {@code jvm.flags} (the kernels compiled after a few calls, the calling thread waiting for the
 *       compiled code) and has C2 at all.</li>
 *   <li>{@link io.numarrow.jit.KernelCompile}: gets the kernels compiled on the calling thread, on
 *       small synthetic operands, before a job's first batch.</li>
 * </ul>
 *
 * Sits just above {@code kernels}, which it calls; {@code threading}, {@code compute} and {@code cli}
 * call it. docs/design.md ("Start-up") says why, docs/performance.md has the measurements.
 */
package io.numarrow.jit;
