package io.numarrow.io.parquet;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.stream.Collectors;
import org.duckdb.DuckDBConnection;

/** An in-memory DuckDB connection, and the quoting and error text the Parquet classes share. */
final class DuckDb {
    private DuckDb() {
    }

    static DuckDBConnection open() throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:duckdb:");
        return c.unwrap(DuckDBConnection.class);
    }

    /** A SQL string literal. */
    static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /** A SQL identifier. */
    static String identifier(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

    /** A DuckDB list of file names, {@code ['a.parquet', 'b.parquet']}. */
    static String fileList(List<Path> files) {
        return files.stream().map(p -> literal(p.toString())).collect(Collectors.joining(", ", "[", "]"));
    }

    /** DuckDB's message without the SQL it quotes: its first line, less the error class prefix. */
    static String message(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        int nl = m.indexOf('\n');
        return (nl >= 0 ? m.substring(0, nl) : m).strip();
    }

    /** Closes {@code c}, if any, ignoring failure: for closing after a failure, or a writer being abandoned. */
    static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // nothing more to do
            }
        }
    }
}
