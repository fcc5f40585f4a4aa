package io.laem.app.core;

import io.laem.engine.infer.Decoder;
import io.laem.engine.infer.Generator;
import io.laem.engine.infer.Devices;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.infer.InferenceModel;
import io.laem.engine.infer.LoraBank;
import io.laem.engine.lora.LoraAdapter;
import io.laem.engine.merge.MergePlan;
import io.laem.engine.merge.MergePlanCache;
import io.laem.engine.merge.MergePlanner;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.optimize.BankCoefficients;
import io.laem.engine.merge.MergeWeights;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.ProgressListener;
import io.laem.engine.infer.ScoreData;
import io.laem.engine.infer.Scorer;
import io.laem.engine.route.MoaModel;
import io.laem.engine.route.RoutedModel;
import io.laem.engine.route.Router;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ArrayList;
import java.util.List;

/**
 * The base model loaded once with a LoRA bank holding every adapter as it is ({@code raw/NAME}) and
 * the current merge plan's entries ({@code laem/TASK}, {@code laem/shared}). Showing the base, one
 * adapter or the merge only changes bank coefficients. The decoder is not thread-safe: callers
 * hold {@link #lock()}.
 */
final class LiveModel implements AutoCloseable {
    static final String RAW = "raw";
    static final String MERGE = "laem";

    private final Path baseDir;
    private final InferenceModel model;
    private final Decoder decoder;
    private final HfTokenizer tokenizer;
    private final MergePlanCache plans = new MergePlanCache(4);
    private MergePlan.Key planKey;
    private List<String> planEntries = List.of();
    private final Object lock = new Object();
    private volatile boolean closed;
    private RoutedModel moa;
    private List<String> moaKey;

    private LiveModel(Path baseDir, InferenceModel model) {
        this.baseDir = baseDir;
        this.model = model;
        this.decoder = model.decoder();
        this.tokenizer = model.tokenizer();
    }

    /** The base model on a GPU when PyTorch sees one ({@code laem generate --device auto}), else the CPU. */
    static LiveModel open(Path baseDir) {
        Path dir = baseDir.toAbsolutePath().normalize();
        LiveModel m = new LiveModel(dir, InferenceModel.open(dir, Devices.resolve("auto")));
        // the analysis and merge plans use ND4J: start it now so that it cannot change PyTorch's threads mid-session
        io.laem.engine.infer.TorchThreads.startNd4j();
        return m;
    }

    Object lock() {
        return lock;
    }

    Path baseDir() {
        return baseDir;
    }

    Decoder decoder() {
        return decoder;
    }

    HfTokenizer tokenizer() {
        return tokenizer;
    }

    int numLayers() {
        return decoder.config().numLayers();
    }

    /** Puts every adapter of the session into the bank as it is (once each). */
    void syncAdapters(SessionData s) {
        LoraBank bank = decoder.bank();
        for (SessionData.AdapterRef a : s.adapters()) {
            String name = BankCoefficients.bankName(RAW, a.name());
            if (!bank.contains(name)) {
                LoraAdapter ad = LoraAdapter.load(a.dir(), a.name());
                ad.validateAgainst(decoder.config(), baseDir);
                bank.add(name, ad.modules().values());
            }
        }
    }

    /** Makes the bank hold the merge plan of the session's settings (planned once per setting, cached). */
    void syncPlan(Recipe r, ProgressListener progress, CancellationToken cancel) {
        MergePlan.Key key = MergePlan.Key.of(r);
        if (key.equals(planKey)) {
            return;
        }
        MergePlan plan = plans.get(key);
        if (plan == null) {
            plan = io.laem.engine.infer.TorchThreads.keep(() -> MergePlanner.plan(r, progress, cancel));
            plans.put(plan);
        }
        LoraBank bank = decoder.bank();
        for (String e : planEntries) {
            bank.remove(BankCoefficients.bankName(MERGE, e));
        }
        List<String> entries = new ArrayList<>();
        for (String t : plan.taskNames()) {
            bank.add(BankCoefficients.bankName(MERGE, t), plan.task(t).values());
            entries.add(t);
        }
        if (!plan.shared().isEmpty()) {
            bank.add(BankCoefficients.bankName(MERGE, Recipe.SHARED), plan.shared().values());
            entries.add(Recipe.SHARED);
        }
        planKey = key;
        planEntries = List.copyOf(entries);
    }

