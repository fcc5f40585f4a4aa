package io.laem.engine.model;

import io.laem.engine.LaemException;

/** The gate activation of a gated MLP ({@code act(gate) * up}), by HF transformers' ACT2FN name. */
public enum Activation {
    /** {@code x * sigmoid(x)} (HF "silu"). */
    SILU("silu"),
    /** GELU with the tanh approximation (HF "gelu_pytorch_tanh"): {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
    GELU_TANH("gelu_pytorch_tanh");

    private final String hfName;

    Activation(String hfName) {
        this.hfName = hfName;
    }

    public String hfName() {
        return hfName;
    }

    /** The activation HF names {@code name} (config field {@code field} of {@code file}). */
    public static Activation of(String file, String field, String name) {
        for (Activation a : values()) {
            if (a.hfName.equals(name)) {
                return a;
            }
        }
        // "gelu_new" and "gelu_fast" are the same tanh approximation under other names
        if (name.equals("gelu_new") || name.equals("gelu_fast")) {
            return GELU_TANH;
        }
        throw new LaemException(file + ": field '" + field + "' is '" + name + "': not supported (supported: silu, gelu_pytorch_tanh)");
    }

    /** The activation of one value, in double (the float paths round the result). */
    public double apply(double x) {
        return switch (this) {
            case SILU -> x / (1 + Math.exp(-x));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
        };
    }
}
