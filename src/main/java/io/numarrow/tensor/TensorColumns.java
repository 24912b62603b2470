package io.numarrow.tensor;

import io.numarrow.BadInputException;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.ExtensionTypeVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/**
 * Views between a batch's {@code FixedSizeList<float32>[d]} column and a {@code Tensor[rows×d]}
 * over the same memory, in both directions.
 */
public final class TensorColumns {
    private TensorColumns() {
    }

    /**
     * The storage list vector of column {@code name} of {@code root}, checked to be a
     * {@code FixedSizeList<float32>}, with or without the {@code arrow.fixed_shape_tensor} tag.
     *
     * @param source names the file or batch in error messages
     */
    public static FixedSizeListVector floatListColumn(VectorSchemaRoot root, String name, String source) {
        FieldVector vector = root.getVector(name);
        if (vector == null) {
            String present = root.getSchema().getFields().stream()
                    .map(f -> f.getName() + " (" + describe(f) + ")")
                    .collect(Collectors.joining(", "));
            throw new BadInputException(source + ": no column '" + name + "'; the columns are: "
                    + (present.isEmpty() ? "(none)" : present));
        }
        FieldVector storage = vector instanceof ExtensionTypeVector<?> ext ? ext.getUnderlyingVector() : vector;
        if (!(storage instanceof FixedSizeListVector list)
                || !(list.getDataVector() instanceof Float4Vector)) {
            throw new BadInputException(source + ": column '" + name + "' is "
                    + describe(vector.getField())
                    + ", expected FixedSizeList<float32>[d] (a fixed-size list of float32, one row per value)");
        }
        checkStoredInLogicalOrder(vector.getField().getType(), name, source);
        return list;
    }

    /**
     * Refuses an {@code arrow.fixed_shape_tensor} whose {@code permutation} is not the identity: the
     * kernels read each row in its stored order, which such a permutation says is not the logical one.
     *
     * @throws BadInputException naming the column, its shape and permutation
     */
    public static void checkStoredInLogicalOrder(ArrowType type, String name, String source) {
        if (type instanceof FixedShapeTensorType tensor && !tensor.isIdentityPermutation()) {
            throw new BadInputException(source + ": column '" + name + "' is an arrow.fixed_shape_tensor of shape "
                    + Arrays.toString(tensor.shape()) + " with permutation " + Arrays.toString(tensor.permutation())
                    + "; numarrow reads each row in its stored order, so it takes only the identity permutation:"
                    + " store the tensors in their logical order (or drop the permutation if they are)");
        }
    }

    /**
     * The rows of {@code list} as a {@code rows × listSize} tensor over the list's child data, without
     * copying. The values of null rows are whatever the writer left there.
     */
    public static Tensor view(FixedSizeListVector list) {
        Float4Vector data = (Float4Vector) list.getDataVector();
        return Tensor.wrap(data, list.getValueCount(), list.getListSize());
    }

    /**
     * Allocates an {@code arrow.fixed_shape_tensor} column of {@code rows} rows of {@code h}
     * floats, every value valid; write into it through {@link #view(FixedShapeTensorVector)}.
     */
    public static FixedShapeTensorVector allocateTensorColumn(String name, BufferAllocator allocator, int rows, int h) {
        FixedShapeTensorVector column = (FixedShapeTensorVector) FixedShapeTensorType.float32(h)
                .getNewVector(name, null, allocator);
        try {
            prepare(column, rows);
        } catch (RuntimeException e) {
            column.close();
            throw e;
        }
        return column;
    }

    /**
     * (Re)allocates {@code column} for {@code rows} rows of its list size, every row and value
     * valid, ready for the kernels to write through {@link #view(FixedShapeTensorVector)}.
     */
    public static void prepare(FixedShapeTensorVector column, int rows) {
        FixedSizeListVector list = column.getUnderlyingVector();
        if (!(list.getDataVector() instanceof Float4Vector)) {
            // A new column has no child yet; IPC readers make theirs from the schema.
            list.addOrGetVector(FieldType.notNullable(column.type().valueType()));
        }
        int h = list.getListSize();
        int count = Math.multiplyExact(rows, h);
        list.clear();
        list.setInitialCapacity(rows);
        list.allocateNew();
        Float4Vector data = (Float4Vector) list.getDataVector();
        if (data.getValueCapacity() < count) {
            data.allocateNew(count);
        }
        data.setValueCount(count);
        Tensor.markAllValid(data, count);
        Tensor.setFirstBits(list.getValidityBuffer(), rows);
        list.setValueCount(rows);
    }

    /** The output column's rows as a tensor, to be written by the kernels. */
    public static Tensor view(FixedShapeTensorVector column) {
        return view(column.getUnderlyingVector());
    }

    /**
     * A readable name for a column's type in error messages, with the element type of a list:
     * {@code FixedSizeList<float64>[8]}, {@code arrow.fixed_shape_tensor<FixedSizeList<float32>[4]>}.
     */
    public static String describe(Field field) {
        ArrowType type = field.getType();
        ArrowType storage = type instanceof ArrowType.ExtensionType ext ? ext.storageType() : type;
        String element = field.getChildren().isEmpty() ? "?" : describe(field.getChildren().get(0));
        String described = switch (storage) {
            case ArrowType.FixedSizeList list -> "FixedSizeList<" + element + ">[" + list.getListSize() + "]";
            case ArrowType.List list -> "List<" + element + ">";
            case ArrowType.LargeList list -> "LargeList<" + element + ">";
            case ArrowType.FloatingPoint fp -> switch (fp.getPrecision()) {
                case HALF -> "float16";
                case SINGLE -> "float32";
                case DOUBLE -> "float64";
            };
            case ArrowType.Int i -> (i.getIsSigned() ? "int" : "uint") + i.getBitWidth();
            default -> describe(storage);
        };
        return type instanceof ArrowType.ExtensionType ext ? ext.extensionName() + "<" + described + ">" : described;
    }

    /** A readable name for an Arrow type in error messages (a list's element type is its field's: {@link #describe(Field)}). */
    public static String describe(ArrowType type) {
        if (type instanceof ArrowType.ExtensionType ext) {
            return ext.extensionName() + "<" + describe(ext.storageType()) + ">";
        }
        if (type instanceof ArrowType.FixedSizeList list) {
            return "FixedSizeList[" + list.getListSize() + "]";
        }
        return type.toString();
    }
}
