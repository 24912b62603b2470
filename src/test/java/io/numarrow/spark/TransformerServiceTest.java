package io.numarrow.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.ServiceLoader;
import org.apache.spark.ml.Transformer;
import org.junit.jupiter.api.Test;

/**
 * Spark Connect's ML support finds transformers the JDK's way: META-INF/services lists them, and each
 * has a public no-argument constructor (SPARK-49907).
 */
class TransformerServiceTest {
    @Test
    void serviceLoaderFindsTheTransformerAndMakesOneWithItsDefaults() {
        List<Transformer> found = ServiceLoader.load(Transformer.class).stream()
                .filter(p -> p.type() == NumarrowTransformer.class)
                .map(ServiceLoader.Provider::get)
                .toList();
        assertEquals(1, found.size(), "one entry for NumarrowTransformer in META-INF/services");
        NumarrowTransformer t = (NumarrowTransformer) found.get(0);
        assertEquals("features", t.getInputCol());
        assertEquals("matmul,softmax", t.getOps());
        assertTrue(t.uid().startsWith("numarrow_"), t.uid());
        assertNotEquals(t.uid(), new NumarrowTransformer().uid(), "each instance has its own uid");
    }
}
