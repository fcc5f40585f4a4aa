package io.laem.engine.infer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongSupplier;

/**
 * Memory a new allocation can take without pushing the machine into swap or the OOM killer: Linux's
 * {@code MemAvailable} (free memory plus the page cache and other memory the kernel can reclaim); elsewhere the
 * physical memory, so that only what can never fit is refused.
 */
public final class MemoryAvailable {
    private static final Path MEMINFO = Path.of("/proc/meminfo");
    /** Where the figure comes from; tests put a fixed figure here and back. */
    private static volatile LongSupplier source = MemoryAvailable::measured;

    private MemoryAvailable() {}

    /** Bytes available now. */
    public static long bytes() {
        return source.getAsLong();
    }

    /** Replaces where {@link #bytes} comes from (tests); returns the previous source. */
    public static LongSupplier use(LongSupplier s) {
        LongSupplier old = source;
        source = s;
        return old;
    }

    private static long measured() {
        try {
            for (String line : Files.readAllLines(MEMINFO)) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no such line: the physical memory below
        }
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
    }

    /** {@code bytes} in GB with one decimal, as messages give it. */
    public static String gb(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f GB", bytes / 1e9);
    }
}
