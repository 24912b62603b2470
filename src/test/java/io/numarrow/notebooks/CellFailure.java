package io.numarrow.notebooks;

/** A notebook cell that did not run cleanly: names the notebook, the cell and its source. */
final class CellFailure extends RuntimeException {
    CellFailure(String notebook, int cellIndex, String source, String problem) {
        super(notebook + ", code cell " + cellIndex + ": " + problem + "\n--- cell source ---\n" + source
                + "\n-------------------");
    }
}
