package io.numarrow.tensor;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.util.hash.ArrowBufHasher;
import org.apache.arrow.vector.ExtensionTypeVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/** The vector of an {@code arrow.fixed_shape_tensor} column: a {@link FixedSizeListVector} underneath. */
public final class FixedShapeTensorVector extends ExtensionTypeVector<FixedSizeListVector> {

    private final FixedShapeTensorType type;

    public FixedShapeTensorVector(String name, BufferAllocator allocator, FixedShapeTensorType type) {
        super(name, allocator, new FixedSizeListVector(name, allocator,
                FieldType.nullable(type.storageType()), null));
        this.type = type;
    }

    public FixedShapeTensorType type() {
        return type;
    }

    @Override
    public Object getObject(int index) {
        return getUnderlyingVector().getObject(index);
    }

    @Override
    public int hashCode(int index) {
        return getUnderlyingVector().hashCode(index);
    }

    @Override
    public int hashCode(int index, ArrowBufHasher hasher) {
        return getUnderlyingVector().hashCode(index, hasher);
    }

    @Override
    public Field getField() {
        Field storage = getUnderlyingVector().getField();
        // Before its first allocation the storage has no child yet; the schema still needs one.
        boolean noChild = storage.getChildren().isEmpty()
                || storage.getChildren().get(0).getType() instanceof ArrowType.Null;
        return noChild ? type.field(getName())
                : new Field(getName(), FieldType.nullable(type), storage.getChildren());
    }
}
