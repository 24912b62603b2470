package io.numarrow.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.io.ArrowFiles;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.extension.InvalidExtensionMetadataException;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.ExtensionTypeRegistry;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class FixedShapeTensorTypeTest {
    private static final ArrowType F32 = new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);

    @Test
    void metadataIsTheJsonArrowCppWrites() {
        assertEquals("{\"shape\":[2,3]}", FixedShapeTensorType.float32(2, 3).serialize());
        var t = new FixedShapeTensorType(F32, new long[] {2, 3}, List.of("h", "w"), new int[] {1, 0});
        assertEquals("{\"shape\":[2,3],\"dim_names\":[\"h\",\"w\"],\"permutation\":[1,0]}", t.serialize());
        assertEquals(FixedShapeTensorType.NAME, t.extensionName());
        assertEquals(new ArrowType.FixedSizeList(6), t.storageType());
    }

    @Test
    void deserializesWhatPyarrowWrites() {
        FixedShapeTensorType.register();
        var registered = ExtensionTypeRegistry.lookup(FixedShapeTensorType.NAME);
        var t = (FixedShapeTensorType) registered.deserialize(new ArrowType.FixedSizeList(6),
                "{\"shape\": [2, 3], \"dim_names\": [\"C\", \"W\"], \"permutation\": [1, 0]}");
        assertArrayEquals(new long[] {2, 3}, t.shape());
        assertEquals(List.of("C", "W"), t.dimNames());
        assertArrayEquals(new int[] {1, 0}, t.permutation());
        var plain = (FixedShapeTensorType) registered.deserialize(new ArrowType.FixedSizeList(4), "{\"shape\":[4]}");
        assertNull(plain.dimNames());
        assertNull(plain.permutation());
    }

    @Test
    void badMetadataIsRefusedClearly() {
        var t = FixedShapeTensorType.float32(1);
        assertThrows(InvalidExtensionMetadataException.class, () -> t.deserialize(new ArrowType.FixedSizeList(6), "{\"shape\":[2,2]}"));
        assertThrows(InvalidExtensionMetadataException.class, () -> t.deserialize(new ArrowType.FixedSizeList(6), "not json"));
        assertThrows(InvalidExtensionMetadataException.class, () -> t.deserialize(new ArrowType.FixedSizeList(6), "{}"));
        assertThrows(InvalidExtensionMetadataException.class, () -> t.deserialize(F32, "{\"shape\":[6]}"));
        assertThrows(IllegalArgumentException.class,
                () -> new FixedShapeTensorType(F32, new long[] {2, 3}, null, new int[] {0, 0}));
        assertThrows(IllegalArgumentException.class,
                () -> new FixedShapeTensorType(F32, new long[] {2, 3}, List.of("a"), null));
    }

    @Test
    void survivesAnIpcRoundTripWithItsMetadataAndValues(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("t.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            try (FixedShapeTensorVector col = TensorColumns.allocateTensorColumn("t", allocator, 3, 4)) {
                try (Tensor view = TensorColumns.view(col)) {
                    for (int i = 0; i < 12; i++) {
                        view.set(i / 4, i % 4, i * 1.5f);
                    }
                }
                col.getUnderlyingVector().setNull(1);
                VectorSchemaRoot root = new VectorSchemaRoot(List.of(col.getField()), List.of(col), 3);
                ArrowFiles.write(file, root);
            }
            try (ArrowReader reader = ArrowFiles.read(file, allocator)) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                Field field = root.getSchema().findField("t");
                var type = assertInstanceOf(FixedShapeTensorType.class, field.getType());
                assertArrayEquals(new long[] {4}, type.shape());
                assertTrue(reader.loadNextBatch());
                var vector = assertInstanceOf(FixedShapeTensorVector.class, root.getVector("t"));
                assertTrue(vector.isNull(1));
                Float4Vector data = (Float4Vector) vector.getUnderlyingVector().getDataVector();
                assertEquals(10 * 1.5f, data.get(10));
                try (Tensor view = TensorColumns.view(vector.getUnderlyingVector())) {
                    assertEquals(3, view.rows());
                    assertEquals(4, view.cols());
                    assertEquals(11 * 1.5f, view.get(2, 3));
                    assertEquals(data.getDataBufferAddress(), view.segment().address(), "the view is not a copy");
                }
            }
        }
    }
}
