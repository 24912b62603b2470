package io.numarrow.threading;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A bounded Chase–Lev deque: one owner thread pushes and pops at the bottom, any thread steals
 * from the top. The owner's push never uses a CAS and its pop uses one only when it races a
 * thief for the last element; thieves CAS {@code top}. When the array is full {@link #push}
 * throws {@link QueueFullException} and {@link #offer} returns false: the deque never grows and
 * never drops an element.
 *
 * <p>{@code top} and {@code bottom} sit on cache lines of their own (the superclass chain pads
 * them: the JVM lays out a superclass's fields before a subclass's), so the owner writing
 * {@code bottom} does not slow thieves reading {@code top} and the reverse.
 *
 * @param <T> element type
 */
public final class WorkStealingQueue<T> extends WsqFields {
    /** What {@link #steal} gives back when it lost a race with another thief (the deque was not empty). */
    public static final Object LOST_RACE = new Object() {
        @Override
        public String toString() {
            return "LOST_RACE";
        }
    };

    private static final VarHandle TOP;
    private static final VarHandle BOTTOM;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            TOP = l.findVarHandle(WsqTop.class, "top", long.class);
            BOTTOM = l.findVarHandle(WsqBottom.class, "bottom", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Creates a deque holding at most {@code capacity} elements (rounded up to a power of two). */
    public WorkStealingQueue(int capacity) {
        super(capacity);
    }

    /** Owner only: adds {@code item} at the bottom; throws {@link QueueFullException} when full. */
    public void push(T item) {
        if (!offer(item)) {
            throw new QueueFullException("work-stealing queue is full (" + capacity() + " items)");
        }
    }

    /** Owner only: adds {@code item} at the bottom, or returns false when the deque is full. */
    public boolean offer(T item) {
        if (item == null) {
            throw new NullPointerException("item");
        }
        long b = (long) BOTTOM.getOpaque(this);
        long t = (long) TOP.getAcquire(this);
        if (b - t >= slots.length) {
            return false;
        }
        // the slot is published by the release store of bottom, which thieves read with acquire
        SLOT.setRelease(slots, (int) (b & mask), item);
        BOTTOM.setRelease(this, b + 1);
        return true;
    }

    /** Owner only: takes the most recently pushed element, or null when empty. */
    @SuppressWarnings("unchecked")
    public T pop() {
        // empty at a glance (top only grows, so a stale top can only make it look fuller):
        // return before the fence below, which idle workers would otherwise pay on every look
        if ((long) BOTTOM.getOpaque(this) <= (long) TOP.getAcquire(this)) {
            return null;
        }
        long b = (long) BOTTOM.getOpaque(this) - 1;
        // volatile store then volatile load: the store of bottom must be visible before we read
        // top, or a thief and the owner could both take the last element
        BOTTOM.setVolatile(this, b);
        long t = (long) TOP.getVolatile(this);
        if (t > b) {
            BOTTOM.setOpaque(this, b + 1);
            return null;
        }
        int i = (int) (b & mask);
        Object item = SLOT.getAcquire(slots, i);
        if (t == b) {
            // the last element: whoever moves top first gets it
            if (!TOP.compareAndSet(this, t, t + 1)) {
                item = null;
            } else {
                SLOT.setOpaque(slots, i, null);
            }
            BOTTOM.setOpaque(this, b + 1);
            return (T) item;
        }
        SLOT.setOpaque(slots, i, null);
        return (T) item;
    }

    /**
     * Any thread: takes the oldest element. Returns null when the deque is empty, and
     * {@link #LOST_RACE} when another thread took the element first (the caller may retry).
     */
    public Object steal() {
        long t = (long) TOP.getVolatile(this);
        long b = (long) BOTTOM.getVolatile(this);
        if (t >= b) {
            return null;
        }
        int i = (int) (t & mask);
        Object item = SLOT.getAcquire(slots, i);
        if (item == null || !TOP.compareAndSet(this, t, t + 1)) {
            return LOST_RACE;
        }
        // the slot keeps its reference until the owner reuses it: clearing it would cost a
        // second CAS (the owner may already have reused it), and the pool's items drop their
        // task once run, so what stays behind is small
        return item;
    }

    /** A snapshot of the number of elements; exact only when no other thread is using the deque. */
    public int size() {
        long b = (long) BOTTOM.getVolatile(this);
        long t = (long) TOP.getVolatile(this);
        return (int) Math.max(0, b - t);
    }

    public boolean isEmpty() {
        return size() == 0;
    }

    public int capacity() {
        return slots.length;
    }
}

/** Padding before {@code top}, so it does not share a line with the object header's neighbours. */
abstract class WsqPad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

abstract class WsqTop extends WsqPad0 {
    /** Next index thieves take; only ever increases, moved by CAS. */
    volatile long top;
}

abstract class WsqPad1 extends WsqTop {
    long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
}

abstract class WsqBottom extends WsqPad1 {
    /** Next index the owner pushes to; written only by the owner. */
    volatile long bottom;
}

abstract class WsqPad2 extends WsqBottom {
    long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;
}

abstract class WsqFields extends WsqPad2 {
    final Object[] slots;
    final int mask;

    WsqFields(int capacity) {
        if (capacity < 2 || capacity > (1 << 30)) {
            throw new IllegalArgumentException("queue capacity must be between 2 and 2^30, was " + capacity);
        }
        int size = Integer.highestOneBit(capacity - 1) << 1;
        slots = new Object[size];
        mask = size - 1;
    }
}
