package io.numarrow.io.parquet;

import io.numarrow.BadInputException;
import io.numarrow.io.BatchSource;
import io.numarrow.io.InputBatch;
import io.numarrow.tensor.FixedShapeTensorType;
import io.numarrow.tensor.TensorColumns;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBResultSet;

/**
 * The rows of one or more Parquet files ({@link ParquetInput}), read by DuckDB in batches and
 * handed over as Arrow through the C Data interface. Every column is read (the job passes them
 * through); the features column arrives as {@code FixedSizeList<float32>[d]} whichever way the
 * file stores it: DuckDB's {@code FLOAT[d]} array, or a Parquet list of float with one length for
 * every row, whose length comes from the {@code ARROW:schema} metadata (pyarrow, arrow-rs) or from
 * the first row. A row of another length is bad input naming the file, column and row. Files that
 * {@link OwnParquetPlan} accepts (the common layouts) are read by numarrow's own {@link OwnParquetReader}
 * instead, DuckDB staying for everything else.
 */
public final class ParquetBatchSource implements BatchSource {
    private static final Pattern LIST_OF_FLOAT = Pattern.compile("FLOAT\\[(\\d*)]");
    /** About this many bytes of features per batch: a few cache-sized tiles per worker, few batches. */
    private static final long BATCH_BYTES = 16L << 20;
    private static final int DUCKDB_VECTOR = 2048;
    private static final long MAX_BATCH_ROWS = 32 * DUCKDB_VECTOR;
    /** Batches decoded ahead of the job. */
    private static final int READ_AHEAD = 2;

    private final String description;
    private final List<Path> files;
    private final String column;
    private final ListLength length;
    private final int d;
    private final DuckDBConnection connection;
    private final Statement statement;
    private final ResultSet results;
    private final ArrowReader reader;
    private final ReadAhead readAhead;
    private final VectorSchemaRoot root;
    private final Totals totals;
    /** Whether numarrow's own reader reads the files (else DuckDB). */
    final boolean own;
    private int index;
    private long rowsBefore;
    /** The first batch's load, when {@link #preloadFirstBatch} did it; null otherwise or once used. */
    private Boolean preloaded;

    private ParquetBatchSource(String description, List<Path> files, String column, ListLength length, DuckDBConnection connection,
                               Statement statement, ResultSet results, ArrowReader reader, Totals totals,
                               BufferAllocator allocator) throws IOException {
        this.description = description;
        this.files = files;
        this.column = column;
        this.length = length;
        this.d = length.d();
        this.connection = connection;
        this.statement = statement;
        this.results = results;
        this.reader = reader;
        this.totals = totals;
        this.own = connection == null;
        this.root = VectorSchemaRoot.create(reader.getVectorSchemaRoot().getSchema(), allocator);
        this.readAhead = new ReadAhead(reader, READ_AHEAD);
    }

    /** Opens {@code input} (a file, a folder or a glob); {@code column} is the features column. */
    public static ParquetBatchSource open(Path input, String column, BufferAllocator allocator) {
        return open(input, column, allocator, true);
    }

