package io.laem.engine.infer.bench;

import io.laem.engine.io.DType;
import io.laem.engine.io.FloatCodec;
import io.laem.engine.io.TensorInfo;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ArchitectureTemplate;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.model.WeightStore;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TEMPORARY, for the benchmark's llama.cpp peer only: a minimal GGUF v3 writer for a benchmark model (the same
 * tensor bytes as its safetensors file, norms as F32) and for a LoRA adapter. The product's GGUF export (issue:
 * GGUF model + GGUF LoRA in {@code export}) replaces it once merged. It writes only what llama.cpp needs to load
 * and run the random benchmark models: a placeholder vocabulary ("llama" tokenizer of byte and dummy tokens,
 * token ids are what the benchmark feeds), no chat template, and q/k rows NOT permuted for llama's rope layout
 * (convert_hf_to_gguf.py does that), so a llama-architecture GGUF computes other numbers from the same bytes: the
 * same work, which is all a speed peer needs.
 */
final class GgufBenchWriter {
    private static final int ALIGN = 32;
    private static final int T_U32 = 4;
    private static final int T_I32 = 5;
    private static final int T_F32 = 6;
    private static final int T_STRING = 8;
    private static final int T_ARRAY = 9;
    private static final int GGML_F32 = 0;
    private static final int GGML_F16 = 1;
    private static final int GGML_BF16 = 30;

    private record Tensor(String name, long[] shape, int type, long bytes, Source source) {}

    private interface Source {
        void write(OutputStream out) throws IOException;
    }

    private final Map<String, Object> kv = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();

    private GgufBenchWriter() {}

    /** The model folder's weights as a GGUF model file for llama.cpp (llama or qwen3/qwen2 architecture). */
    static void writeModel(ModelConfig c, WeightStore w, Path file) throws IOException {
        GgufBenchWriter g = new GgufBenchWriter();
        String arch = switch (c.template().family()) {
            case "qwen3" -> "qwen3";
            case "qwen2" -> "qwen2";
            default -> "llama";
        };
        g.kv.put("general.architecture", arch);
        g.kv.put("general.name", "laem-bench");
        g.kv.put(arch + ".context_length", (long) c.maxPositionEmbeddings());
        g.kv.put(arch + ".embedding_length", (long) c.hiddenSize());
        g.kv.put(arch + ".block_count", (long) c.numLayers());
        g.kv.put(arch + ".feed_forward_length", (long) c.intermediateSize());
        g.kv.put(arch + ".attention.head_count", (long) c.numHeads());
        g.kv.put(arch + ".attention.head_count_kv", (long) c.numKvHeads());
        g.kv.put(arch + ".attention.key_length", (long) c.headDim());
        g.kv.put(arch + ".attention.value_length", (long) c.headDim());
        g.kv.put(arch + ".attention.layer_norm_rms_epsilon", (float) c.rmsNormEps());
        g.kv.put(arch + ".rope.freq_base", (float) c.ropeTheta());
        g.kv.put(arch + ".vocab_size", (long) c.vocabSize());
        int vocab = c.vocabSize();
        List<String> tokens = new ArrayList<>(vocab);
        float[] scores = new float[vocab];
        int[] types = new int[vocab];
        for (int i = 0; i < vocab; i++) {
            if (i < 3) {
                tokens.add(new String[] {"<unk>", "<s>", "</s>"}[i]);
                types[i] = i == 0 ? 2 : 3;
            } else if (i < 3 + 256) {
                tokens.add(String.format("<0x%02X>", i - 3));
                types[i] = 6;
            } else {
                tokens.add("\u2581t" + i);
                types[i] = 1;
            }
        }
        g.kv.put("tokenizer.ggml.model", "llama");
        g.kv.put("tokenizer.ggml.tokens", tokens);
        g.kv.put("tokenizer.ggml.scores", scores);
        g.kv.put("tokenizer.ggml.token_type", types);
        g.kv.put("tokenizer.ggml.bos_token_id", 1L);
        g.kv.put("tokenizer.ggml.eos_token_id", 2L);
        g.kv.put("tokenizer.ggml.unknown_token_id", 0L);
        ArchitectureTemplate t = c.template();
        g.raw("token_embd.weight", w, t.embedTokens());
        g.raw("output_norm.weight", w, t.finalNorm());
        if (!c.tieWordEmbeddings()) {
            g.raw("output.weight", w, t.lmHead());
        }
        for (int l = 0; l < c.numLayers(); l++) {
            String b = "blk." + l + ".";
            g.raw(b + "attn_norm.weight", w, t.inputNorm(l));
            g.raw(b + "ffn_norm.weight", w, t.postAttentionNorm(l));
            if (t.hasQkNorm()) {
                g.raw(b + "attn_q_norm.weight", w, t.qNorm(l));
                g.raw(b + "attn_k_norm.weight", w, t.kNorm(l));
            }
            for (ModuleKind k : ModuleKind.values()) {
                ModuleKey key = new ModuleKey(l, k);
                g.raw(b + ggufModule(k) + ".weight", w, t.weight(key));
                if (c.hasBias(k)) {
                    g.raw(b + ggufModule(k) + ".bias", w, t.bias(key));
                }
            }
        }
        g.write(file);
    }

