package io.numarrow.threading;

/** A pool's thread, carrying its {@link Worker} so that "which worker am I" is one type check. */
final class WorkerThread extends Thread {
    final Worker worker;

    WorkerThread(Worker worker, String name, long stackSize) {
        super(null, null, name, stackSize);
        this.worker = worker;
        setDaemon(true); // a pool the program forgot to close must not keep the JVM alive
    }

    @Override
    public void run() {
        worker.run();
    }
}
