package io.laem.engine.demo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.eval.EncodedExample;
import io.laem.engine.eval.EvalReport;
import io.laem.engine.eval.Evaluator;
import io.laem.engine.infer.Scorer.Example;
import io.laem.engine.eval.TokenBatch;
import io.laem.engine.infer.CharTokenizer;
import io.laem.engine.infer.Decoder;
import io.laem.engine.infer.Djl;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.live.LiveMerge;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.RecipeYaml;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import io.laem.engine.infer.LoraBank;
import io.laem.engine.io.AtomicFiles;
import io.laem.engine.io.OutputTarget;
import io.laem.engine.io.DType;
import io.laem.engine.io.SafetensorsFile;
import io.laem.engine.io.SafetensorsWriter;
import io.laem.engine.lora.AdapterWriter;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ArchitectureTemplate;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.synth.AdapterSpec;
import io.laem.engine.synth.ModelSpec;
import io.laem.engine.synth.SyntheticModels;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Builds the demo kit: task data, a tiny Llama base trained on the general corpus, one rank-r LoRA
 * per task trained on that task with the base frozen (all with DJL autograd through the inference
 * engine's own {@link Decoder}), then a test-split evaluation of the base, each adapter and the
 * uniform average. The whole kit is written atomically. Deterministic for a seed and thread count.
 */
public final class DemoKitBuilder {
    /** Test-split reports by row name: base, each adapter, uniform average (and more rows added later). */
    public record Result(Map<String, EvalReport> rows, double seconds, double cpuSeconds, Map<String, Integer> adapterSteps) {}

    private final Map<String, Integer> adapterSteps = new LinkedHashMap<>();

    /** TIES' trim density in the results table. */
    public static final double TIES_DENSITY = 0.5;

    private final DemoKitSettings s;
    private final long seed;
    private final PrintWriter log;
    private final long start = System.nanoTime();

    public DemoKitBuilder(DemoKitSettings settings, long seed, PrintWriter log) {
        this.s = settings;
        this.seed = seed;
        this.log = log;
    }

    private Path reuseBase;

    /** Development shortcut: copy the trained base weights of an earlier kit instead of training (null: train). */
    public DemoKitBuilder reuseBase(Path kit) {
        this.reuseBase = kit;
        return this;
    }

    public Result build(Path out) {
        return build(OutputTarget.folder(out));
    }

    /** Builds the kit into a staged folder and moves it into place (see {@link OutputTarget}). */
    public Result build(OutputTarget out) {
        out = out.protecting(reuseBase);
        out.check();
        Result[] result = new Result[1];
        out.write(tmp -> result[0] = buildInto(tmp));
        return result[0];
    }

    private Result buildInto(Path kit) {
        // a fixed intra-op thread count: reductions split the same way on every run
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Djl.pytorch();
        JniUtils.setNumThreads(s.threads());
        Map<DemoTask, DemoData.Splits> data = new EnumMap<>(DemoTask.class);
        for (DemoTask t : DemoTask.values()) {
            data.put(t, DemoData.splits(t, seed, s.trainExamples(), s.validationExamples(), s.testExamples()));
        }
        DemoData.write(kit, data);
        Path baseDir = kit.resolve("base");
        ObjectNode cfgJson = SyntheticModels.configJson(s.model());
        ModelConfig cfg = ModelConfig.parse("demo base", cfgJson);
        AtomicFiles.writeString(baseDir.resolve("config.json"), cfgJson.toPrettyString());
        CharTokenizer.write(baseDir, DemoData.ALPHABET);
        ObjectNode tc = CharTokenizer.tokenizerConfigJson();
        tc.put("chat_template", DemoData.CHAT_TEMPLATE);
        AtomicFiles.writeString(baseDir.resolve("tokenizer_config.json"), tc.toPrettyString());
        log("data written; base model " + parameterCount(s.model()) + " parameters");

        Map<String, EvalReport> rows = new LinkedHashMap<>();
        try (NDManager nd = Djl.newManager();
             HfTokenizer tok = HfTokenizer.load(baseDir.resolve("tokenizer.json"), baseDir.resolve("tokenizer_config.json"))) {
            Map<String, NDArray> params = initialWeights(nd, cfg, new SplittableRandom(seed));
            try (Decoder decoder = Decoder.fromArrays(cfg, nd, params)) {
                if (reuseBase == null) {
                    trainBase(decoder, params, tok);
                } else {
                    loadBase(params, reuseBase.resolve("base").resolve("model.safetensors"));
                }
                writeBase(baseDir.resolve("model.safetensors"), params);
                params.values().forEach(p -> p.setRequiresGradient(false));
                LoraBank bank = decoder.bank();
                bank.zeroAll();
                for (DemoTask t : DemoTask.values()) {
                    List<LoraModule> modules = trainAdapter(decoder, t, data, tok);
                    AdapterWriter.write(kit.resolve("adapters").resolve(t.id()),
                            SyntheticModels.adapterConfigJson(AdapterSpec.allLinear(s.rank(), s.alpha()), "../../base", cfg), modules, DType.F32);
                    bank.add(t.id(), modules);
                }
                Evaluator ev = new Evaluator(decoder, tok);
                Map<String, List<Example>> test = new LinkedHashMap<>();
                data.forEach((t, sp) -> test.put(t.id(), sp.test()));
                bank.zeroAll();
                rows.put("base", ev.evaluate(test));
                log("base: " + summary(rows.get("base")));
                for (DemoTask t : DemoTask.values()) {
                    bank.zeroAll();
                    bank.setAll(t.id(), 1.0);
                    rows.put(t.id(), ev.evaluate(test));
                    log("adapter " + t.id() + ": " + summary(rows.get(t.id())));
                }
                bank.zeroAll();
                for (DemoTask t : DemoTask.values()) {
                    bank.setAll(t.id(), 1.0 / DemoTask.values().length);
                }
                rows.put("uniform", ev.evaluate(test));
                log("uniform average: " + summary(rows.get("uniform")));
                for (DemoTask t : DemoTask.values()) {
                    bank.setAll(t.id(), 1.0);
                }
                rows.put("sum", ev.evaluate(test));
                log("task arithmetic (weight 1 each): " + summary(rows.get("sum")));
            }
        }
        DemoKitFiles.writeRecipe(kit);
        rows.put("ties", evaluateTies(kit, data));
        log("TIES: " + summary(rows.get("ties")));
        Result r = new Result(rows, seconds(), cpuSeconds(), adapterSteps);
        DemoKitFiles.writeResults(kit, r, s, seed);
        return r;
    }

    /**
     * TIES through the merge engine's recipe path (as {@code laem eval --recipe}): trim each task
     * delta to its top half by magnitude, elect signs by total, disjoint mean, weight 1 each.
     */
    private EvalReport evaluateTies(Path kit, Map<DemoTask, DemoData.Splits> data) {
        Recipe base = RecipeYaml.read(kit.resolve("recipe.yaml"));
        Recipe ties = base.withRedundancy(new Recipe.Redundancy(Recipe.Redundancy.Strategy.TIES, TIES_DENSITY, 1.0,
                Recipe.Redundancy.Sign.TOTAL, seed));
        for (Recipe.AdapterRef a : base.adapters()) {
            ties = ties.withWeight(a.name(), Schedule.constant(1.0));
        }
        Map<String, List<Example>> test = new LinkedHashMap<>();
        data.forEach((t, sp) -> test.put(t.id(), sp.test()));
        try (LiveMerge live = LiveMerge.open(kit.resolve("base"), ai.djl.Device.cpu()); LiveMerge.Use m = live.use("demo kit")) {
            live.show(ties, ProgressListener.NONE, CancellationToken.NONE);
            return new Evaluator(m.decoder(), m.tokenizer()).evaluate(test);
        }
    }

    private void loadBase(Map<String, NDArray> params, Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            params.forEach((name, a) -> a.set(f.floats(name)));
        }
        log("base weights taken from " + file);
    }

    private void trainBase(Decoder decoder, Map<String, NDArray> params, HfTokenizer tok) {
        params.values().forEach(p -> p.setRequiresGradient(true));
        SplittableRandom rnd = new SplittableRandom(seed + 1);
        DemoKitSettings.Phase ph = s.base();
        long pad = tok.padId();
        float loss = Trainer.train(decoder, params,
                step -> TokenBatch.of(EncodedExample.of(tok, GeneralCorpus.samples(rnd, ph.batch())), pad, true),
                new Trainer.Settings(ph.steps(), ph.learningRate(), ph.weightDecay(), ph.warmup(), 1f), progress("base"), null);
        params.values().forEach(p -> p.setRequiresGradient(false));
        double copy = new Evaluator(decoder, tok).exactMatch(GeneralCorpus.samples(new SplittableRandom(seed + 2), 128));
        log(String.format("base trained: final loss %.4f, answers %.0f%% of held-out corpus examples exactly", loss, 100 * copy));
    }

    private List<LoraModule> trainAdapter(Decoder decoder, DemoTask task, Map<DemoTask, DemoData.Splits> data, HfTokenizer tok) {
        List<Example> train = data.get(task).train();
        List<Example> validation = data.get(task).validation();
        ModelConfig cfg = decoder.config();
        NDManager nd = decoder.manager();
        SplittableRandom rnd = new SplittableRandom(seed * 31 + 7 + task.ordinal());
        double scale = s.alpha() / s.rank();
        Map<ModuleKey, LoraBank.Factors> factors = new LinkedHashMap<>();
        Map<String, NDArray> trainable = new LinkedHashMap<>();
        for (ModuleKey key : ArchitectureTemplate.allModules(cfg)) {
            int in = key.kind().inFeatures(cfg);
            int out = key.kind().outFeatures(cfg);
            // PEFT's init: A ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform with a = sqrt(5)), B = 0
            float[] a = new float[s.rank() * in];
            double bound = 1 / Math.sqrt(in);
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((2 * rnd.nextDouble() - 1) * bound);
            }
            NDArray aa = nd.create(a, new Shape(s.rank(), in));
            NDArray bb = nd.zeros(new Shape(out, s.rank()));
            aa.setRequiresGradient(true);
            bb.setRequiresGradient(true);
            factors.put(key, new LoraBank.Factors(aa, bb, scale));
            trainable.put(key + ".A", aa);
            trainable.put(key + ".B", bb);
        }
        String entry = task.id() + ".training";
        LoraBank bank = decoder.bank();
        bank.zeroAll();
        bank.addArrays(entry, factors);
        bank.setAll(entry, 1.0);
        List<EncodedExample> enc = EncodedExample.of(tok, train);
        List<EncodedExample> keep = EncodedExample.of(tok, Retain.examples(task, data, new SplittableRandom(seed * 31 + 11 + task.ordinal()), RETAIN_POOL));
        // held-out corpus text the base answers right: the adapter must keep answering it
        List<Example> keepCheck = GeneralCorpus.samples(new SplittableRandom(seed * 31 + 19 + task.ordinal()), RETAIN_CHECK);
        bank.setAll(entry, 0.0);
        double baseKept = new Evaluator(decoder, tok).exactMatch(keepCheck);
        bank.setAll(entry, 1.0);
        DemoKitSettings.Phase ph = s.adapter();
        Shuffled own = new Shuffled(enc.size(), rnd);
        Shuffled kept = new Shuffled(keep.size(), rnd);
        long pad = tok.padId();
        float loss = Trainer.train(decoder, trainable, step -> {
            List<EncodedExample> b = new ArrayList<>(ph.batch() + s.retainBatch());
            for (int i = 0; i < ph.batch(); i++) {
                b.add(enc.get(own.at(step * ph.batch() + i)));
            }
            for (int i = 0; i < s.retainBatch(); i++) {
                b.add(keep.get(kept.at(step * s.retainBatch() + i)));
            }
            // retain rows carry no loss of their own, only the selectivity penalty
            return TokenBatch.of(b, pad, false).withoutLossFrom(ph.batch());
        }, new Trainer.Settings(ph.steps(), ph.learningRate(), ph.weightDecay(), ph.warmup(), 1f),
                progress(task.id()).andThen((step, steps, l) -> adapterSteps.put(task.id(), step)),
                step -> step % s.checkEvery() == 0 && validationDone(decoder, tok, task, validation, keepCheck, baseKept, step),
                new SelectivityPenalty(decoder, ph.batch(), pad, s.selectivity()));
        bank.remove(entry);
        List<LoraModule> modules = new ArrayList<>();
        for (Map.Entry<ModuleKey, LoraBank.Factors> e : factors.entrySet()) {
            ModuleKey key = e.getKey();
            modules.add(new LoraModule(key, s.rank(), key.kind().inFeatures(cfg), key.kind().outFeatures(cfg),
                    e.getValue().a().toFloatArray(), e.getValue().b().toFloatArray(), scale));
            e.getValue().a().close();
            e.getValue().b().close();
        }
        log(String.format("adapter %s trained: final loss %.4f", task.id(), loss));
        return modules;
    }

    /** Retain examples in each adapter's pool (drawn once, then reshuffled per epoch). */
    static final int RETAIN_POOL = 4096;
    /** Held-out general corpus examples checked with the validation split. */
    static final int RETAIN_CHECK = 64;
    /** With retain training, adapters train at least this many steps: selectivity takes longer than the task. */
    static final int RETAIN_MIN_STEPS = 400;

    /**
     * Exact match on the validation split every {@code checkEvery} steps: progress a user can read,
     * and an early stop once the adapter has its task (at most one validation example wrong) and,
     * with retain training, has trained {@link #RETAIN_MIN_STEPS}
     * steps (the selectivity penalty takes longer than the task). The share of held-out general corpus
     * examples still answered right is printed next to the base's.
     */
    private boolean validationDone(Decoder decoder, HfTokenizer tok, DemoTask task, List<Example> validation,
                                   List<Example> keepCheck, double baseKept, int step) {
        Evaluator ev = new Evaluator(decoder, tok);
        double em = ev.exactMatch(validation);
        boolean hasTask = em * validation.size() >= validation.size() - 1;
        if (s.retainBatch() == 0) {
            log(String.format("%s step %d: validation exact match %.1f%%", task.id(), step, 100 * em));
            return hasTask;
        }
        double kept = ev.exactMatch(keepCheck);
        log(String.format("%s step %d: validation exact match %.1f%%, general corpus answered %.1f%% (base %.1f%%)",
                task.id(), step, 100 * em, 100 * kept, 100 * baseKept));
        return hasTask && step >= RETAIN_MIN_STEPS;
    }

    /** Llama-style initialisation: N(0, 0.02) for matrices, the residual outputs scaled by 1/sqrt(2 layers), norms 1. */
    static Map<String, NDArray> initialWeights(NDManager nd, ModelConfig cfg, SplittableRandom rnd) {
        ArchitectureTemplate t = cfg.template();
        Map<String, NDArray> p = new LinkedHashMap<>();
        int h = cfg.hiddenSize();
        p.put(t.embedTokens(), normal(nd, rnd, 0.02, cfg.vocabSize(), h));
        for (int l = 0; l < cfg.numLayers(); l++) {
            for (ArchitectureTemplate.Norm norm : t.norms().keySet()) {
                p.put(t.norm(norm, l), nd.ones(new Shape(norm.perHead() ? cfg.headDim() : h)));
            }
            for (ModuleKind k : cfg.modules()) {
                double std = k == ModuleKind.O_PROJ || k == ModuleKind.DOWN_PROJ ? 0.02 / Math.sqrt(2.0 * cfg.numLayers()) : 0.02;
                p.put(t.weight(new ModuleKey(l, k)), normal(nd, rnd, std, k.outFeatures(cfg), k.inFeatures(cfg)));
            }
        }
        p.put(t.finalNorm(), nd.ones(new Shape(h)));
        if (!cfg.tieWordEmbeddings()) {
            p.put(t.lmHead(), normal(nd, rnd, 0.02, cfg.vocabSize(), h));
        }
        return p;
    }

    private static NDArray normal(NDManager nd, SplittableRandom rnd, double std, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            // Box-Muller from the seeded generator: the same numbers on every machine
            v[i] = (float) (std * Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble()));
        }
        return nd.create(v, new Shape(rows, cols));
    }

    private static void writeBase(Path file, Map<String, NDArray> params) {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        params.forEach((name, a) -> w.add(name, DType.F32, a.getShape().getShape(), a.toFloatArray()));
        w.write(file);
    }

    static long parameterCount(ModelSpec m) {
        long h = m.hiddenSize();
        long perLayer = 2 * h + h * (m.numHeads() * (long) m.headDim()) * 2 + 2 * h * (m.numKvHeads() * (long) m.headDim())
                + 3 * h * m.intermediateSize();
        return m.numLayers() * perLayer + h + (m.tieWordEmbeddings() ? 1 : 2) * (long) m.vocabSize() * h;
    }

    /** Epoch-wise shuffled indices 0..n-1: the k-th draw, reshuffled (from the seeded generator) after every epoch. */
    private static final class Shuffled {
        private final int[] p;
        private final SplittableRandom rnd;

        Shuffled(int n, SplittableRandom rnd) {
            this.p = new int[n];
            this.rnd = rnd;
            for (int i = 0; i < n; i++) {
                p[i] = i;
            }
            reshuffle();
        }

        int at(int k) {
            if (k % p.length == 0 && k > 0) {
                reshuffle();
            }
            return p[k % p.length];
        }

        private void reshuffle() {
            for (int i = p.length - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int x = p[i];
                p[i] = p[j];
                p[j] = x;
            }
        }
    }

    private Trainer.Progress progress(String what) {
        return (step, steps, loss) -> {
            if (step == steps || step % Math.max(1, steps / 10) == 0) {
                log(String.format("%s step %d/%d loss %.4f", what, step, steps, loss));
            }
        };
    }

    static String summary(EvalReport r) {
        StringBuilder sb = new StringBuilder();
        r.tasks().forEach((t, sc) -> sb.append(String.format("%s %.0f%% (nll %.3f)  ", t, 100 * sc.exactMatch(), sc.meanNll())));
        return sb.toString().trim();
    }

    /** CPU time of the whole process (all threads): less sensitive than wall time to a busy machine. */
    static double cpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
    }

    private double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    private void log(String msg) {
        if (log != null) {
            log.printf("[%6.1fs wall %6.1fs cpu] %s%n", seconds(), cpuSeconds(), msg);
            log.flush();
        }
    }

}