    /** An adapter's factors as a GGUF LoRA (llama.cpp's convert_lora_to_gguf.py layout: lora_a [r, in], lora_b [out, r], F32). */
    static void writeLora(ModelConfig c, Collection<LoraModule> modules, double alpha, Path file) throws IOException {
        GgufBenchWriter g = new GgufBenchWriter();
        String arch = switch (c.template().family()) {
            case "qwen3" -> "qwen3";
            case "qwen2" -> "qwen2";
            default -> "llama";
        };
        g.kv.put("general.architecture", arch);
        g.kv.put("general.type", "adapter");
        g.kv.put("adapter.type", "lora");
        g.kv.put("adapter.lora.alpha", (float) alpha);
        for (LoraModule m : modules) {
            String b = "blk." + m.key().layer() + "." + ggufModule(m.key().kind()) + ".weight";
            g.floats(b + ".lora_a", new long[] {m.rank(), m.in()}, m.a());
            g.floats(b + ".lora_b", new long[] {m.out(), m.rank()}, m.b());
        }
        g.write(file);
    }

    private static String ggufModule(ModuleKind k) {
        return switch (k) {
            case Q_PROJ -> "attn_q";
            case K_PROJ -> "attn_k";
            case V_PROJ -> "attn_v";
            case O_PROJ -> "attn_output";
            case GATE_PROJ -> "ffn_gate";
            case UP_PROJ -> "ffn_up";
            case DOWN_PROJ -> "ffn_down";
        };
    }

    /** A tensor's stored bytes (1-D tensors widened to F32: llama.cpp's norms and biases are F32). */
    private void raw(String name, WeightStore w, String hfName) {
        TensorInfo info = w.info(hfName);
        if (info.rank() == 1 && info.dtype() != DType.F32) {
            float[] v = w.floats(hfName);
            floats(name, info.shape(), v);
            return;
        }
        int type = switch (info.dtype()) {
            case F32 -> GGML_F32;
            case F16 -> GGML_F16;
            case BF16 -> GGML_BF16;
            default -> throw new IllegalArgumentException(hfName + ": " + info.dtype());
        };
        MemorySegment bytes = w.bytes(hfName);
        tensors.add(new Tensor(name, info.shape(), type, bytes.byteSize(), out -> {
            byte[] buf = new byte[1 << 20];
            for (long o = 0; o < bytes.byteSize(); o += buf.length) {
                int n = (int) Math.min(buf.length, bytes.byteSize() - o);
                MemorySegment.copy(bytes, java.lang.foreign.ValueLayout.JAVA_BYTE, o, buf, 0, n);
                out.write(buf, 0, n);
            }
        }));
    }

    private void floats(String name, long[] shape, float[] v) {
        byte[] b = FloatCodec.encode(DType.F32, v);
        tensors.add(new Tensor(name, shape, GGML_F32, b.length, out -> out.write(b)));
    }

    private void write(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            Bytes h = new Bytes();
            h.raw("GGUF".getBytes(StandardCharsets.US_ASCII));
            h.u32(3);
            h.u64(tensors.size());
            h.u64(kv.size());
            for (Map.Entry<String, Object> e : kv.entrySet()) {
                h.str(e.getKey());
                h.value(e.getValue());
            }
            long offset = 0;
            for (Tensor t : tensors) {
                h.str(t.name());
                h.u32(t.shape().length);
                for (int i = t.shape().length - 1; i >= 0; i--) {
                    h.u64(t.shape()[i]); // GGUF lists dimensions fastest-varying first
                }
                h.u32(t.type());
                h.u64(offset);
                offset += pad(t.bytes());
            }
            long headerLength = h.size();
            out.write(h.toByteArray());
            out.write(new byte[(int) (pad(headerLength) - headerLength)]);
            for (Tensor t : tensors) {
                t.source().write(out);
                out.write(new byte[(int) (pad(t.bytes()) - t.bytes())]);
            }
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static long pad(long n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }

    /** Little-endian GGUF header bytes. */
    private static final class Bytes {
        private final java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();

        void raw(byte[] x) {
            b.writeBytes(x);
        }

        void u32(long v) {
            raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
        }

        void u64(long v) {
            raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        void f32(float v) {
            raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array());
        }

        void str(String s) {
            byte[] x = s.getBytes(StandardCharsets.UTF_8);
            u64(x.length);
            raw(x);
        }

        void value(Object v) {
            switch (v) {
                case String s -> {
                    u32(T_STRING);
                    str(s);
                }
                case Long l -> {
                    u32(T_U32);
                    u32(l);
                }
                case Float f -> {
                    u32(T_F32);
                    f32(f);
                }
                case float[] fs -> {
                    u32(T_ARRAY);
                    u32(T_F32);
                    u64(fs.length);
                    for (float f : fs) {
                        f32(f);
                    }
                }
                case int[] is -> {
                    u32(T_ARRAY);
                    u32(T_I32);
                    u64(is.length);
                    for (int i : is) {
                        u32(i);
                    }
                }
                case List<?> list -> {
                    u32(T_ARRAY);
                    u32(T_STRING);
                    u64(list.size());
                    for (Object o : list) {
                        str((String) o);
                    }
                }
                default -> throw new IllegalArgumentException("GGUF value " + v);
            }
        }

        long size() {
            return b.size();
        }

        byte[] toByteArray() {
            return b.toByteArray();
        }
    }
}
