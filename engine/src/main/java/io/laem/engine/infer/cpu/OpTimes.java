package io.laem.engine.infer.cpu;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Wall time of the CPU forward's parts, summed over calls while enabled ({@code laem bench score} turns it on to show
 * where the time goes): two {@code System.nanoTime} reads per part per layer, nothing when off.
 */
public final class OpTimes {
    /** The parts timed; {@link #FORWARD} is the whole of the forward calls, the rest of it is norms, RoPE, gates and copies. */
    public enum Op {
        ATTENTION_PROJECTIONS("q/k/v/o projections"),
        MLP_PROJECTIONS("gate/up/down projections"),
        LORA("LoRA rank updates"),
        ATTENTION("attention (scores, softmax, values)"),
        LM_HEAD("LM head and log-softmax"),
        FORWARD("whole forward");

        private final String label;

        Op(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private static volatile boolean enabled;
    private static final AtomicLongArray NANOS = new AtomicLongArray(Op.values().length);

    private OpTimes() {}

    /** Starts or stops counting; starting clears what was counted. */
    public static void enable(boolean on) {
        if (on) {
            for (int i = 0; i < NANOS.length(); i++) {
                NANOS.set(i, 0);
            }
        }
        enabled = on;
    }

    /** A start time for {@link #since}; 0 when off. */
    public static long start() {
        return enabled ? System.nanoTime() : 0;
    }

    /** Adds the time since {@code start} to {@code op}. */
    public static void since(Op op, long start) {
        if (enabled && start != 0) {
            NANOS.addAndGet(op.ordinal(), System.nanoTime() - start);
        }
    }

    /** Whether counting is on. */
    public static boolean enabled() {
        return enabled;
    }

    /** Adds {@code nanos} of wall time: the share {@code loraShare} to {@link Op#LORA}, the rest to {@code op}. */
    public static void split(Op op, long nanos, double loraShare) {
        if (enabled) {
            long lora = Math.round(nanos * loraShare);
            NANOS.addAndGet(Op.LORA.ordinal(), lora);
            NANOS.addAndGet(op.ordinal(), nanos - lora);
        }
    }

    /** Seconds counted per part, and "other" (the whole forward less the parts). */
    public static Map<String, Double> seconds() {
        Map<String, Double> out = new LinkedHashMap<>();
        long parts = 0;
        for (Op op : Op.values()) {
            out.put(op.label(), NANOS.get(op.ordinal()) / 1e9);
            if (op != Op.FORWARD) {
                parts += NANOS.get(op.ordinal());
            }
        }
        out.put("other (norms, RoPE, gates, copies)", Math.max(0, NANOS.get(Op.FORWARD.ordinal()) - parts) / 1e9);
        return out;
    }
}
