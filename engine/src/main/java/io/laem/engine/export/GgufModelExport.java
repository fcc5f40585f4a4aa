package io.laem.engine.export;

import io.laem.engine.io.OutputTarget;
import io.laem.engine.io.FloatCodec;
import io.laem.engine.io.GgmlType;
import io.laem.engine.io.GgufWriter;
import io.laem.engine.io.TensorInfo;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.MergeWriter;
import io.laem.engine.model.ArchitectureTemplate;
import io.laem.engine.model.HfModel;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.model.WeightStore;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;

/**
 * A full model as one GGUF file for llama.cpp: the base (plus a merged delta, when given) with
 * llama.cpp's tensor names and hyperparameters, the tokenizer metadata, and the weights in F32, F16,
 * BF16 or Q8_0 (1-D tensors stay F32; a Q8_0 tensor whose rows are not whole 32-value blocks is
 * written F16, as llama.cpp's converter falls back). Streams one tensor at a time from the
 * memory-mapped base; only a merged module's weight is held in float32 while it is written.
 */
public final class GgufModelExport {
    private static final int CHUNK = 1 << 14;

    private GgufModelExport() {}

    /** The base model alone as a new GGUF file (refused where a file exists; see {@link OutputTarget}). */
    public static void write(Path baseDir, Path outFile, GgmlType type) {
        write(baseDir, Map.of(), OutputTarget.file(outFile), type, ProgressListener.NONE, CancellationToken.NONE);
    }

    /** Base + merged delta ({@code merged}: modules with scale baked in, as a merge writes them) as one GGUF file. */
    public static void write(Path baseDir, Map<ModuleKey, LoraModule> merged, OutputTarget outFile, GgmlType type, ProgressListener progress,
                             CancellationToken cancel) {
        outFile.protecting(baseDir).write(tmp -> writeInto(baseDir, merged, tmp, type, progress, cancel));
    }

    /** As {@link #write}, in place (inside a folder that is written atomically). */
    static void writeInto(Path baseDir, Map<ModuleKey, LoraModule> merged, Path outFile, GgmlType type, ProgressListener progress,
                          CancellationToken cancel) throws IOException {
        try (HfModel model = HfModel.open(baseDir)) {
            ModelConfig c = model.config();
            GgufArchitecture arch = GgufArchitecture.of(c);
            ArchitectureTemplate t = c.template();
            WeightStore store = model.weights();
            GgufWriter w = new GgufWriter();
            arch.putHyperparameters(w, c);
            w.putString("general.type", "model");
            w.putString("general.name", baseDir.toAbsolutePath().normalize().getFileName().toString());
            w.putU32("general.file_type", fileType(type));
            w.putU32("general.quantization_version", 2);
            GgufVocab.put(w, baseDir, c);

            int total = 3 + c.numLayers() * 11;
            int[] done = {0};
            Tensors ts = new Tensors(w, store, type, progress, cancel, total, done);
            ts.add("token_embd.weight", t.embedTokens(), null, 0);
            if (c.ropeScaling() != null) {
                float[] f = GgufArchitecture.ropeFactors(c);
                w.addTensor("rope_freqs.weight", GgmlType.F32, new long[] {f.length}, sink -> sink.accept(f));
            }
            for (int l = 0; l < c.numLayers(); l++) {
                String blk = "blk." + l + ".";
                ts.add(blk + "attn_norm.weight", t.norm(ArchitectureTemplate.Norm.INPUT, l), null, 0);
                for (ModuleKind kind : t.modules()) {
                    ModuleKey k = new ModuleKey(l, kind);
                    String gguf = GgufArchitecture.tensorName(k);
                    int heads = arch.permutes(kind) ? GgufArchitecture.heads(c, kind) : 0;
                    ts.add(gguf + ".weight", t.weight(k), merged.get(k), heads);
                    if (store.contains(t.bias(k))) {
                        ts.add(gguf + ".bias", t.bias(k), null, heads);
                    }
                    if (kind == ModuleKind.O_PROJ && t.hasNorm(ArchitectureTemplate.Norm.Q)) {
                        ts.add(blk + "attn_q_norm.weight", t.norm(ArchitectureTemplate.Norm.Q, l), null, 0);
                        ts.add(blk + "attn_k_norm.weight", t.norm(ArchitectureTemplate.Norm.K, l), null, 0);
                    }
                    if (kind == ModuleKind.O_PROJ) {
                        ts.add(blk + "ffn_norm.weight", t.norm(ArchitectureTemplate.Norm.PRE_MLP, l), null, 0);
                    }
                }
            }
            ts.add("output_norm.weight", t.finalNorm(), null, 0);
            if (store.contains(t.lmHead()) && !c.tieWordEmbeddings()) {
                ts.add("output.weight", t.lmHead(), null, 0);
            }
            w.writeInto(outFile);
            progress.progress(total, total, "written");
        }
    }

    /** llama.cpp's general.file_type (LlamaFileType) of a model stored mostly in {@code type}. */
    static int fileType(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            case BF16 -> 32;
        };
    }

    /** Adds base tensors to the writer, each streamed from the store (or from base + delta), rows permuted where asked. */
    private record Tensors(GgufWriter w, WeightStore store, GgmlType type, ProgressListener progress, CancellationToken cancel,
                           int total, int[] done) {
        /** @param heads when positive, the rows form this many heads whose halves are interleaved (llama q/k) */
        void add(String gguf, String name, LoraModule delta, int heads) {
            TensorInfo info = store.info(name);
            long[] shape = info.shape().clone();
            int rows = info.rank() == 1 ? info.dim(0) : info.dim(0);
            int cols = info.rank() == 1 ? 1 : Math.toIntExact(info.elementCount() / rows);
            GgmlType tt = info.rank() < 2 ? GgmlType.F32 : cols % type.blockSize() == 0 ? type : GgmlType.F16;
            w.addTensor(gguf, tt, shape, sink -> {
                cancel.check();
                progress.progress(done[0]++, total, "writing " + gguf);
                float[] full = delta != null ? MergeWriter.mergedWeight(store, name, delta) : null;
                MemorySegment seg = full == null ? store.bytes(name) : null;
                int eb = info.dtype().bytes();
                if (heads > 0) {
                    float[] row = new float[cols];
                    int headRows = rows / heads;
                    for (int r = 0; r < rows; r++) {
                        int src = GgufArchitecture.sourceRow(r, headRows);
                        if (full != null) {
                            sink.accept(full, src * cols, cols);
                        } else {
                            FloatCodec.decode(info.dtype(), seg.asSlice((long) src * cols * eb), row, cols);
                            sink.accept(row);
                        }
                    }
                } else if (full != null) {
                    sink.accept(full);
                } else {
                    long count = info.elementCount();
                    float[] buf = new float[(int) Math.min(CHUNK, count)];
                    for (long from = 0; from < count; from += CHUNK) {
                        int n = (int) Math.min(CHUNK, count - from);
                        FloatCodec.decode(info.dtype(), seg.asSlice(from * eb), buf, n);
                        sink.accept(buf, 0, n);
                    }
                }
            });
        }
    }
}
