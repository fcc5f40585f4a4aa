package io.laem.engine.optimize;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Where a run's wall time goes: seconds per named phase, each counted exclusively (a plan built while tuning the
 * baselines counts as planning, not as baselines). Single-threaded, like the run it times.
 */
public final class PhaseTimes {
    private final Map<String, Double> seconds = new LinkedHashMap<>();
    private final Deque<String> open = new ArrayDeque<>();
    private final LongSupplier clock;
    private long last;

    public PhaseTimes() {
        this(System::nanoTime);
    }

    PhaseTimes(LongSupplier nanos) {
        this.clock = nanos;
    }

    /** Runs {@code work} as {@code phase}. */
    public <T> T time(String phase, Supplier<T> work) {
        charge();
        open.push(phase);
        try {
            return work.get();
        } finally {
            charge();
            open.pop();
        }
    }

    public void time(String phase, Runnable work) {
        time(phase, () -> {
            work.run();
            return null;
        });
    }

    /** Adds the time since the last change to the innermost open phase. */
    private void charge() {
        long now = clock.getAsLong();
        if (!open.isEmpty()) {
            seconds.merge(open.peek(), (now - last) / 1e9, Double::sum);
        }
        last = now;
    }

    /** Seconds per phase, in the order the phases first ended or were interrupted by another. */
    public Map<String, Double> seconds() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(seconds));
    }
}