    /** {@link #open}, through DuckDB alone when {@code ownReader} is false (the tests' reference). */
    static ParquetBatchSource open(Path input, String column, BufferAllocator allocator, boolean ownReader) {
        FixedShapeTensorType.register();
        List<Path> files = ParquetInput.resolve(input);
        String description = files.size() == 1 ? files.get(0).toString() : input + " (" + files.size() + " files)";
        OwnParquetPlan plan = ownReader ? OwnParquetPlan.of(files, column, description) : null;
        if (plan != null) {
            return ownReader(plan, column, description, allocator);
        }
        DuckDBConnection connection = null;
        Statement statement = null;
        try {
            connection = DuckDb.open();
            List<Column> columns = sameSchema(connection, files);
            String type = columns.stream().filter(c -> c.name().equals(column)).map(Column::type)
                    .findFirst().orElseThrow(() -> new BadInputException(description + ": no column '" + column
                            + "'; the columns are: " + Column.list(columns)));
            Matcher m = LIST_OF_FLOAT.matcher(type);
            if (!m.matches()) {
                throw new BadInputException(description + ": column '" + column + "' is " + type
                        + " (DuckDB's name for its type), expected a list of FLOAT with the same length d in every row"
                        + " (FixedSizeList<float32>[d], FLOAT[d] or a list of float32)");
            }
            Field stored = arrowSchemaField(connection, files.get(0), column);
            if (stored != null) {
                TensorColumns.checkStoredInLogicalOrder(stored.getType(), column, description);
            }
            ListLength length = m.group(1).isEmpty() ? listLength(connection, files, column, stored, description)
                    : new ListLength(Integer.parseInt(m.group(1)), false);
            int d = length.d();
            Totals totals = totals(connection, files);
            StringBuilder select = new StringBuilder("SELECT ");
            for (int i = 0; i < columns.size(); i++) {
                String name = DuckDb.identifier(columns.get(i).name());
                select.append(i == 0 ? "" : ", ").append(columns.get(i).name().equals(column)
                        ? "CAST(" + name + " AS FLOAT[" + d + "]) AS " + name : name);
            }
            select.append(" FROM read_parquet(").append(DuckDb.fileList(files)).append(")");
            statement = connection.createStatement();
            ResultSet results;
            try {
                results = statement.executeQuery(select.toString());
            } catch (SQLException e) {
                throw badRows(connection, files, column, length, description, e);
            }
            long batchRows = batchRows(d);
            ArrowReader reader = (ArrowReader) results.unwrap(DuckDBResultSet.class).arrowExportStream(allocator, batchRows);
            return new ParquetBatchSource(description, files, column, length, connection, statement, results, reader, totals,
                    allocator);
        } catch (SQLException | IOException | RuntimeException e) {
            DuckDb.closeQuietly(statement);
            DuckDb.closeQuietly(connection);
            if (e instanceof BadInputException bad) {
                throw bad;
            }
            throw new BadInputException(description + ": cannot read (" + DuckDb.message(e) + ")", e);
        }
    }

    /** Rows per batch: DuckDB's vectors of 2048 rows, about {@link #BATCH_BYTES} of features. */
    private static long batchRows(int d) {
        return Math.clamp(BATCH_BYTES / (4L * d) / DUCKDB_VECTOR * DUCKDB_VECTOR, DUCKDB_VECTOR, MAX_BATCH_ROWS);
    }

    /**
     * The files through numarrow's own reader ({@link OwnParquetReader}): the same schema, batches and
     * values as DuckDB's, without DuckDB, which is opened only to name the first row of a wrong length.
     */
    private static ParquetBatchSource ownReader(OwnParquetPlan plan, String column, String description,
                                                BufferAllocator allocator) {
        ParquetBatchSource source;
        try {
            long bytes = totalSize(plan.files());
            OwnParquetReader reader = new OwnParquetReader(plan, (int) batchRows(plan.d()), allocator);
            source = new ParquetBatchSource(description, plan.files(), column, new ListLength(plan.d(), plan.dFromFirstRow()),
                    null, null, null, reader, new Totals(plan.rows(), -1, bytes), allocator);
        } catch (IOException | RuntimeException e) {
            plan.arena().close();
            throw e instanceof BadInputException bad ? bad
                    : new BadInputException(description + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (plan.dFromFirstRow()) {
            source.preloadFirstBatch();
        }
        return source;
    }

    /** Rows from the files' footers and their sizes; the batches are DuckDB's to cut, so unknown. */
    private static Totals totals(DuckDBConnection connection, List<Path> files) throws SQLException, IOException {
        long bytes = totalSize(files);
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT sum(num_rows) FROM parquet_file_metadata(" + DuckDb.fileList(files) + ")")) {
            return new Totals(rs.next() ? rs.getLong(1) : -1, -1, bytes);
        }
    }

    /** The files' sizes summed. */
    private static long totalSize(List<Path> files) throws IOException {
        long bytes = 0;
        for (Path file : files) {
            bytes += Files.size(file);
        }
        return bytes;
    }

    /** A column as DuckDB names it and its type. */
    private record Column(String name, String type) {
        static String list(List<Column> columns) {
            return columns.stream().map(c -> c.name() + " " + c.type()).collect(Collectors.joining(", "));
        }
    }

    /** The files' columns; bad input when a file is corrupt or two files differ. */
    private static List<Column> sameSchema(DuckDBConnection connection, List<Path> files) {
        List<Column> first = null;
        for (Path file : files) {
            List<Column> columns = new ArrayList<>();
            try (Statement s = connection.createStatement();
                 ResultSet rs = s.executeQuery("DESCRIBE SELECT * FROM read_parquet(" + DuckDb.literal(file.toString()) + ")")) {
                while (rs.next()) {
                    columns.add(new Column(rs.getString(1), rs.getString(2)));
                }
            } catch (SQLException e) {
                throw new BadInputException(file + ": corrupt Parquet file (" + DuckDb.message(e) + ")", e);
            }
            if (first == null) {
                first = columns;
            } else if (!first.equals(columns)) {
                throw new BadInputException(files.get(0) + " and " + file + " have different columns ("
                        + Column.list(first) + " against " + Column.list(columns)
                        + "); the files of one input need the same schema");
            }
        }
        return first;
    }

    /**
     * The features' length d, and whether it was taken from the first row (a guess that the first row
     * of another length than the rest makes wrong: {@link #badRows} then looks again).
     */
    private record ListLength(int d, boolean fromFirstRow) {
    }

    /** d for a variable-length list column: the ARROW:schema's fixed size, else the first row's length. */
    private static ListLength listLength(DuckDBConnection connection, List<Path> files, String column, Field stored,
                                         String description) throws SQLException {
        ArrowType storedType = stored == null ? null : stored.getType();
        if (storedType instanceof ArrowType.ExtensionType ext) {
            storedType = ext.storageType();
        }
        if (storedType instanceof ArrowType.FixedSizeList list) {
            return new ListLength(list.getListSize(), false);
        }
        String col = DuckDb.identifier(column);
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT len(" + col + ") FROM read_parquet(" + DuckDb.fileList(files)
                     + ") WHERE " + col + " IS NOT NULL LIMIT 1")) {
            if (!rs.next()) {
                throw new BadInputException(description + ": column '" + column
                        + "' has no non-null row, so its length d is unknown");
            }
            int d = rs.getInt(1);
            if (d < 1) {
                throw new BadInputException(description + ": column '" + column + "' has empty lists; need d >= 1 values per row");
            }
            return new ListLength(d, true);
        }
    }

