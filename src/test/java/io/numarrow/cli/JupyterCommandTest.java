package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code numarrow jupyter install} misused: one line, exit 2, nothing written. (Installing: KernelInstallerTest.) */
@Timeout(60)
class JupyterCommandTest {
    @TempDir
    Path dir;

    @Test
    void installOutsideTheLauncherSaysHowToRunIt() {
        assumeTrue(System.getenv(JupyterCommand.FLAGS_VARIABLE) == null, "the launcher's flags are set in this environment");
        CliBadInputTest.Run run = CliBadInputTest.cli("jupyter", "install", "--data-dir", dir.resolve("data").toString());
        assertEquals(2, run.status(), run.stderr());
        assertEquals(1, run.errLines().size(), run.stderr());
        assertTrue(run.stderr().contains("./numarrow jupyter install"), run.stderr());
        assertTrue(Files.notExists(dir.resolve("data")));
    }

    @Test
    void bareJupyterInTheJvmPrintsItsUsage() {
        CliBadInputTest.Run run = CliBadInputTest.cli("jupyter");
        assertEquals(0, run.status(), run.stderr());
        assertTrue(run.stdout().contains("install"), run.stdout());
    }
}
