package io.numarrow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code bench --param}: a malformed value is refused with one line and exit 2, before any JMH run. */
class BenchParamOptionTest {
    @Test
    void aParamWithoutNameOrValueIsRefused() {
        for (String bad : new String[]{"shape", "=65536x64", "shape="}) {
            PrintStream err = System.err;
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            int code;
            try {
                System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
                code = new CommandLine(new BenchMain()).execute("--suite", "softmax", "--param", bad);
            } finally {
                System.setErr(err);
            }
            String said = captured.toString(StandardCharsets.UTF_8).strip();
            assertEquals(2, code, bad + ": " + said);
            assertTrue(said.contains("--param takes NAME=VALUE") && said.contains("'" + bad + "'"), said);
            assertEquals(1, said.lines().count(), said);
        }
    }
}
