package io.laem.app.core;

/** Types of the playground's generation. */
public final class Generation {
    private Generation() {}

    /** Which weights generate: the base alone, one adapter alone, or the current merge. */
    public record Variant(Kind kind, String adapter) {
        public enum Kind { BASE, ADAPTER, MERGE, MOA }

        public static Variant base() {
            return new Variant(Kind.BASE, null);
        }

        public static Variant adapter(String name) {
            return new Variant(Kind.ADAPTER, name);
        }

        public static Variant merge() {
            return new Variant(Kind.MERGE, null);
        }

        /** Mixture of LoRAs: a router trained on the tasks picks one adapter per prompt. */
        public static Variant moa() {
            return new Variant(Kind.MOA, null);
        }

        public String label() {
            return switch (kind) {
                case BASE -> "base";
                case ADAPTER -> adapter;
                case MERGE -> "merge";
                case MOA -> "MoA (routed)";
            };
        }
    }

    /** Sampling settings: greedy when {@code sample} is false. */
    public record Settings(int maxTokens, boolean sample, double temperature, double topP, long seed, boolean chat) {}

    /**
     * How a generation ended; {@code note} says e.g. where MoA routed the prompt, {@code prompt} is what the
     * model was sent (text and token ids, as {@code laem generate --show-prompt} prints it).
     */
    public record Stats(int tokens, double seconds, String note, String prompt) {
        public Stats(int tokens, double seconds, String note) {
            this(tokens, seconds, note, "");
        }

        public Stats(int tokens, double seconds) {
            this(tokens, seconds, "");
        }

        public double tokensPerSecond() {
            return seconds <= 0 ? 0 : tokens / seconds;
        }
    }
}
