package io.numarrow.compute;

import io.numarrow.BadInputException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The operations a job can run on each row: {@code matmul}, {@code softmax}, or both in order. */
public enum Ops {
    MATMUL("matmul"),
    SOFTMAX("softmax"),
    MATMUL_SOFTMAX("matmul,softmax");

    private final String spelling;

    Ops(String spelling) {
        this.spelling = spelling;
    }

    public boolean needsWeights() {
        return this != SOFTMAX;
    }

    /** Parses the command-line spelling ({@code matmul}, {@code softmax}, {@code matmul,softmax}). */
    public static Ops parse(String text) {
        if (text == null || text.isBlank()) {
            throw new BadInputException("no ops given; expected one of " + choices());
        }
        List<String> parts = Arrays.stream(text.split(","))
                .map(s -> s.trim().toLowerCase(Locale.ROOT)).toList();
        for (String part : parts) {
            if (!part.equals("matmul") && !part.equals("softmax")) {
                throw new BadInputException("unknown op '" + part + "'; the ops are matmul and softmax ("
                        + choices() + ")");
            }
        }
        String normal = String.join(",", parts);
        for (Ops op : values()) {
            if (op.spelling.equals(normal)) {
                return op;
            }
        }
        throw new BadInputException("unsupported op sequence '" + text + "'; expected one of " + choices());
    }

    private static String choices() {
        return Arrays.stream(values()).map(o -> o.spelling).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return spelling;
    }
}
