package io.laem.engine.live;

import ai.djl.Device;
import ai.djl.pytorch.jni.JniUtils;
import io.laem.engine.LaemException;
import io.laem.engine.infer.Decoder;
import io.laem.engine.infer.Djl;
import io.laem.engine.infer.HfTokenizer;
import io.laem.engine.infer.InferenceModel;
import io.laem.engine.infer.LoraBank;
import io.laem.engine.infer.MemoryAvailable;
import io.laem.engine.infer.Scorer;
import io.laem.engine.infer.TorchThreads;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.merge.MergeInputs;
import io.laem.engine.merge.MergePlan;
import io.laem.engine.merge.MergePlanner;
import io.laem.engine.merge.MergeWeights;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.progress.CancellationToken;
import io.laem.engine.progress.CancelledException;
import io.laem.engine.progress.ProgressListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The live merge: one loaded base model, its LoRA bank, the merge plans held in the bank (cached per
 * redundancy/shared setting and set of adapters), the weights shown now, and the thread policy.
 * Everything that runs a merged model goes through one: {@code laem generate/score/eval}, {@code laem
 * optimize}, {@code laem route} and every view of the workbench.
 *
 * <p>Every plan's entries sit in the bank as {@code P/ENTRY} (P numbers the plan, ENTRY is a task
 * name or {@link Recipe#SHARED}); showing weights sets the coefficients of the shown plan's entries
 * from a {@link MergeWeights} and every other entry's to zero. Nothing is re-merged or reloaded: a
 * change of weights is a change of coefficients.
 *
 * <p>Lifetime and threads: the decoder runs one forward at a time and reads its tensors in place, so
 * all work happens inside a {@link Use} (exclusive, first come first served; a waiting caller is told
 * who holds the model and can cancel). {@link #close()} waits for the current use and then frees the
 * model; {@link #closeWhenIdle()} does the same without blocking the caller. While a use is open,
 * PyTorch's process-wide intra-op thread count is the policy's ({@code threads > 0}) and is put back when
 * it closes; merge planning (ND4J, which resets the OpenMP count it shares with PyTorch) keeps it too.
 */
public final class LiveMerge implements AutoCloseable {
    /** Plans kept in the bank by default: a few redundancy settings to switch between, plus the optimizer's baselines. */
    public static final int DEFAULT_PLANS = 8;

    private final InferenceModel model;
    private final int threads;
    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock(true);
    /** Plans in the bank by key, least recently used first, with their bank prefix. */
    private final Map<MergePlan.Key, Loaded> plans = new LinkedHashMap<>(16, 0.75f, true);
    private int nextPrefix = 1;
    private MergeInputs inputs;
    private Loaded shown;
    private MergeWeights weights;
    private volatile String holder;
    private volatile boolean closing;
    private boolean closed;
    private volatile boolean freed;
    /**
     * The decoder gradients go through: the model's own when PyTorch runs its forward (arrays), else a float32 copy of
     * the weights for PyTorch (the mapped CPU forward has no autograd), made on the first gradient of a use and freed
     * when that use ends ({@link #releaseGradientCopy()}).
     */
    private Decoder gradientDecoder;
    /** Float32 copies made so far (each use that needs one makes it again). */
    private int gradientCopies;

    private record Loaded(String prefix, MergePlan plan, List<String> entries) {}

    private LiveMerge(InferenceModel model, int threads, int capacity) {
        this.model = model;
        this.threads = threads;
        this.capacity = Math.max(1, capacity);
    }

    /**
     * Loads a base model.
     *
     * @param threads PyTorch intra-op threads while a use is open (0: leave the process's setting alone)
     * @param plans merge plans kept in the bank at once (least recently used go first)
     */
    public static LiveMerge open(Path baseDir, Device device, int threads, int plans) {
        Path dir = baseDir.toAbsolutePath().normalize();
        InferenceModel m = InferenceModel.open(dir, device);
        try {
            // merge plans use ND4J: started now, so that its start cannot change PyTorch's threads mid-session
            TorchThreads.startNd4j();
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        }
        return new LiveMerge(m, threads, plans);
    }

    public static LiveMerge open(Path baseDir, Device device) {
        return open(baseDir, device, 0, DEFAULT_PLANS);
    }

    /** The base model folder (absolute, normalized). */
    public Path baseDir() {
        return model.baseDir();
    }

    public ModelConfig config() {
        return model.config();
    }

    public int numLayers() {
        return model.config().numLayers();
    }

    /** True once closing was asked for: no new use is granted. */
    public boolean isClosed() {
        return closing;
    }

    /** True once the model's memory is freed (after the last use ended). */
    public boolean isFreed() {
        return freed;
    }

    // ---- use

    /**
     * Exclusive use of the model until the returned use is closed. Waits while another use is open,
     * telling {@code waiting} who holds the model (once), and gives up with {@link CancelledException}
     * when {@code cancel} is cancelled or the model is being closed. Re-entrant on the same thread.
     */
    public Use use(String purpose, CancellationToken cancel, Consumer<String> waiting) {
        return use(purpose, threads, cancel, waiting);
    }

    /**
     * As {@link #use(String, CancellationToken, Consumer)} with PyTorch's intra-op thread count set to
     * {@code threads} while it is open (0: the live merge's policy).
     */
    public Use use(String purpose, int threads, CancellationToken cancel, Consumer<String> waiting) {
        Objects.requireNonNull(purpose);
        boolean told = false;
        try {
            while (!lock.tryLock(50, TimeUnit.MILLISECONDS)) {
                cancel.check();
                if (closing) {
                    throw new CancelledException();
                }
                String h = holder;
                if (!told && h != null && waiting != null) {
                    waiting.accept("waiting for " + h + " to finish");
                    told = true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancelledException();
        }
        if (closed || closing && lock.getHoldCount() == 1) {
            lock.unlock();
            throw new CancelledException();
        }
        try {
            return new Use(purpose, threads > 0 ? threads : this.threads);
        } catch (RuntimeException | Error e) {
            lock.unlock();
            throw e;
        }
    }

    /** A use for code that neither waits visibly nor cancels (the command line). */
    public Use use(String purpose) {
        return use(purpose, CancellationToken.NONE, null);
    }

    /** Who holds the model now (its purpose), or null. */
    public String holder() {
        return holder;
    }

    /**
     * Exclusive use of the live merge: the model's decoder and tokenizer, the plans and the weights.
     * Closing it puts PyTorch's thread count back and lets the next user in.
     */
    public final class Use implements AutoCloseable {
        private final String previousHolder;
        private final int threadsBefore;
        private boolean open = true;

        private Use(String purpose, int threads) {
            previousHolder = holder;
            holder = purpose;
            int before = -1;
            if (threads > 0) {
                Djl.pytorch();
                before = JniUtils.getNumThreads();
                if (before != threads) {
                    JniUtils.setNumThreads(threads);
                }
            }
            threadsBefore = before;
        }

        public LiveMerge live() {
            return LiveMerge.this;
        }

        public Decoder decoder() {
            return model.decoder();
        }

        public HfTokenizer tokenizer() {
            return model.tokenizer();
        }

        @Override
        public void close() {
            if (!open) {
                return;
            }
            open = false;
            if (threadsBefore > 0 && JniUtils.getNumThreads() != threadsBefore) {
                JniUtils.setNumThreads(threadsBefore);
            }
            holder = previousHolder;
            boolean last = lock.getHoldCount() == 1;
            try {
                if (last) {
                    releaseGradientCopy();
                }
                if (last && closing && !closed) {
                    free();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private void requireUse() {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("the live merge is used outside a LiveMerge.Use");
        }
    }

    // ---- plans and weights

    /**
     * The merge plan of the recipe's redundancy/shared setting and adapters, planned once and held in
     * the bank (checked against this base model).
     */
    public MergePlan plan(Recipe recipe, ProgressListener progress, CancellationToken cancel) {
        return load(recipe, progress, cancel).plan();
    }

    /** A plan's bank entries: its tasks in recipe order, then the shared module when it has one. */
    public static List<String> entries(MergePlan p) {
        List<String> e = new ArrayList<>(p.taskNames());
        if (!p.shared().isEmpty()) {
            e.add(Recipe.SHARED);
        }
        return List.copyOf(e);
    }

    private Loaded load(Recipe recipe, ProgressListener progress, CancellationToken cancel) {
        requireUse();
        MergePlan.Key key = MergePlan.Key.of(recipe);
        Loaded l = plans.get(key);
        if (l != null) {
            return l;
        }
        Recipe onBase = onThisBase(recipe);
        MergeInputs in = inputs(onBase);
        MergePlan plan = TorchThreads.keep(() -> MergePlanner.plan(key, in, progress, cancel));
        if (plan.numLayers() != numLayers()) {
            throw new LaemException("recipe base model " + recipe.baseModel() + " has " + plan.numLayers() + " layers but "
                    + baseDir() + " has " + numLayers() + ": recipe for another base?");
        }
        return add(plan);
    }

    /** Puts a plan's entries into the bank (dropping the least recently used plans beyond capacity). */
    private Loaded add(MergePlan plan) {
        MergePlan.Key key = plan.key();
        while (plans.size() >= capacity) {
            Iterator<Map.Entry<MergePlan.Key, Loaded>> it = plans.entrySet().iterator();
            Loaded old = it.next().getValue();
            it.remove();
            unload(old);
        }
        String prefix = "p" + nextPrefix++;
        List<String> entries = entries(plan);
        LoraBank bank = model.decoder().bank();
        List<String> added = new ArrayList<>();
        try {
            for (String e : entries) {
                Collection<LoraModule> mods = (e.equals(Recipe.SHARED) ? plan.shared() : plan.task(e)).values();
                bank.add(prefix + "/" + e, mods);
                added.add(prefix + "/" + e);
            }
        } catch (RuntimeException ex) {
            added.forEach(bank::remove);
            throw ex;
        }
        Loaded l = new Loaded(prefix, plan, entries);
        plans.put(key, l);
        return l;
    }

    private void unload(Loaded l) {
        if (l == shown) {
            model.decoder().bank().zeroAll();
            shown = null;
            weights = null;
        }
        for (String e : l.entries()) {
            model.decoder().bank().remove(l.prefix() + "/" + e);
        }
    }

    /** The recipe with this model as its base: its adapters are then checked against what is loaded. */
    private Recipe onThisBase(Recipe r) {
        if (r.baseModel().toAbsolutePath().normalize().equals(baseDir())) {
            return r;
        }
        return new Recipe(baseDir(), r.adapters(), r.redundancy(), r.shared(), r.weights(), r.output(), r.tasks());
    }

    /** The adapters, read once per set of adapter folders (and shared adapter). */
    private MergeInputs inputs(Recipe r) {
        if (inputs == null || !sameInputs(inputs, r)) {
            inputs = MergeInputs.load(r);
        }
        return inputs;
    }

    private static boolean sameInputs(MergeInputs in, Recipe r) {
        if (in.adapters().size() != r.adapters().size()) {
            return false;
        }
        for (int i = 0; i < r.adapters().size(); i++) {
            var a = in.adapters().get(i);
            var ref = r.adapters().get(i);
            if (!a.name().equals(ref.name()) || !a.dir().toAbsolutePath().normalize().equals(ref.path().toAbsolutePath().normalize())) {
                return false;
            }
        }
        Path want = r.shared().mode() == Recipe.Shared.Mode.ADAPTER ? r.shared().path().toAbsolutePath().normalize() : null;
        Path have = in.sharedAdapter() == null ? null : in.sharedAdapter().dir().toAbsolutePath().normalize();
        return Objects.equals(want, have);
    }

    /** Shows a recipe: its plan with its weights (an entry it gives no weight has 1). */
    public void show(Recipe recipe, ProgressListener progress, CancellationToken cancel) {
        Loaded l = load(recipe, progress, cancel);
        show(l, MergeWeights.fromRecipe(recipe, l.entries(), numLayers()));
    }

    /** Shows the given weights on the plan of {@code planOf}'s setting (the weights' entries must be the plan's). */
    public void show(Recipe planOf, MergeWeights w) {
        show(load(planOf, ProgressListener.NONE, CancellationToken.NONE), w);
    }

    /** Shows new weights on the plan shown now. */
    public void show(MergeWeights w) {
        requireUse();
        if (shown == null) {
            throw new IllegalStateException("no merge plan is shown");
        }
        show(shown, w);
    }

    /** The base model alone: every coefficient zero. */
    public void showBase() {
        requireUse();
        model.decoder().bank().zeroAll();
        shown = null;
        weights = null;
    }

    /** The weights shown now (null: the base alone). */
    public MergeWeights weights() {
        return weights;
    }

    /** What the live merge shows: a plan and its weights, or the base alone (both null). */
    public record Shown(MergePlan plan, MergeWeights weights) {}

    /** What is shown now, for {@link #restore} after a detour (a comparison grid switching weights per column). */
    public Shown shown() {
        requireUse();
        return shown == null ? new Shown(null, null) : new Shown(shown.plan(), weights);
    }

    /** Shows again what {@link #shown()} returned; a plan dropped from the bank meanwhile is put back without re-planning. */
    public void restore(Shown s) {
        requireUse();
        if (s.plan() == null) {
            showBase();
            return;
        }
        Loaded l = plans.get(s.plan().key());
        show(l != null ? l : add(s.plan()), s.weights()); // same key: the same plan
    }

    /** The key of the plan shown now (null: the base alone). */
    public MergePlan.Key shownPlan() {
        return shown == null ? null : shown.plan().key();
    }

    private void show(Loaded l, MergeWeights w) {
        if (w.numLayers() != numLayers()) {
            throw new IllegalArgumentException("weights for " + w.numLayers() + " layers on a " + numLayers() + "-layer model");
        }
        if (!w.entries().equals(l.entries())) {
            throw new IllegalArgumentException("weights for entries " + w.entries() + " on a plan with " + l.entries());
        }
        LoraBank bank = model.decoder().bank();
        for (Loaded other : plans.values()) {
            if (other != l) {
                for (String e : other.entries()) {
                    bank.setAll(other.prefix() + "/" + e, 0);
                }
            }
        }
        for (int e = 0; e < l.entries().size(); e++) {
            String name = l.prefix() + "/" + l.entries().get(e);
            for (int layer = 0; layer < numLayers(); layer++) {
                for (ModuleKind k : ModuleKind.values()) {
                    bank.setCoefficient(name, new ModuleKey(layer, k), w.get(e, layer, k));
                }
            }
        }
        shown = l;
        weights = w;
    }

    /**
     * The weights {@code w} on the plan of {@code planOf}'s setting, differentiable: until the returned
     * object is closed, the bank applies each entry with factors {@code A_e} and {@code w[e, l, m] B_e}
     * (a new leaf array that requires a gradient) at coefficient 1, and every plan's own entries are
     * off. After a backward pass (in a {@code GradientCollector}), {@link Differentiable#gradient()} is
     * the gradient with respect to every weight, in the layout of {@code w}: {@code dL/dw[e, l, s] = sum over the
     * slot's modules (a group's, or one module) of <dL/d(w B_e), B_e>}. Closing it removes those entries; show weights again to score normally.
     * The backward pass needs PyTorch's forward: score through {@link Differentiable#scorer()}, whose decoder is the
     * model's own when it runs in PyTorch, and otherwise a float32 copy of the weights for PyTorch
     * ({@link #gradientDecoder()}).
     */
    public Differentiable differentiable(Recipe planOf, MergeWeights w) {
        return differentiable(planOf, w, true);
    }

    /**
     * As {@link #differentiable(Recipe, MergeWeights)}; with {@code gradient} false the factors need no gradient: the
     * weights on PyTorch's decoder for scoring and generation only (faster than the mapped CPU forward on tiny models).
     */
    public Differentiable differentiable(Recipe planOf, MergeWeights w, boolean gradient) {
        Loaded l = load(planOf, ProgressListener.NONE, CancellationToken.NONE);
        if (!w.entries().equals(l.entries()) || w.numLayers() != numLayers()) {
            throw new IllegalArgumentException("weights for entries " + w.entries() + " on a plan with " + l.entries());
        }
        showBase();
        return new Differentiable(l, w, gradientDecoder(), gradient);
    }

    /**
     * The decoder PyTorch's autograd can run: the model's own over arrays, or (mapped CPU forward) a float32 copy of the
     * weights read from the model's mapping ({@link Decoder#floatArrays()}), made now and kept until the outermost use
     * ends, so that a run (which holds one use throughout) keeps it and an idle session does not; its bank holds only
     * differentiable entries.
     */
    private Decoder gradientDecoder() {
        requireUse();
        if (gradientDecoder == null) {
            Decoder own = model.decoder();
            if (!own.parameters().isEmpty()) {
                gradientDecoder = own;
            } else {
                requireGradientFits("gradients", "");
                gradientDecoder = own.floatArrays();
                gradientCopies++;
            }
        }
        return gradientDecoder;
    }

    /**
     * Refuses, before any work, what needs gradients when the float32 copy they go through ({@link #gradientDecoder})
     * and a backward pass's activations would not fit the memory available now (an 8B model's copy is 32 GB: made on a
     * 24 GB machine it ends in the OOM killer, after the baselines' minutes): "{@code what}: PyTorch's autograd needs a
     * float32 copy ...; {@code instead}". Nothing to check when the model's own weights are arrays or a copy is held.
     */
    public void requireGradientFits(String what, String instead) {
        long copy = gradientDecoder != null ? 0 : model.decoder().floatArraysBytes();
        if (copy == 0) {
            return;
        }
        long need = copy + Scorer.BACKWARD_BYTES;
        long available = MemoryAvailable.bytes();
        if (need > available) {
            throw new LaemException(what + ": PyTorch's autograd needs a float32 copy of the model's weights ("
                    + MemoryAvailable.gb(copy) + ", and up to " + MemoryAvailable.gb(Scorer.BACKWARD_BYTES) + " of activations), but "
                    + MemoryAvailable.gb(available) + " of memory is available" + (instead.isEmpty() ? "" : "; " + instead));
        }
    }

    /** Frees the float32 copy (about 4 bytes per parameter) when there is one; the next gradient makes it again. */
    private void releaseGradientCopy() {
        if (holdsGradientCopy()) {
            gradientDecoder.close();
        }
        gradientDecoder = null;
    }

    /** Whether a float32 copy of the weights is held now (tests). */
    boolean holdsGradientCopy() {
        return gradientDecoder != null && gradientDecoder != model.decoder();
    }

    /** How many float32 copies were made so far (tests). */
    int gradientCopiesMade() {
        return gradientCopies;
    }

    /** Differentiable weights in the bank; see {@link #differentiable(Recipe, MergeWeights)}. */
    public final class Differentiable implements AutoCloseable {
        private static final String PREFIX = "grad/";
        private final Loaded plan;
        private final MergeWeights weights;
        private final Decoder decoder;
        private final ai.djl.ndarray.NDManager manager = model.decoder().manager().newSubManager();
        /** Per entry and module: the leaf (w B) and the plan's B. */
        private final List<Map<ModuleKey, ai.djl.ndarray.NDArray[]>> leaves = new ArrayList<>();

        private Differentiable(Loaded plan, MergeWeights weights, Decoder decoder, boolean gradient) {
            this.plan = plan;
            this.weights = weights;
            this.decoder = decoder;
            LoraBank bank = decoder.bank();
            try {
                for (int e = 0; e < plan.entries().size(); e++) {
                    Map<ModuleKey, LoraBank.Factors> factors = model.decoder().bank().factors(plan.prefix() + "/" + plan.entries().get(e));
                    Map<ModuleKey, LoraBank.Factors> scaled = new LinkedHashMap<>();
                    Map<ModuleKey, ai.djl.ndarray.NDArray[]> mine = new LinkedHashMap<>();
                    for (var f : factors.entrySet()) {
                        ModuleKey k = f.getKey();
                        ai.djl.ndarray.NDArray leaf = f.getValue().b().mul(weights.get(e, k.layer(), k.kind()));
                        ai.djl.ndarray.NDScope.unregister(leaf);
                        leaf.attach(manager);
                        leaf.setRequiresGradient(gradient);
                        scaled.put(k, new LoraBank.Factors(f.getValue().a(), leaf, f.getValue().scale()));
                        mine.put(k, new ai.djl.ndarray.NDArray[] {leaf, f.getValue().b()});
                    }
                    String name = PREFIX + plan.entries().get(e);
                    bank.addArrays(name, scaled);
                    bank.setAll(name, 1.0);
                    leaves.add(mine);
                }
            } catch (RuntimeException ex) {
                close();
                throw ex;
            }
        }

        /** The gradient with respect to every weight, from the gradients the last backward pass left on the leaves. */
        public MergeWeights gradient() {
            MergeWeights.Layout layout = weights.layout();
            double[][][] g = new double[plan.entries().size()][numLayers()][layout.slots()];
            for (int e = 0; e < leaves.size(); e++) {
                for (var m : leaves.get(e).entrySet()) {
                    ai.djl.ndarray.NDArray[] lb = m.getValue();
                    try (ai.djl.ndarray.NDManager tmp = manager.newSubManager()) {
                        ai.djl.ndarray.NDArray grad = lb[0].getGradient();
                        grad.attach(tmp);
                        ai.djl.ndarray.NDArray dot = grad.toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                                .mul(lb[1].toType(ai.djl.ndarray.types.DataType.FLOAT32, false)).sum();
                        dot.attach(tmp);
                        g[e][m.getKey().layer()][layout.slot(m.getKey().kind())] += dot.getFloat();
                    }
                }
            }
            return MergeWeights.ofSlots(layout, weights.entries(), numLayers(), (e, l, s) -> g[e][l][s]);
        }

        /** The decoder that applies these weights (PyTorch's: the model's own, or the float32 copy). */
        public Decoder decoder() {
            return decoder;
        }

        /** A scorer over the decoder the gradient goes through (prepared sets of the model's own scorer fit it). */
        public io.laem.engine.infer.Scorer scorer() {
            return new io.laem.engine.infer.Scorer(decoder, model.tokenizer());
        }

        @Override
        public void close() {
            // a float32 copy freed with its use took these entries with it
            if (decoder == model.decoder() || decoder == gradientDecoder) {
                LoraBank bank = decoder.bank();
                for (String e : plan.entries()) {
                    if (bank.contains(PREFIX + e)) {
                        bank.remove(PREFIX + e);
                    }
                }
            }
            manager.close();
        }
    }

    /**
     * The merged delta of one module as the bank applies it now, {@code sum_e c_e s_e B_e A_e}
     * ([out, in], row-major), for checks against {@code laem merge}; null when no entry is active there.
     */
    public float[] delta(ModuleKey key) {
        requireUse();
        if (shown == null) {
            return null;
        }
        LoraBank bank = model.decoder().bank();
        float[] out = null;
        for (String e : shown.entries()) {
            String name = shown.prefix() + "/" + e;
            LoraBank.Factors f = bank.factors(name).get(key);
            double c = bank.coefficient(name, key);
            if (f == null || c == 0) {
                continue;
            }
            float[] a = floats(f.a());
            float[] b = floats(f.b());
            int r = (int) f.a().getShape().get(0);
            int in = (int) f.a().getShape().get(1);
            int o = (int) f.b().getShape().get(0);
            if (out == null) {
                out = new float[o * in];
            }
            double s = c * f.scale();
            for (int i = 0; i < o; i++) {
                for (int j = 0; j < in; j++) {
                    double sum = 0;
                    for (int k = 0; k < r; k++) {
                        sum += (double) b[i * r + k] * a[k * in + j];
                    }
                    out[i * in + j] += (float) (s * sum);
                }
            }
        }
        return out;
    }

    private static float[] floats(ai.djl.ndarray.NDArray x) {
        if (x.getDataType() == ai.djl.ndarray.types.DataType.FLOAT32) {
            return x.toFloatArray();
        }
        try (ai.djl.ndarray.NDArray f = x.toType(ai.djl.ndarray.types.DataType.FLOAT32, true)) {
            return f.toFloatArray();
        }
    }

    // ---- lifetime

    /** Frees the model once no use is open, without waiting (a window closing, another base opened). */
    public void closeWhenIdle() {
        closing = true;
        if (lock.tryLock()) {
            try {
                if (!closed) {
                    free();
                }
            } finally {
                lock.unlock();
            }
        }
        // else: the open use frees it when it closes
    }

    /** Waits for the open use (if any) to finish, then frees the model. */
    @Override
    public void close() {
        closing = true;
        lock.lock();
        try {
            if (!closed) {
                free();
            }
        } finally {
            lock.unlock();
        }
    }

    private void free() {
        closed = true;
        closing = true;
        plans.clear();
        shown = null;
        weights = null;
        inputs = null;
        releaseGradientCopy();
        model.close();
        freed = true;
    }
}
