package org.repnas.examples;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The quick start's latency table says when a busy machine inflated its numbers. */
class TimingTest {

    @Test
    void otherProcessesBusyOnEveryCoreAreSeen() throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        List<Process> spinners = new ArrayList<>();
        try {
            for (int i = 0; i < cores; i++) spinners.add(new ProcessBuilder("sh", "-c", "while :; do :; done").start());
            Thread.sleep(200);
            double others = Timing.othersCpuShareDuring(() -> {
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(others > SearchRun.Report.BUSY, "other processes' share of the CPUs: " + others);
        } finally {
            for (Process p : spinners) p.destroyForcibly().waitFor();
        }
    }

    static SearchRun.Report report(double othersCpuShare) {
        return new SearchRun.Report(0.9, 0.9, 0.9, 10, 10, 1000, 800, 64, 100, 20, 17, othersCpuShare);
    }

    @Test
    void theTableNotesABusyMachine() {
        String busy = report(0.65).table();
        assertTrue(busy.contains("other processes took 65% of the CPUs") && busy.contains("inflated"), busy);
        String idle = report(0.02).table();
        assertFalse(idle.contains("other processes"), idle);
        assertTrue(idle.contains("median of " + SearchRun.Report.REPS), idle);
        assertEquals(idle, report(Double.NaN).table(), "no note where the JVM cannot tell");
    }

    @Test
    void interleavedMediansAreMediansPerWorkload() {
        int[] calls = new int[2];
        double[] ms = Timing.interleavedMedianMs(2, 5, () -> calls[0]++, () -> {
            calls[1]++;
            long end = System.nanoTime() + 3_000_000L;
            while (System.nanoTime() < end) Thread.onSpinWait();
        });
        assertEquals(7, calls[0]);
        assertEquals(7, calls[1]);
        assertTrue(ms[0] < ms[1] && ms[1] >= 3, ms[0] + " " + ms[1]);
    }
}
