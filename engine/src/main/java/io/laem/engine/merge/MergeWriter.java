package io.laem.engine.merge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.LaemException;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.io.DType;
import io.laem.engine.io.FloatCodec;
import io.laem.engine.io.Json;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.io.OutputTransaction;
import io.laem.engine.io.SafetensorsWriter;
import io.laem.engine.io.TensorInfo;
import io.laem.engine.lora.AdapterWriter;
import io.laem.engine.lora.LoraConfig;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.linalg.LowRank;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.model.HfModel;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.WeightStore;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a merge: the PEFT adapter folder (adapter_config.json whose r/lora_alpha/rank_pattern/
 * alpha_pattern reproduce each module's factors with scale 1, adapter_model.safetensors) plus
 * merge-report.json; or a full HF model folder, base + delta, sharded like the input and streamed
 * one tensor at a time. Both go through {@link OutputTarget} (never over an input or a folder laem did
 * not write) and, written together, are both in place or neither; the inputs are only read.
 */
public final class MergeWriter {
    public static final String REPORT = "merge-report.json";

    private MergeWriter() {}

    public static void writeAdapter(Path dir, MergedAdapter merged, Recipe recipe, DType dtype) {
        writeAdapter(OutputTarget.folder(dir), merged, recipe, dtype, null);
    }

    public static void writeAdapter(Path dir, MergedAdapter merged, Recipe recipe, DType dtype, String method) {
        writeAdapter(OutputTarget.folder(dir), merged, recipe, dtype, method);
    }

    /** Writes the adapter folder, naming the baseline method that produced the merge (null: the recipe's LAEM merge). */
    public static void writeAdapter(OutputTarget out, MergedAdapter merged, Recipe recipe, DType dtype, String method) {
        out.write(adapterFiles(out, merged, recipe, dtype, method));
    }

    /**
     * Writes the adapter to {@code adapter} and, when {@code fullModel} is not null, base + delta there:
     * both or neither ({@link OutputTransaction}). Both targets are checked before anything is written.
     */
    public static void writeAll(OutputTarget adapter, OutputTarget fullModel, MergedAdapter merged, Recipe recipe, DType dtype,
                                String method, ProgressListener progress, CancellationToken cancel) {
        OutputTransaction.check(adapter, fullModel);
        try (OutputTransaction tx = new OutputTransaction()) {
            tx.write(adapter, adapterFiles(adapter, merged, recipe, dtype, method));
            if (fullModel != null) {
                writeFullModel(tx, recipe.baseModel(), merged, fullModel, progress, cancel);
            }
            tx.commit();
        }
    }

    /** What fills the adapter folder: adapter_config.json, the weights, merge-report.json. */
    public static AtomicFiles.Writer adapterFiles(OutputTarget out, MergedAdapter merged, Recipe recipe, DType dtype, String method) {
        ObjectNode config = AdapterWriter.configFor(merged.modules().values(), recipe.baseModel().toString());
        return adapterFiles(out, config, AdapterWriter.weightsWriter(merged.modules().values(), dtype), merged.summary(), recipe, method);
    }

    /**
     * What fills the adapter folder, from its config, its weights (tensors added in module order, lora_A
     * then lora_B; produced while the file is written) and the report's summary.
     */
    static AtomicFiles.Writer adapterFiles(OutputTarget out, ObjectNode config, SafetensorsWriter weights, MergeSummary summary,
                                           Recipe recipe, String method) {
        if (summary.report().isEmpty()) {
            throw new LaemException(out + ": nothing to write: every module of the merge is empty");
        }
        ObjectNode reportJson = report(summary, recipe);
        if (method != null) {
            reportJson.put("method", method);
        }
        String report = reportJson.toPrettyString();
        return tmp -> {
            AdapterWriter.writeInto(tmp, config, weights);
            Files.writeString(tmp.resolve(REPORT), report);
        };
    }

    /**
     * The merge report: settings; the lowest retained energy through the whole pipeline, of the plan
     * and of the output step, and the one-line warning (null when none); per module rank, retained
     * energies, weights and the plan's energies.
     */
    public static ObjectNode report(MergeSummary merged, Recipe recipe) {
        ObjectNode root = Json.JSON.createObjectNode();
        root.put("base_model", recipe.baseModel().toString());
        var ad = root.putArray("adapters");
        recipe.adapters().forEach(a -> ad.addObject().put("name", a.name()).put("path", a.path().toString()));
        root.put("redundancy", recipe.redundancy().strategy().key());
        root.put("shared", recipe.shared().mode().key());
        root.put("output_rank", recipe.output().exact() ? "exact" : Integer.toString(recipe.output().rank()));
        root.put("modules", merged.report().size());
        // whole pipeline (plan and output) against the recipe's formula; then each step alone
        root.put("min_retained_energy", merged.minRetainedEnergy());
        root.put("min_plan_retained_energy", merged.minPlanEnergy());
        root.put("min_output_retained_energy", merged.minOutputEnergy());
        root.put("loss_warning_threshold", MergeSummary.LOSS_WARNING);
        root.put("warning", merged.warning().orElse(null));
        ObjectNode mods = root.putObject("per_module");
        merged.report().forEach((k, r) -> {
            ObjectNode o = mods.putObject(LoraConfig.moduleName(k));
            o.put("rank", r.rank());
            o.put("terms_rank", r.termsRank());
            o.put("retained_energy", r.retainedEnergy());
            o.put("output_retained_energy", r.outputEnergy());
            ObjectNode w = o.putObject("weights");
            r.weights().forEach(w::put);
            if (!r.planEnergy().isEmpty()) {
                ObjectNode e = o.putObject("plan_retained_energy");
                r.planEnergy().forEach(e::put);
            }
        });
        return root;
    }

    /**
     * Writes base + merged delta as a full model folder: every weight tensor of a merged module gets
     * {@code W + B A} (computed in float32, stored in the tensor's dtype), every other tensor is copied
     * byte for byte, into the same shard files; config, tokenizer and other files are copied.
     */
    public static void writeFullModel(Path baseDir, MergedAdapter merged, Path outDir, ProgressListener progress,
                                      CancellationToken cancel) {
        writeFullModel(baseDir, merged, OutputTarget.folder(outDir), progress, cancel);
    }

    /** As above, to a checked output target. */
    public static void writeFullModel(Path baseDir, MergedAdapter merged, OutputTarget out, ProgressListener progress,
                                      CancellationToken cancel) {
        try (OutputTransaction tx = new OutputTransaction()) {
            writeFullModel(tx, baseDir, merged, out, progress, cancel);
            tx.commit();
        }
    }

    /** As above, staged in {@code tx} (moved into place by its commit). */
    public static void writeFullModel(OutputTransaction tx, Path baseDir, MergedAdapter merged, OutputTarget out,
                                      ProgressListener progress, CancellationToken cancel) {
        out = out.protecting(baseDir);
        try (HfModel model = HfModel.open(baseDir)) {
            WeightStore store = model.weights();
            Map<String, ModuleKey> deltas = new HashMap<>();
            for (ModuleKey k : merged.modules().keySet()) {
                deltas.put(model.config().template().weight(k), k);
            }
            Map<String, List<String>> byShard = new LinkedHashMap<>();
            store.shardOf().forEach((t, shard) -> byShard.computeIfAbsent(shard, s -> new java.util.ArrayList<>()).add(t));
            long total = store.names().size();
            tx.write(out, tmp -> {
                copyOtherFiles(baseDir, tmp);
                long[] done = {0};
                for (Map.Entry<String, List<String>> shard : byShard.entrySet()) {
                    SafetensorsWriter w = new SafetensorsWriter().metadata(store.metadataOfFirstShard());
                    for (String name : shard.getValue()) {
                        TensorInfo info = store.info(name);
                        ModuleKey k = deltas.get(name);
                        long bytes = info.end() - info.begin();
                        w.addStream(name, info.dtype(), info.shape(), bytes, ch -> {
                            cancel.check();
                            progress.progress(done[0]++, total, "writing " + name);
                            if (k == null) {
                                SafetensorsWriter.writeFully(ch, store.bytes(name).asByteBuffer());
                            } else {
                                SafetensorsWriter.writeFully(ch, ByteBuffer.wrap(addDelta(store, name, info, merged.modules().get(k))));
                            }
                        });
                    }
                    w.writeDirect(tmp.resolve(shard.getKey()));
                }
                progress.progress(total, total, "written");
            });
        }
    }

    private static byte[] addDelta(WeightStore store, String name, TensorInfo info, LoraModule m) {
        return FloatCodec.encode(info.dtype(), mergedWeight(store, name, m));
    }

    /** Base weight {@code name} plus the module's delta {@code B A}, in float32 ([out, in], row-major). */
    public static float[] mergedWeight(WeightStore store, String name, LoraModule m) {
        TensorInfo info = store.info(name);
        if (info.rank() != 2 || info.dim(0) != m.out() || info.dim(1) != m.in()) {
            throw new LaemException("base weight '" + name + "' has shape " + info.shapeString() + ", the merged module is ["
                    + m.out() + ", " + m.in() + "]");
        }
        float[] w = store.floats(name);
        float[] d = LowRank.denseDelta(m);
        for (int i = 0; i < w.length; i++) {
            w[i] += d[i];
        }
        return w;
    }

    private static void copyOtherFiles(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                String n = p.getFileName().toString();
                if ((!n.endsWith(".safetensors") || n.equals(WeightStore.INDEX)) && !n.equals(OutputTarget.MARKER)) {
                    Files.copy(p, to.resolve(n));
                }
            }
        }
    }
}
