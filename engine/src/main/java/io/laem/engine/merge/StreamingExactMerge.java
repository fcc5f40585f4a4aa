package io.laem.engine.merge;

import io.laem.engine.io.DType;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.io.SafetensorsWriter;
import io.laem.engine.io.TensorInfo;
import io.laem.engine.lora.AdapterWriter;
import io.laem.engine.lora.LoraConfig;
import io.laem.engine.lora.MappedAdapter;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The exact merge written straight from the memory-mapped inputs, for recipes with redundancy
 * {@code none}, shared {@code none} or a supplied adapter, and output rank {@code exact}: per module
 * {@code A' = [A_1; ...; A_T]} and {@code B' = [w_1 s_1 B_1 | ... | w_T s_T B_T]} are computed chunk
 * by chunk while the safetensors file is written, so no factor is decoded to the heap and nothing is
 * concatenated in memory. The bytes of every file are those of {@link MergePlanner} +
 * {@link PlanMerger} + {@link MergeWriter} (the same float32 arithmetic and encoding, the same
 * report); the finite check of every input element runs in the same pass, and any failure leaves
 * no output.
 */
public final class StreamingExactMerge {
    /** Elements decoded, checked and encoded per step, so that each chunk stays in cache. */
    private static final int CHUNK = 1 << 14;

    private StreamingExactMerge() {}

    /** One adapter's factors of a module, with the factor {@code w s} that multiplies its B. */
    private record Term(MappedAdapter source, MappedAdapter.Module module, double factor) {}

    /** Whether {@link #run} can write this recipe's merge. */
    public static boolean applies(Recipe r) {
        return r.redundancy().strategy() == Recipe.Redundancy.Strategy.NONE && r.shared().mode() != Recipe.Shared.Mode.CONSENSUS
                && r.output().exact();
    }

    /** Merges and writes the adapter folder {@code out} atomically; see the class comment. */
    public static MergeSummary run(Recipe recipe, Path out, ProgressListener progress, CancellationToken cancel) {
        return run(recipe, OutputTarget.folder(out).protecting(recipe.inputs()), progress, cancel);
    }

    /** As above, to a checked output target. */
    public static MergeSummary run(Recipe recipe, OutputTarget out, ProgressListener progress, CancellationToken cancel) {
        if (!applies(recipe)) {
            throw new IllegalArgumentException("not an exact merge without redundancy removal or consensus");
        }
        ModelConfig base = MergeInputs.baseConfig(recipe);
        List<MappedAdapter> opened = new ArrayList<>();
        try {
            List<MappedAdapter> tasks = new ArrayList<>();
            for (Recipe.AdapterRef a : recipe.adapters()) {
                tasks.add(open(a.path(), a.name(), base, recipe, opened));
            }
            MappedAdapter shared = recipe.shared().mode() == Recipe.Shared.Mode.ADAPTER
                    ? open(recipe.shared().path(), Recipe.SHARED, base, recipe, opened) : null;
            TreeSet<ModuleKey> keys = new TreeSet<>();
            tasks.forEach(t -> keys.addAll(t.modules().keySet()));
            if (shared != null) {
                keys.addAll(shared.modules().keySet());
            }
            SortedMap<ModuleKey, MergedAdapter.ModuleReport> report = new TreeMap<>();
            SafetensorsWriter weights = AdapterWriter.weightsWriter();
            DType dtype = recipe.output().dtype();
            float[][] scratch = new float[2][];
            int[] ranks = new int[keys.size()];
            long done = 0;
            for (ModuleKey k : keys) {
                List<Term> terms = new ArrayList<>();
                Map<String, Double> named = new LinkedHashMap<>();
                Map<String, Double> planEnergy = new LinkedHashMap<>();
                if (shared != null && shared.modules().containsKey(k)) {
                    terms.add(term(shared, k, base, recipe, named));
                }
                for (MappedAdapter t : tasks) {
                    if (t.modules().containsKey(k)) {
                        terms.add(term(t, k, base, recipe, named));
                        planEnergy.put(t.name(), 1.0);
                    }
                }
                MappedAdapter.Module first = terms.getFirst().module();
                int rank = terms.stream().mapToInt(t -> t.module().rank()).sum();
                ranks[(int) done] = rank;
                report.put(k, new MergedAdapter.ModuleReport(rank, rank, 1.0, 1.0, named, planEnergy));
                String name = LoraConfig.moduleName(k);
                long index = done++;
                weights.addProduced(AdapterWriter.keyA(name), dtype, new long[] {rank, first.in()}, sink -> {
                    cancel.check();
                    progress.progress(index, keys.size(), "writing " + k);
                    writeA(terms, dtype, scratch(scratch, 0, CHUNK), sink);
                });
                weights.addProduced(AdapterWriter.keyB(name), dtype, new long[] {first.out(), rank}, sink -> {
                    int rows = Math.max(1, CHUNK / rank);
                    writeB(terms, first.out(), rank, rows, scratch(scratch, 0, rows * rank), scratch(scratch, 1, rows * rank), sink);
                });
            }
            MergeSummary summary = new MergeSummary(report);
            double[] scales = new double[ranks.length];
            Arrays.fill(scales, 1.0);
            var config = AdapterWriter.configFor(List.copyOf(keys), ranks, scales, recipe.baseModel().toString());
            out.write(MergeWriter.adapterFiles(out, config, weights, summary, recipe, null));
            progress.progress(keys.size(), keys.size(), "written");
            return summary;
        } finally {
            opened.forEach(MappedAdapter::close);
        }
    }

