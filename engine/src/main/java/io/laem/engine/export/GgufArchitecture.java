package io.laem.engine.export;

import io.laem.engine.LaemException;
import io.laem.engine.io.GgufWriter;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.model.RopeScaling;
import java.util.Map;

/**
 * How llama.cpp names a model family: its GGUF architecture, its tensor names, its hyperparameter
 * keys, and whether q/k rows are permuted (as llama.cpp's convert_hf_to_gguf.py does for the llama
 * architecture, whose RoPE rotates adjacent pairs where HF rotates halves).
 */
public record GgufArchitecture(String name, boolean permuteQk) {
    /** Engine family -> llama.cpp architecture (Mistral is written as llama, as the converter does). */
    private static final Map<String, GgufArchitecture> BY_FAMILY = Map.of(
            "llama", new GgufArchitecture("llama", true),
            "mistral", new GgufArchitecture("llama", true),
            "qwen2", new GgufArchitecture("qwen2", false),
            "qwen3", new GgufArchitecture("qwen3", false));

    public static GgufArchitecture of(ModelConfig c) {
        return of(c.template().family());
    }

    public static GgufArchitecture of(String family) {
        GgufArchitecture a = BY_FAMILY.get(family);
        if (a == null) {
            throw new LaemException("model family '" + family + "' has no llama.cpp architecture to export to (GGUF export supports "
                    + String.join(", ", new java.util.TreeSet<>(BY_FAMILY.keySet())) + ")");
        }
        return a;
    }

    /** llama.cpp's tensor name of a module, without the ".weight"/".bias" suffix, e.g. {@code blk.3.attn_q}. */
    public static String tensorName(ModuleKey k) {
        return "blk." + k.layer() + "." + switch (k.kind()) {
            case Q_PROJ -> "attn_q";
            case K_PROJ -> "attn_k";
            case V_PROJ -> "attn_v";
            case O_PROJ -> "attn_output";
            case GATE_PROJ -> "ffn_gate";
            case UP_PROJ -> "ffn_up";
            case DOWN_PROJ -> "ffn_down";
            case QKV_PROJ -> "attn_qkv"; // phi3 in llama.cpp; no exported family has fused modules yet
            case GATE_UP_PROJ -> "ffn_up";
        };
    }

    /** Whether this module's output rows are permuted in GGUF (q and k of the llama architecture). */
    public boolean permutes(ModuleKind kind) {
        return permuteQk && (kind == ModuleKind.Q_PROJ || kind == ModuleKind.K_PROJ);
    }

    /** Heads that a permuted module's rows form: query heads for q, key/value heads for k. */
    public static int heads(ModelConfig c, ModuleKind kind) {
        return kind == ModuleKind.Q_PROJ ? c.numHeads() : c.numKvHeads();
    }

    /**
     * The source row of output row {@code row} of a permuted module: within each head of {@code headRows}
     * rows, GGUF row {@code 2i + j} is HF row {@code j * headRows / 2 + i} (HF's halves interleaved).
     */
    public static int sourceRow(int row, int headRows) {
        int head = row / headRows;
        int r = row % headRows;
        int half = headRows / 2;
        return head * headRows + (r % 2) * half + r / 2;
    }

    /** Writes general.architecture and the hyperparameters llama.cpp reads for this architecture. */
    public void putHyperparameters(GgufWriter w, ModelConfig c) {
        w.putString("general.architecture", name);
        String p = name + ".";
        w.putU32(p + "context_length", c.maxPositionEmbeddings());
        w.putU32(p + "embedding_length", c.hiddenSize());
        w.putU32(p + "block_count", c.numLayers());
        w.putU32(p + "feed_forward_length", c.intermediateSize());
        w.putU32(p + "attention.head_count", c.numHeads());
        w.putU32(p + "attention.head_count_kv", c.numKvHeads());
        w.putU32(p + "attention.key_length", c.headDim());
        w.putU32(p + "attention.value_length", c.headDim());
        w.putU32(p + "rope.dimension_count", c.headDim());
        w.putF32(p + "rope.freq_base", c.ropeTheta());
        w.putF32(p + "attention.layer_norm_rms_epsilon", c.rmsNormEps());
        w.putU32(p + "vocab_size", c.vocabSize());
    }

    /**
     * Llama-3 rope scaling as llama.cpp takes it: a {@code rope_freqs.weight} tensor of one factor per
     * frequency (head_dim / 2), each dividing the frequency as HF's llama3 rope scaling does.
     */
    public static float[] ropeFactors(ModelConfig c) {
        RopeScaling s = c.ropeScaling();
        int half = c.headDim() / 2;
        float[] f = new float[half];
        double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        for (int i = 0; i < half; i++) {
            double freq = 1.0 / Math.pow(c.ropeTheta(), 2.0 * i / c.headDim());
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) {
                f[i] = 1f;
            } else if (wavelen > lowWavelen) {
                f[i] = (float) s.factor();
            } else {
                double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                f[i] = (float) (1 / ((1 - smooth) / s.factor() + smooth));
            }
        }
        return f;
    }
}
