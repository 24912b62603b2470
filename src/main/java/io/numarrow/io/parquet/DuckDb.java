package io.numarrow.io.parquet;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    /** The {@code exception_message} of the JSON DuckDB puts in some errors (file system ones). */
    private static final Pattern JSON_MESSAGE = Pattern.compile("\"exception_message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    /** "Could not write file "/path": No space left on device": the reason, after the quoted file. */
    private static final Pattern ABOUT_A_FILE = Pattern.compile("^[^\"]* file \"[^\"]*\": (.+)$");

    /**
     * DuckDB's message in a line of its own: without the SQL it quotes (its first line only), and
     * for an I/O error, whose text is JSON ({@code IO Error: Async write failed ...: {"exception_type":
     * "IO","exception_message":"Could not write file \"...\": No space left on device","errno":"28"}}),
     * the operating system's reason alone: the caller names the file the user gave.
     */
    static String message(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        int nl = m.indexOf('\n');
        String line = (nl >= 0 ? m.substring(0, nl) : m).strip();
        Matcher json = JSON_MESSAGE.matcher(line);
        if (!json.find()) {
            return line;
        }
        String inner = unescapeJson(json.group(1));
        Matcher file = ABOUT_A_FILE.matcher(inner);
        return file.matches() ? file.group(1) : inner;
    }

    private static String unescapeJson(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char next = s.charAt(++i);
                b.append(switch (next) {
                    case 'n', 'r', 't' -> ' ';
                    default -> next;
                });
            } else {
                b.append(c);
            }
        }
        return b.toString();
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
