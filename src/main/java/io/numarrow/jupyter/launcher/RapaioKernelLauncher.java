package io.numarrow.jupyter.launcher;

import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Set;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * Starts rapaio-jupyter-kernel 3.0.1 the way its {@code MainApp} does, less its two start-up races,
 * which on a busy machine left one kernel start in three or four that never answered:
 * <ul>
 *   <li>{@code Channels.connect} binds the sockets (and starts their threads) before it creates its
 *       handler map, so a request that arrives in between (Jupyter sends {@code kernel_info_request}s
 *       from the start) throws a NullPointerException that ends the shell thread. Here the map exists
 *       before the sockets are bound: such a request is logged as unhandled and Jupyter asks again.</li>
 *   <li>{@code LoopThread.start} sets its {@code running} flag after {@code Thread.start}, so a thread
 *       that runs at once finds it false and ends before its first loop. Here a channel whose thread
 *       ended that way gets a new one with the flag set before it starts.</li>
 * </ul>
 * Everything else is rapaio's own code. This class runs in the kernel's JVM with only rapaio's jar
 * beside it (the build packs it into a jar of its own, {@code numarrow-jupyter-launcher.jar}), so it
 * reaches rapaio by reflection; the names it uses are those of the pinned version.
 */
public final class RapaioKernelLauncher {
    private static final Logger LOG = Logger.getLogger(RapaioKernelLauncher.class.getSimpleName());
    private static final String PKG = "org.rapaio.jupyter.kernel.";

    private RapaioKernelLauncher() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: RapaioKernelLauncher CONNECTION_FILE (Jupyter passes it)");
        }
        Class<?> mainApp = Class.forName(PKG + "MainApp");
        try (InputStream logging = mainApp.getClassLoader().getResourceAsStream("logging.properties")) {
            if (logging != null) {
                LogManager.getLogManager().readConfiguration(logging);
            }
        }
        Class<?> connectionClass = Class.forName(PKG + "core.ConnectionProperties");
        Object connection = Class.forName(PKG + "core.Transform").getMethod("fromJson", String.class, Class.class)
                .invoke(null, Files.readString(Path.of(args[0])), connectionClass);
        Object kernel = mainApp.getField("kernel").get(null); // builds the JShell, as MainApp does first

        Class<?> channelsClass = Class.forName(PKG + "channels.Channels");
        Object channels = channelsClass.getConstructor(connectionClass).newInstance(connection);
        field(channelsClass, "handlers").set(channels, new HashMap<>());
        channelsClass.getMethod("connect", kernel.getClass()).invoke(channels, kernel);
        restartLoopsThatNeverRan((Set<?>) field(channelsClass, "channels").get(channels));
        channelsClass.getMethod("joinUntilClose").invoke(channels);
    }

    private static void restartLoopsThatNeverRan(Set<?> channels) throws ReflectiveOperationException {
        Class<?> loopClass = Class.forName(PKG + "channels.LoopThread");
        for (Object channel : channels) {
            Field loopField;
            try {
                loopField = field(channel.getClass(), "loopThread");
            } catch (NoSuchFieldException noLoop) {
                continue; // iopub and stdin have no loop of their own
            }
            Thread loop = (Thread) loopField.get(channel);
            if (loop == null || loop.isAlive()) {
                continue;
            }
            Thread again = (Thread) loopClass.getConstructor(String.class, long.class, Runnable.class)
                    .newInstance(loop.getName(), field(loopClass, "sleep").getLong(loop),
                            field(loopClass, "loopBody").get(loop));
            field(loopClass, "running").setBoolean(again, true);
            again.start();
            loopField.set(channel, again);
            LOG.warning("restarted " + loop.getName() + ", which had ended before its first loop");
        }
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        Field f = type.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }
}
