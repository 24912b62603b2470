package io.numarrow;

import java.util.concurrent.Callable;

/** Tests that set a system property for one check, then put it back as it was. */
public final class SystemProperties {
    private SystemProperties() {
    }

    /** Runs {@code body} with {@code property} set to {@code value} (null: cleared), then restores it. */
    public static <T> T with(String property, String value, Callable<T> body) throws Exception {
        String old = System.getProperty(property);
        try {
            set(property, value);
            return body.call();
        } finally {
            set(property, old);
        }
    }

    private static void set(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }
}
