package io.laem.engine.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Peak resident set size of this process (Linux: VmHWM in /proc/self/status), resettable between
 * benchmark cases by writing 5 to /proc/self/clear_refs. Elsewhere both are no-ops and the peak is -1.
 */
public final class PeakRss {
    private PeakRss() {}

    /** Peak RSS in bytes since start or the last {@link #reset()}, or -1 where unknown. */
    public static long bytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Resets the peak to the current RSS where the OS allows it; returns whether it did. */
    public static boolean reset() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
