package io.numarrow.threading;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The last time any spinning worker of a pool was seen running. A worker counted as spinning
 * may in fact be descheduled (the machine has more runnable threads than CPUs); a submit that
 * sees no recent beat wakes a parked worker instead of leaving its task to that spinner.
 */
final class SpinBeat extends SpinBeatFields {
    /** A spinner beats every microsecond or so while it has a CPU; silence this long means it has none. */
    static final long STALE_NANOS = 20_000;

    private static final VarHandle BEAT;

    static {
        try {
            BEAT = MethodHandles.lookup().findVarHandle(SpinBeatValue.class, "beat", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    void beat(long now) {
        BEAT.setOpaque(this, now);
    }

    boolean isFresh() {
        return System.nanoTime() - (long) BEAT.getOpaque(this) < STALE_NANOS;
    }
}

abstract class SpinBeatPad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

abstract class SpinBeatValue extends SpinBeatPad0 {
    long beat = System.nanoTime() - SpinBeat.STALE_NANOS;
}

abstract class SpinBeatFields extends SpinBeatValue {
    long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;
}
