package io.numarrow.threading;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Predicate;

/**
 * A bounded lock-free queue any number of threads put into and take from: a worker's inbox for
 * tasks submitted from outside the pool (a {@link WorkStealingQueue} only takes pushes from its
 * owner). Each slot carries a sequence number telling producers and consumers whose turn it is,
 * so a put and a take never touch the same slot at the same time.
 *
 * @param <T> element type
 */
final class SubmissionQueue<T> extends SqFields {
    private static final VarHandle HEAD;
    private static final VarHandle TAIL;
    private static final VarHandle SEQ = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final Predicate<Object> ANY = item -> true;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HEAD = l.findVarHandle(SqHead.class, "head", long.class);
            TAIL = l.findVarHandle(SqTail.class, "tail", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    SubmissionQueue(int capacity) {
        super(capacity);
    }

    /** Adds {@code item} at the tail; false when the queue is full. */
    boolean offer(T item) {
        if (item == null) {
            throw new NullPointerException("item");
        }
        while (true) {
            long pos = (long) TAIL.getVolatile(this);
            int i = (int) (pos & mask);
            long seq = (long) SEQ.getAcquire(sequences, i);
            long diff = seq - pos;
            if (diff == 0) {
                if (TAIL.compareAndSet(this, pos, pos + 1)) {
                    SLOT.setOpaque(slots, i, item);
                    SEQ.setRelease(sequences, i, pos + 1);
                    return true;
                }
            } else if (diff < 0) {
                return false;
            }
            Thread.onSpinWait();
        }
    }

    /** Takes the head element, or null when the queue is empty. */
    T poll() {
        return pollIf(ANY);
    }

    /**
     * Takes the head element only if {@code test} accepts it; returns it, or null when the queue
     * is empty or its head was refused. A published slot does not change until it is taken, so
     * the element tested is the one the CAS takes.
     */
    @SuppressWarnings("unchecked")
    T pollIf(Predicate<? super T> test) {
        while (true) {
            long pos = (long) HEAD.getVolatile(this);
            int i = (int) (pos & mask);
            long seq = (long) SEQ.getAcquire(sequences, i);
            long diff = seq - (pos + 1);
            if (diff == 0) {
                Object item = SLOT.getOpaque(slots, i);
                if (item == null || (long) HEAD.getVolatile(this) != pos) {
                    continue; // another consumer took it meanwhile
                }
                if (!test.test((T) item)) {
                    return null;
                }
                if (HEAD.compareAndSet(this, pos, pos + 1)) {
                    SLOT.setOpaque(slots, i, null);
                    SEQ.setRelease(sequences, i, pos + mask + 1);
                    return (T) item;
                }
            } else if (diff < 0) {
                return null;
            }
            Thread.onSpinWait();
        }
    }

    /** Whether the queue looks empty; a hint, exact only when no one else is using it. */
    boolean isEmpty() {
        return (long) HEAD.getVolatile(this) >= (long) TAIL.getVolatile(this);
    }

    int size() {
        return (int) Math.max(0, (long) TAIL.getVolatile(this) - (long) HEAD.getVolatile(this));
    }

    int capacity() {
        return slots.length;
    }
}

abstract class SqPad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

abstract class SqHead extends SqPad0 {
    volatile long head;
}

abstract class SqPad1 extends SqHead {
    long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
}

abstract class SqTail extends SqPad1 {
    volatile long tail;
}

abstract class SqPad2 extends SqTail {
    long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;
}

abstract class SqFields extends SqPad2 {
    final Object[] slots;
    final long[] sequences;
    final int mask;

    SqFields(int capacity) {
        if (capacity < 2 || capacity > (1 << 30)) {
            throw new IllegalArgumentException("queue capacity must be between 2 and 2^30, was " + capacity);
        }
        int size = Integer.highestOneBit(capacity - 1) << 1;
        slots = new Object[size];
        sequences = new long[size];
        for (int i = 0; i < size; i++) {
            sequences[i] = i;
        }
        mask = size - 1;
    }
}
