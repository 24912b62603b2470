package io.numarrow.bench.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The ONNX model of the batch-feature job, {@code Z = Softmax(MatMul(X, W), axis=-1)}, with W as an
 * initializer and X of shape {@code [batch, k]} (batch left symbolic), as ONNX protobuf bytes.
 *
 * <p>Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto,
 * ValueInfoProto, TypeProto); opset 13, where Softmax normalises along one axis (the last here), not
 * over the flattened trailing dimensions as before 13.
 */
public final class MatmulSoftmaxModel {
    public static final String INPUT = "X";
    public static final String OUTPUT = "Z";
    static final long IR_VERSION = 8;
    static final long OPSET = 13;
    private static final int FLOAT = 1;          // TensorProto.DataType.FLOAT
    private static final int ATTRIBUTE_INT = 2;  // AttributeProto.AttributeType.INT

    private MatmulSoftmaxModel() {
    }

    /**
     * @param w      the weights, {@code k×n} row-major
     * @return the serialized ModelProto, ready for {@code OrtEnvironment.createSession(byte[], ...)}
     */
    public static byte[] bytes(float[] w, int k, int n) {
        if ((long) k * n != w.length) {
            throw new IllegalArgumentException("weights hold " + w.length + " floats, not " + k + "×" + n);
        }
        ByteBuffer raw = ByteBuffer.allocate(w.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(w);
        ProtoWriter weights = new ProtoWriter()
                .varint(1, k).varint(1, n)            // dims
                .varint(2, FLOAT)                     // data_type
                .string(8, "W")                       // name
                .bytes(9, raw.array());               // raw_data, little-endian
        ProtoWriter matmul = node("MatMul", new String[] {INPUT, "W"}, "Y");
        ProtoWriter softmax = node("Softmax", new String[] {"Y"}, OUTPUT)
                .message(5, new ProtoWriter().string(1, "axis").varint(3, -1).varint(20, ATTRIBUTE_INT));
        ProtoWriter graph = new ProtoWriter()
                .message(1, matmul)
                .message(1, softmax)
                .string(2, "matmul_softmax")
                .message(5, weights)
                .message(11, floatMatrix(INPUT, k))
                .message(12, floatMatrix(OUTPUT, n));
        return new ProtoWriter()
                .varint(1, IR_VERSION)
                .string(2, "numarrow-bench")
                .message(7, graph)
                .message(8, new ProtoWriter().string(1, "").varint(2, OPSET))
                .toByteArray();
    }

    private static ProtoWriter node(String op, String[] inputs, String output) {
        ProtoWriter node = new ProtoWriter();
        for (String input : inputs) {
            node.string(1, input);
        }
        return node.string(2, output).string(3, op.toLowerCase()).string(4, op);
    }

    /** ValueInfoProto of a float tensor {@code [batch, cols]}, batch symbolic. */
    private static ProtoWriter floatMatrix(String name, int cols) {
        ProtoWriter shape = new ProtoWriter()
                .message(1, new ProtoWriter().string(2, "batch"))
                .message(1, new ProtoWriter().varint(1, cols));
        ProtoWriter tensorType = new ProtoWriter().varint(1, FLOAT).message(2, shape);
        return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
    }
}