    /**
     * The MoA router over the session's adapters, trained once per set of tasks on their prompts
     * (each task's adapter is the adapter of the same name).
     */
    RoutedModel moa(SessionData s, ProgressListener progress, CancellationToken cancel) {
        List<String> key = s.tasks().stream().map(t -> t.name() + "=" + t.file()).toList();
        if (moa == null || !key.equals(moaKey)) {
            Map<String, List<Scorer.Example>> data = new LinkedHashMap<>();
            Map<String, Path> experts = new LinkedHashMap<>();
            Map<String, String> entries = new LinkedHashMap<>();
            for (SessionData.TaskRef t : s.tasks()) {
                data.put(t.name(), sample(ScoreData.readJsonl(routerData(t.file())), ROUTER_EXAMPLES));
                s.adapters().stream().filter(a -> a.name().equals(t.name())).findFirst().ifPresent(a -> {
                    experts.put(t.name(), a.dir());
                    entries.put(t.name(), BankCoefficients.bankName(RAW, a.name()));
                });
            }
            try {
                Path dir = Files.createTempDirectory("laem-router");
                Router r = MoaModel.train(model, data, experts, dir, progress, cancel);
                moa = new RoutedModel(decoder, tokenizer, r, entries);
                moaKey = key;
            } catch (IOException e) {
                throw new io.laem.engine.LaemException("cannot train the MoA router: " + e.getMessage());
            }
        }
        return moa;
    }

    /** Prompts per task the router trains on: enough to tell tasks apart, few enough to train in seconds. */
    static final int ROUTER_EXAMPLES = 200;

    /** At most {@code n} examples, evenly spread over the list. */
    static <T> List<T> sample(List<T> all, int n) {
        if (all.size() <= n) {
            return all;
        }
        List<T> out = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(all.get((int) ((long) i * all.size() / n)));
        }
        return out;
    }

    /** A task's training split next to its validation file (the demo kit's layout), else the file itself. */
    private static Path routerData(Path validation) {
        Path train = validation.resolveSibling(validation.getFileName().toString().replace("validation", "train"));
        return !train.equals(validation) && Files.isRegularFile(train) ? train : validation;
    }

    /** Coefficients for the base alone. */
    void showBase() {
        decoder.bank().zeroAll();
    }

    /** Coefficients for one adapter alone at weight 1. */
    void showAdapter(String name) {
        decoder.bank().zeroAll();
        decoder.bank().setAll(BankCoefficients.bankName(RAW, name), 1.0);
    }

    /** Coefficients for the merge with the recipe's weights (the plan must be synced). */
    void showMerge(Recipe r) {
        MergeWeights w = MergeWeights.fromRecipe(r, planEntries, numLayers());
        bankCoefficients().show(MERGE, w);
    }

    /** Coefficients for given merge weights over the plan's entries. */
    void showMerge(MergeWeights w) {
        bankCoefficients().show(MERGE, w);
    }

    MergePlan.Key planKey() {
        return planKey;
    }

    List<String> planEntries() {
        return planEntries;
    }

    BankCoefficients bankCoefficients() {
        return BankCoefficients.of(decoder.bank(), numLayers());
    }

    Generator generator() {
        return new Generator(decoder, tokenizer);
    }

    boolean isClosed() {
        return closed;
    }

    /** Throws when the model was closed (the window is closing) before the caller got the lock. */
    void checkOpen() {
        if (closed) {
            throw new java.util.concurrent.CancellationException("the model was closed");
        }
    }

    @Override
    public void close() {
        closed = true;
        model.close();
    }
}
