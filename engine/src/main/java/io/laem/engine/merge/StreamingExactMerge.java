package io.laem.engine.merge;

import io.laem.engine.io.DType;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.io.SafetensorsWriter;
import io.laem.engine.lora.AdapterWriter;
import io.laem.engine.lora.LoraConfig;
import io.laem.engine.lora.MappedAdapter;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
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
 * by chunk while the file is written ({@link ConcatenatedModule}), so no factor is decoded to the heap
 * and nothing is concatenated in memory. {@link #open} lays the merge out for any writer (the GGUF
 * LoRA export streams from it too); {@link #run} writes the PEFT adapter folder. The bytes of every
 * file are those of {@link MergePlanner} + {@link PlanMerger} + {@link MergeWriter} (the same float32
 * arithmetic and encoding, the same report); the finite check of every input element runs in the same
 * pass, and any failure leaves no output.
 */
public final class StreamingExactMerge implements AutoCloseable {
    private final List<MappedAdapter> opened;
    private final SortedMap<ModuleKey, ConcatenatedModule> modules;
    private final MergeSummary summary;

    private StreamingExactMerge(List<MappedAdapter> opened, SortedMap<ModuleKey, ConcatenatedModule> modules, MergeSummary summary) {
        this.opened = opened;
        this.modules = Collections.unmodifiableSortedMap(modules);
        this.summary = summary;
    }

    /** Whether {@link #run} can write this recipe's merge. */
    public static boolean applies(Recipe r) {
        return r.redundancy().strategy() == Recipe.Redundancy.Strategy.NONE && r.shared().mode() != Recipe.Shared.Mode.CONSENSUS
                && r.output().exact();
    }

    /**
     * Opens the recipe's adapters (mapped, checked against the base) and lays out its merge: per module
     * the terms (the shared adapter's first, then the tasks' in recipe order) and the report. Close it to
     * unmap the inputs; the modules read from them until then.
     */
    public static StreamingExactMerge open(Recipe recipe) {
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
            SortedMap<ModuleKey, ConcatenatedModule> modules = new TreeMap<>();
            SortedMap<ModuleKey, MergedAdapter.ModuleReport> report = new TreeMap<>();
            for (ModuleKey k : keys) {
                List<ConcatenatedModule.Term> terms = new ArrayList<>();
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
                MappedAdapter.Module first = ((ConcatenatedModule.Mapped) terms.getFirst()).module();
                int rank = terms.stream().mapToInt(ConcatenatedModule.Term::rank).sum();
                modules.put(k, new ConcatenatedModule(k, rank, first.in(), first.out(), 1.0, terms));
                report.put(k, new MergedAdapter.ModuleReport(rank, rank, 1.0, 1.0, named, planEnergy));
            }
            return new StreamingExactMerge(opened, modules, new MergeSummary(report));
        } catch (RuntimeException e) {
            opened.forEach(MappedAdapter::close);
            throw e;
        }
    }

    /** The merge's modules in key order, each with scale 1 (every weight and scale is in its B'). */
    public SortedMap<ModuleKey, ConcatenatedModule> modules() {
        return modules;
    }

    /** The merge report (exact: every module keeps its whole energy). */
    public MergeSummary summary() {
        return summary;
    }

    @Override
    public void close() {
        opened.forEach(MappedAdapter::close);
    }

    /** Merges and writes the adapter folder {@code out} atomically; see the class comment. */
    public static MergeSummary run(Recipe recipe, Path out, ProgressListener progress, CancellationToken cancel) {
        return run(recipe, OutputTarget.folder(out).protecting(recipe.inputs()), progress, cancel);
    }

    /** As above, to a checked output target. */
    public static MergeSummary run(Recipe recipe, OutputTarget out, ProgressListener progress, CancellationToken cancel) {
        try (StreamingExactMerge merge = open(recipe)) {
            SafetensorsWriter weights = AdapterWriter.weightsWriter();
            DType dtype = recipe.output().dtype();
            int total = merge.modules.size();
            int[] ranks = new int[total];
            ConcatenatedModule.Scratch scratch = new ConcatenatedModule.Scratch();
            long done = 0;
            for (ConcatenatedModule m : merge.modules.values()) {
                ranks[(int) done] = m.rank();
                String name = LoraConfig.moduleName(m.key());
                long index = done++;
                weights.addProduced(AdapterWriter.keyA(name), dtype, new long[] {m.rank(), m.in()}, sink -> {
                    cancel.check();
                    progress.progress(index, total, "writing " + m.key());
                    m.writeA(dtype, scratch, sink);
                });
                weights.addProduced(AdapterWriter.keyB(name), dtype, new long[] {m.out(), m.rank()}, sink -> m.writeB(scratch, sink));
            }
            double[] scales = new double[ranks.length];
            Arrays.fill(scales, 1.0);
            var config = AdapterWriter.configFor(List.copyOf(merge.modules.keySet()), ranks, scales, recipe.baseModel().toString());
            out.write(MergeWriter.adapterFiles(out, config, weights, merge.summary, recipe, null));
            progress.progress(total, total, "written");
            return merge.summary;
        }
    }

    private static MappedAdapter open(Path dir, String name, ModelConfig base, Recipe recipe, List<MappedAdapter> opened) {
        MappedAdapter a = MappedAdapter.open(dir, name);
        opened.add(a);
        a.validateAgainst(base, recipe.baseModel());
        return a;
    }

    /** Adapter {@code a}'s term of module {@code k}, its weight recorded under its name. */
    private static ConcatenatedModule.Term term(MappedAdapter a, ModuleKey k, ModelConfig base, Recipe recipe, Map<String, Double> named) {
        double w = recipe.weight(a.name(), k.layer(), base.numLayers(), k.kind());
        named.put(a.name(), w);
        MappedAdapter.Module m = a.modules().get(k);
        return new ConcatenatedModule.Mapped(a, m, w * m.scale());
    }
}