    /** A' = [A_1; ...; A_T]: each term's lora_A in order, copied as it is when stored in the output dtype. */
    private static void writeA(List<Term> terms, DType dtype, float[] buf, SafetensorsWriter.FloatSink sink) throws IOException {
        for (Term t : terms) {
            TensorInfo a = t.module().a();
            long count = a.elementCount();
            for (long from = 0; from < count; from += CHUNK) {
                int n = (int) Math.min(CHUNK, count - from);
                if (a.dtype() == dtype) {
                    sink.acceptEncoded(t.source().finiteBytes(a, from, n)); // decoding and encoding would give the same bytes
                } else {
                    t.source().read(a, from, buf, 0, n);
                    sink.accept(buf, 0, n);
                }
            }
        }
    }

    /** B' = [w_1 s_1 B_1 | ... | w_T s_T B_T] ([out, rank]), {@code rows} rows at a time. */
    private static void writeB(List<Term> terms, int out, int rank, int rows, float[] in, float[] block, SafetensorsWriter.FloatSink sink)
            throws IOException {
        for (int o0 = 0; o0 < out; o0 += rows) {
            int n = Math.min(rows, out - o0);
            int off = 0;
            for (Term t : terms) {
                int r = t.module().rank();
                t.source().read(t.module().b(), (long) o0 * r, in, 0, n * r);
                scale(in, n * r, t.factor());
                for (int i = 0; i < n; i++) {
                    System.arraycopy(in, i * r, block, i * rank + off, r);
                }
                off += r;
            }
            sink.accept(block, 0, n * rank);
        }
    }

    /** {@code v[i] = (float) (f * v[i])}, the concatenation's arithmetic, in one loop the JIT vectorizes. */
    private static void scale(float[] v, int n, double f) {
        for (int i = 0; i < n; i++) {
            v[i] = (float) (f * v[i]);
        }
    }

    private static MappedAdapter open(Path dir, String name, ModelConfig base, Recipe recipe, List<MappedAdapter> opened) {
        MappedAdapter a = MappedAdapter.open(dir, name);
        opened.add(a);
        a.validateAgainst(base, recipe.baseModel());
        return a;
    }

    /** Adapter {@code a}'s term of module {@code k}, its weight recorded under its name. */
    private static Term term(MappedAdapter a, ModuleKey k, ModelConfig base, Recipe recipe, Map<String, Double> named) {
        double w = recipe.weight(a.name(), k.layer(), base.numLayers(), k.kind());
        named.put(a.name(), w);
        MappedAdapter.Module m = a.modules().get(k);
        return new Term(a, m, w * m.scale());
    }

    /** Scratch array {@code i}, grown to at least {@code n} elements. */
    private static float[] scratch(float[][] scratch, int i, int n) {
        if (scratch[i] == null || scratch[i].length < n) {
            scratch[i] = new float[Math.max(n, CHUNK)];
        }
        return scratch[i];
    }
}
