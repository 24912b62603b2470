package io.numarrow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A JMH fork inherits the bench JVM's flags: jvm.flags is added only for what that JVM lacks. */
class BenchForkFlagsTest {
    private static final List<String> FLAGS = List.of("--add-modules=jdk.incubator.vector", "-XX:CompileCommand=quiet");

    @Test
    void aLauncherStartedBenchAddsNothingTwice() {
        List<String> inherited = List.of("--add-modules=jdk.incubator.vector", "-XX:CompileCommand=quiet", "-Dnumarrow.home=/x");
        assertEquals(List.of(), BenchMain.forkFlags(FLAGS, inherited));
    }

    @Test
    void aBareJvmGetsEveryFlag() {
        assertEquals(FLAGS, BenchMain.forkFlags(FLAGS, List.of("-Xmx1g")));
        assertEquals(List.of("-XX:CompileCommand=quiet"),
                BenchMain.forkFlags(FLAGS, List.of("--add-modules=jdk.incubator.vector")));
    }
}
