package io.numarrow.notebooks;

import java.util.Map;

/** One output of a code cell, as Jupyter records it in an {@code .ipynb}. */
sealed interface CellOutput {
    /** Text the cell printed on {@code stdout} or {@code stderr}. */
    record Stream(String name, String text) implements CellOutput {
    }

    /** What {@code display(...)} published: MIME type to data (base64 for images). */
    record Display(Map<String, String> data) implements CellOutput {
    }

    /** The rendered value of the cell's last expression, the kernel's {@code Out[n]}. */
    record Result(Map<String, String> data) implements CellOutput {
    }
}
