package io.numarrow.spark;

import java.io.Serializable;

/**
 * Where a task's weights come from, decided on the driver and shipped with the task: a weights file
 * ({@link WeightsSource}) or the transformer's own coefficients ({@link EmbeddedWeights}, from a
 * fitted model). Each executor JVM loads one under its {@link #cacheKey()} once.
 */
sealed interface WeightsOrigin extends Serializable permits WeightsSource, EmbeddedWeights {
    /** Equal for the same weights, different when they change. */
    String cacheKey();

    /** What a newer version replaces: weights under the same name with another key are freed. */
    String name();

    /** The loaded weights' shape as the user knows it, for messages: "the weights W.arrow are 17×15". */
    String describeShape(int d, int h);
}