    /** The column as the file's ARROW:schema metadata describes it (pyarrow, arrow-rs, numarrow), or null. */
    private static Field arrowSchemaField(DuckDBConnection connection, Path file, String column) throws SQLException {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT value FROM parquet_kv_metadata(" + DuckDb.literal(file.toString())
                     + ") WHERE decode(key) = " + DuckDb.literal(ArrowSchemaMetadata.KEY))) {
            if (!rs.next()) {
                return null;
            }
            Schema schema = ArrowSchemaMetadata.decode(new String(rs.getBytes(1), StandardCharsets.UTF_8));
            return schema == null ? null : schema.getFields().stream()
                    .filter(f -> f.getName().equals(column)).findFirst().orElse(null);
        }
    }

    @Override
    public Schema schema() {
        return root.getSchema();
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public List<Path> files() {
        return files;
    }

    @Override
    public Totals totals() {
        return totals;
    }

    /**
     * Decodes the first batch now, as DuckDB's cast does at open: a first row of the odd length (which
     * set d) is then named before the job checks d against the weights.
     */
    private void preloadFirstBatch() {
        try {
            preloaded = load();
        } catch (IOException | RuntimeException e) {
            try {
                close();
            } catch (IOException | RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e instanceof BadInputException bad ? bad
                    : new BadInputException(description + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public InputBatch next() throws IOException {
        boolean loaded;
        if (preloaded != null) {
            loaded = preloaded;
            preloaded = null;
        } else {
            loaded = load();
        }
        if (!loaded) {
            return null;
        }
        checkNoNullValues();
        int i = index++;
        rowsBefore += root.getRowCount();
        return InputBatch.ofReusedRoot(root, i);
    }

    private boolean load() throws IOException {
        boolean loaded;
        try {
            loaded = readAhead.loadInto(root);
        } catch (RowLengthException e) {
            throw rowLengthError(e);
        } catch (IOException | RuntimeException e) {
            if (connection == null && e instanceof BadInputException bad) {
                throw bad;
            }
            throw badRows(connection, files, column, length, description, e);
        }
        return loaded;
    }

    /** A null inside a non-null row would reach the kernels as a number; name its row. */
    private void checkNoNullValues() {
        FixedSizeListVector list = (FixedSizeListVector) root.getVector(column);
        Float4Vector values = (Float4Vector) list.getDataVector();
        if (values.getNullCount() == 0) {
            return;
        }
        for (int r = 0; r < list.getValueCount(); r++) {
            if (list.isNull(r)) {
                continue;
            }
            for (int c = 0; c < d; c++) {
                if (values.isNull(r * d + c)) {
                    throw new BadInputException(description + ": column '" + column + "' row " + (rowsBefore + r)
                            + " (from 0) has a null value at position " + c + "; features must be numbers");
                }
            }
        }
    }

    /**
     * numarrow's own reader met a row of another length: DuckDB names the first such row of the files
     * as it does for its own reads (with the length most rows have, when d was the first row's).
     */
    private BadInputException rowLengthError(RowLengthException e) {
        try (DuckDBConnection duck = DuckDb.open()) {
            BadInputException named = oddRow(duck, files, column, length, e);
            if (named != null) {
                return named;
            }
        } catch (SQLException | RuntimeException again) {
            e.addSuppressed(again);
        }
        return rowLength(e.file, column, e.row, e.length, "d=" + d, e);
    }

    /**
     * DuckDB's cast to FLOAT[d] failed: find the first row of another length and name it. When d was
     * the first row's length, that row may be the odd one: the length most rows have is then d.
     */
    private static BadInputException badRows(DuckDBConnection connection, List<Path> files, String column,
                                             ListLength length, String description, Exception e) {
        String message = DuckDb.message(e);
        if (message.contains("Cannot cast list with length")) {
            BadInputException named = oddRow(connection, files, column, length, e);
            if (named != null) {
                return named;
            }
        }
        return new BadInputException(description + ": cannot read (" + message + ")", e);
    }

    /** Row {@code row} (from 0) of {@code file}'s features column has {@code length} values, not what {@code why} says. */
    private static BadInputException rowLength(String file, String column, long row, int length, String why, Exception cause) {
        return new BadInputException(file + ": column '" + column + "' row " + row + " (from 0) has " + length
                + " values, but " + why + " (every row of a features column needs the same length)", cause);
    }

    /** The first row of the files whose length is not d (or not what most rows have), named; null if none. */
    private static BadInputException oddRow(DuckDBConnection connection, List<Path> files, String column,
                                            ListLength length, Exception e) {
        String col = DuckDb.identifier(column);
        int d = length.d();
        String why = "d=" + d;
        if (length.fromFirstRow()) {
            try {
                int most = mostCommonLength(connection, files, col, d);
                if (most != d) {
                    d = most;
                    why = "most rows have " + d + " (d=" + d + ")";
                }
            } catch (SQLException again) {
                e.addSuppressed(again);
            }
        }
        for (Path file : files) {
            try (Statement s = connection.createStatement();
                 ResultSet rs = s.executeQuery("SELECT file_row_number, len(" + col + ") FROM read_parquet("
                         + DuckDb.literal(file.toString()) + ", file_row_number = true) WHERE " + col
                         + " IS NOT NULL AND len(" + col + ") <> " + d + " ORDER BY file_row_number LIMIT 1")) {
                if (rs.next()) {
                    return rowLength(file.toString(), column, rs.getLong(1), rs.getInt(2), why, e);
                }
            } catch (SQLException again) {
                e.addSuppressed(again);
            }
        }
        return null;
    }

    /** The list length most non-null rows of the files have; {@code first} (the first row's) on a tie. */
    private static int mostCommonLength(DuckDBConnection connection, List<Path> files, String col, int first)
            throws SQLException {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT len(" + col + ") AS n, count(*) AS rows FROM read_parquet("
                     + DuckDb.fileList(files) + ") WHERE " + col + " IS NOT NULL GROUP BY n ORDER BY rows DESC, n = "
                     + first + " DESC LIMIT 1")) {
            return rs.next() ? rs.getInt(1) : first;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            readAhead.close();
            root.close();
            reader.close();
        } finally {
            DuckDb.closeQuietly(results);
            DuckDb.closeQuietly(statement);
            DuckDb.closeQuietly(connection);
        }
    }

    @Override
    public String toString() {
        return files.stream().map(Path::toString).collect(Collectors.joining(", "));
    }
}
