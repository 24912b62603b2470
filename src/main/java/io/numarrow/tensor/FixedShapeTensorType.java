package io.numarrow.tensor;

import io.numarrow.Json;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.extension.InvalidExtensionMetadataException;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.ExtensionTypeRegistry;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * Arrow's canonical {@code arrow.fixed_shape_tensor} extension type: each value is a tensor of
 * one fixed {@code shape}, stored as a {@code FixedSizeList<value_type>[prod(shape)]}. The
 * metadata is the JSON that Arrow C++ and pyarrow write: {@code shape}, and optionally
 * {@code dim_names} and {@code permutation}.
 */
public final class FixedShapeTensorType extends ArrowType.ExtensionType {
    public static final String NAME = "arrow.fixed_shape_tensor";
    private static final ArrowType FLOAT32 = new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);

    static {
        ExtensionTypeRegistry.register(new FixedShapeTensorType(FLOAT32, new long[] {1}, null, null));
    }

    private final ArrowType valueType;
    private final long[] shape;
    private final java.util.List<String> dimNames;
    private final int[] permutation;

    public FixedShapeTensorType(ArrowType valueType, long[] shape, java.util.List<String> dimNames, int[] permutation) {
        this.valueType = Objects.requireNonNull(valueType, "valueType");
        this.shape = shape.clone();
        this.dimNames = dimNames == null ? null : java.util.List.copyOf(dimNames);
        this.permutation = permutation == null ? null : permutation.clone();
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
        }
        if (dimNames != null && dimNames.size() != shape.length) {
            throw new IllegalArgumentException("dim_names " + dimNames + " do not match shape " + Arrays.toString(shape));
        }
        if (permutation != null && !isPermutation(permutation, shape.length)) {
            throw new IllegalArgumentException("permutation " + Arrays.toString(permutation)
                    + " is not a permutation of " + shape.length + " dimensions");
        }
        if (listSize() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has too many elements for one list");
        }
    }

    /** A float32 tensor type of the given shape, e.g. {@code float32(h)} for a row of {@code h}. */
    public static FixedShapeTensorType float32(long... shape) {
        return new FixedShapeTensorType(FLOAT32, shape, null, null);
    }

    /** Makes sure the type is registered with Arrow, so that IPC readers recognise it. */
    public static void register() {
        // the static initializer does the work; calling this forces it
    }

    /** A nullable field of this type named {@code name}, with its {@code item} child. */
    public Field field(String name) {
        return new Field(name, FieldType.nullable(this),
                java.util.List.of(Field.notNullable("item", valueType)));
    }

    public ArrowType valueType() {
        return valueType;
    }

    public long[] shape() {
        return shape.clone();
    }

    public java.util.List<String> dimNames() {
        return dimNames;
    }

    public int[] permutation() {
        return permutation == null ? null : permutation.clone();
    }

    /** Whether the storage order is the logical one: no permutation, or {@code [0, 1, ..., n-1]}. */
    public boolean isIdentityPermutation() {
        if (permutation != null) {
            for (int i = 0; i < permutation.length; i++) {
                if (permutation[i] != i) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The number of elements of one tensor, the storage list size. */
    public long listSize() {
        long n = 1;
        for (long dim : shape) {
            n *= dim;
        }
        return n;
    }

    @Override
    public ArrowType storageType() {
        return new ArrowType.FixedSizeList((int) listSize());
    }

    @Override
    public String extensionName() {
        return NAME;
    }

    @Override
    public boolean extensionEquals(ArrowType.ExtensionType other) {
        return other instanceof FixedShapeTensorType o
                && valueType.equals(o.valueType)
                && Arrays.equals(shape, o.shape)
                && Objects.equals(dimNames, o.dimNames)
                && Arrays.equals(permutation, o.permutation);
    }

    @Override
    public String serialize() {
        StringBuilder json = new StringBuilder("{\"shape\":[");
        for (int i = 0; i < shape.length; i++) {
            json.append(i == 0 ? "" : ",").append(shape[i]);
        }
        json.append(']');
        if (dimNames != null) {
            json.append(",\"dim_names\":[");
            for (int i = 0; i < dimNames.size(); i++) {
                json.append(i == 0 ? "" : ",").append(Json.quote(dimNames.get(i)));
            }
            json.append(']');
        }
        if (permutation != null) {
            json.append(",\"permutation\":[");
            for (int i = 0; i < permutation.length; i++) {
                json.append(i == 0 ? "" : ",").append(permutation[i]);
            }
            json.append(']');
        }
        return json.append('}').toString();
    }

    @Override
    public ArrowType deserialize(ArrowType storageType, String serializedData) {
        if (!(storageType instanceof ArrowType.FixedSizeList list)) {
            throw new InvalidExtensionMetadataException(NAME + " needs FixedSizeList storage, found " + storageType);
        }
        Object root;
        try {
            root = Json.parse(serializedData);
        } catch (IllegalArgumentException e) {
            throw new InvalidExtensionMetadataException(NAME + " metadata is not JSON: " + serializedData);
        }
        java.util.Map<?, ?> fields = root instanceof java.util.Map<?, ?> m ? m : java.util.Map.of();
        long[] parsedShape = longs(fields.get("shape"), "shape", serializedData);
        if (parsedShape == null) {
            throw new InvalidExtensionMetadataException(NAME + " metadata lacks a shape array: " + serializedData);
        }
        java.util.List<String> names = null;
        if (fields.get("dim_names") instanceof java.util.List<?> list2) {
            names = new ArrayList<>();
            for (Object n : list2) {
                names.add(n instanceof String s ? s : String.valueOf(n));
            }
        }
        long[] perm = longs(fields.get("permutation"), "permutation", serializedData);
        // The value type lives in the storage's child field, which this call does not see;
        // float32 is what numarrow reads and writes, and readers check the child's type.
        FixedShapeTensorType type = new FixedShapeTensorType(FLOAT32, parsedShape, names,
                perm == null ? null : Arrays.stream(perm).mapToInt(p -> (int) p).toArray());
        if (type.listSize() != list.getListSize()) {
            throw new InvalidExtensionMetadataException(NAME + " shape " + Arrays.toString(parsedShape)
                    + " does not match its storage list size " + list.getListSize());
        }
        return type;
    }

    @Override
    public FieldVector getNewVector(String name, FieldType fieldType, BufferAllocator allocator) {
        return new FixedShapeTensorVector(name, allocator, this);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FixedShapeTensorType other && extensionEquals(other);
    }

    @Override
    public int hashCode() {
        return Objects.hash(NAME, valueType, Arrays.hashCode(shape), dimNames, Arrays.hashCode(permutation));
    }

    @Override
    public String toString() {
        return "FixedShapeTensor" + Arrays.toString(shape);
    }

    /** A JSON array of integers as longs; null for a missing or null value. */
    private static long[] longs(Object value, String what, String serializedData) {
        if (value == null) {
            return null;
        }
        if (!(value instanceof java.util.List<?> list)) {
            throw new InvalidExtensionMetadataException(NAME + " metadata's " + what + " is not an array: " + serializedData);
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long l)) {
                throw new InvalidExtensionMetadataException(NAME + " metadata's " + what + " holds a non-integer: " + serializedData);
            }
            out[i] = l;
        }
        return out;
    }

    private static boolean isPermutation(int[] perm, int n) {
        if (perm.length != n) {
            return false;
        }
        boolean[] seen = new boolean[n];
        for (int p : perm) {
            if (p < 0 || p >= n || seen[p]) {
                return false;
            }
            seen[p] = true;
        }
        return true;
    }
}
