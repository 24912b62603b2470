package io.numarrow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.numarrow.JvmFlags;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A JMH fork inherits the bench JVM's flags: jvm.flags is added only for what that JVM lacks. */
class BenchForkFlagsTest {
    private static final List<String> FLAGS = JvmFlags.ofThisRepository();

    @Test
    void aLauncherStartedBenchAddsNothingTwice() {
        List<String> inherited = new ArrayList<>(FLAGS);
        inherited.add("-Dnumarrow.home=/x");
        assertEquals(List.of(), BenchMain.forkFlags(FLAGS, inherited));
    }

    @Test
    void aBareJvmGetsEveryFlag() {
        assertEquals(FLAGS, BenchMain.forkFlags(FLAGS, List.of("-Xmx1g")));
        assertEquals(FLAGS.subList(1, FLAGS.size()), BenchMain.forkFlags(FLAGS, List.of(FLAGS.get(0))));
    }
}
