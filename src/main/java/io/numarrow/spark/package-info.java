/**
 * numarrow inside Spark: {@link io.numarrow.spark.NumarrowTransformer}, a Spark ML
 * {@code Transformer} that turns each partition's rows into off-heap Arrow batches, runs them
 * through the same batch computation as {@code numarrow compute}, and turns the results back
 * into rows. One thread pool, one root allocator and one copy of each weight matrix live in
 * every executor JVM ({@link io.numarrow.spark.ExecutorResources}).
 */
package io.numarrow.spark;
