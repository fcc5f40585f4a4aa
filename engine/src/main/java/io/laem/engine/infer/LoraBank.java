package io.laem.engine.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.laem.engine.LaemException;
import io.laem.engine.infer.cpu.CpuMatmul;
import io.laem.engine.infer.cpu.ProjectionModule;
import io.laem.engine.lora.LoraModule;
import io.laem.engine.model.ModelConfig;
import io.laem.engine.model.ModuleKey;
import io.laem.engine.model.ModuleKind;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Any number of LoRA entries held as factors, applied unmerged inside the decoder's linear layers:
 * {@code y = x W^T (+ b) + sum_e c[l, m, e] * s_e * (x A_e^T) B_e^T}. Coefficients default to 0
 * (an entry added is inert until given weight) and can change between forward calls without
 * reloading; with every coefficient of a module at zero the module is exactly the base linear layer.
 *
 * <p>For speed the active entries of a module are packed once ({@code A} stacked to [sum r, in],
 * {@code B} to [out, sum r], a [sum r] vector of {@code c * s}), so a module costs two thin matmuls
 * however many entries are active. Entries whose factors require gradients (training) are never
 * cached, so the graph reaches them on every call. Not thread-safe: one forward at a time.
 */
public final class LoraBank implements AutoCloseable {
    /** One module's factors: {@code a} [r, in], {@code b} [out, r], {@code scale} alpha/r (or rsLoRA). */
    public record Factors(NDArray a, NDArray b, double scale) {}

    /**
     * The active entries of one module stacked: a [R, in], b [out, R], one coefficient per rank row.
     * Cached packs also carry float32 copies of a and b in that layout and the coefficients for the
     * CPU kernels (null when they cannot read them, and for packs rebuilt per call for training).
     */
    record Packed(NDArray a, NDArray b, NDArray coef, boolean owned, MemorySegment aBytes, MemorySegment bBytes, float[] coefs) {
        int rank() {
            return coefs != null ? coefs.length : Math.toIntExact(a.getShape().get(0));
        }
    }

    private final ModelConfig config;
    private final NDManager manager;
    private final Map<String, Map<ModuleKey, Factors>> entries = new LinkedHashMap<>();
    private final Map<String, double[][]> coefficients = new HashMap<>();
    private final Map<ModuleKey, Packed> packed = new HashMap<>();
    private final Map<ModuleKey, Boolean> empty = new HashMap<>();

    private final ai.djl.ndarray.types.DataType dataType;

    /** Packs only what the CPU kernels read (no concatenated arrays): set for a decoder whose forward is {@link CpuForward}. */
    private final boolean hostOnly;

    LoraBank(ModelConfig config, NDManager manager, ai.djl.ndarray.types.DataType dataType) {
        this(config, manager, dataType, false);
    }

    LoraBank(ModelConfig config, NDManager manager, ai.djl.ndarray.types.DataType dataType, boolean hostOnly) {
        this.config = config;
        this.manager = manager;
        this.dataType = dataType;
        this.hostOnly = hostOnly;
    }

    /** Adds an entry from float factors (an adapter's {@code modules().values()}, a merge's shared module...). */
    public void add(String name, Collection<LoraModule> modules) {
        Map<ModuleKey, Factors> f = new HashMap<>();
        for (LoraModule m : modules) {
            check(name, m.key(), m.rank(), m.in(), m.out());
            NDArray a = manager.create(m.a(), new Shape(m.rank(), m.in())).toType(dataType, false);
            NDArray b = manager.create(m.b(), new Shape(m.out(), m.rank())).toType(dataType, false);
            NDScope.unregister(a, b);
            f.put(m.key(), new Factors(a, b, m.scale()));
        }
        put(name, f, true);
    }

    /**
     * Adds an entry over existing arrays (e.g. factors being trained with {@code setRequiresGradient(true)}).
     * The bank does not take ownership: closing the bank leaves these arrays alone.
     */
    public void addArrays(String name, Map<ModuleKey, Factors> factors) {
        for (Map.Entry<ModuleKey, Factors> e : factors.entrySet()) {
            Shape sa = e.getValue().a().getShape();
            Shape sb = e.getValue().b().getShape();
            if (sa.dimension() != 2 || sb.dimension() != 2 || sb.get(1) != sa.get(0)) {
                throw new LaemException("LoRA entry '" + name + "': module " + e.getKey() + " has factors " + sa + " and " + sb
                        + ", expected [r, in] and [out, r]");
            }
            check(name, e.getKey(), (int) sa.get(0), (int) sa.get(1), (int) sb.get(0));
        }
        put(name, new HashMap<>(factors), false);
    }

    private void check(String name, ModuleKey key, int rank, int in, int out) {
        if (key.layer() < 0 || key.layer() >= config.numLayers()) {
            throw new LaemException("LoRA entry '" + name + "': module " + key + " is past the model's " + config.numLayers() + " layers");
        }
        if (!config.modules().contains(key.kind())) {
            throw new LaemException("LoRA entry '" + name + "': module " + key + " is not a module of " + config.template().family()
                    + " models (" + config.template().moduleNames() + "): adapter for another model family?");
        }
        int ein = key.kind().inFeatures(config);
        int eout = key.kind().outFeatures(config);
        if (in != ein || out != eout || rank <= 0) {
            throw new LaemException("LoRA entry '" + name + "': module " + key + " is [" + out + " x " + in + "] with rank " + rank
                    + ", the model has [" + eout + " x " + ein + "]");
        }
    }

    private final Map<String, Boolean> ownsArrays = new HashMap<>();

    private void put(String name, Map<ModuleKey, Factors> f, boolean owned) {
        if (entries.containsKey(name)) {
            throw new LaemException("LoRA bank already has an entry named '" + name + "'");
        }
        entries.put(name, f);
        ownsArrays.put(name, owned);
        coefficients.put(name, new double[config.numLayers()][ModuleKind.values().length]);
        invalidate(f.keySet());
    }

    /** Removes an entry and frees its arrays (when the bank created them). */
    public void remove(String name) {
        Map<ModuleKey, Factors> f = entries.remove(name);
        if (f == null) {
            throw new LaemException("LoRA bank has no entry named '" + name + "'");
        }
        coefficients.remove(name);
        invalidate(f.keySet());
        if (ownsArrays.remove(name)) {
            f.values().forEach(x -> {
                x.a().close();
                x.b().close();
            });
        }
    }

    public List<String> names() {
        return new ArrayList<>(entries.keySet());
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** The modules an entry has factors for. */
    public Map<ModuleKey, Factors> factors(String name) {
        return java.util.Collections.unmodifiableMap(entry(name));
    }

    private Map<ModuleKey, Factors> entry(String name) {
        Map<ModuleKey, Factors> f = entries.get(name);
        if (f == null) {
            throw new LaemException("LoRA bank has no entry named '" + name + "'");
        }
        return f;
    }

    /** Sets c[layer, kind, entry]. */
    public void setCoefficient(String name, ModuleKey key, double c) {
        entry(name);
        double[][] cs = coefficients.get(name);
        double old = cs[key.layer()][key.kind().ordinal()];
        if (old != c) {
            cs[key.layer()][key.kind().ordinal()] = c;
            if (old == 0 || c == 0 || !refreshCoefficients(key)) {
                invalidate(List.of(key));
            }
        }
    }

    /**
     * Rewrites a CPU pack's coefficients in place when only their values changed (the same entries active): a new
     * weight for a module costs its rank floats, not a repack of its factors (a 0.6B model's four rank-16 adapters are
     * 154 MB of factors; the optimizer, the router and the Weights view change weights between forward calls). False
     * when the module's pack is one that must be rebuilt (PyTorch's arrays hold the coefficients too).
     */
    private boolean refreshCoefficients(ModuleKey key) {
        Packed p = packed.get(key);
        if (p == null) {
            return true;
        }
        if (p.a() != null) {
            return false;
        }
        float[] cv = active(key).coefs();
        System.arraycopy(cv, 0, p.coefs(), 0, cv.length);
        return true;
    }

    /** Sets the coefficient of every module of one layer. */
    public void setLayerCoefficient(String name, int layer, double c) {
        for (ModuleKind k : config.modules()) {
            setCoefficient(name, new ModuleKey(layer, k), c);
        }
    }

    /** One coefficient per layer (length = number of layers), for every module of the layer. */
    public void setLayerCoefficients(String name, double[] perLayer) {
        if (perLayer.length != config.numLayers()) {
            throw new LaemException("LoRA entry '" + name + "': " + perLayer.length + " layer weights for a model with "
                    + config.numLayers() + " layers");
        }
        for (int l = 0; l < perLayer.length; l++) {
            setLayerCoefficient(name, l, perLayer[l]);
        }
    }

    /** The same coefficient on every module of every layer. */
    public void setAll(String name, double c) {
        for (int l = 0; l < config.numLayers(); l++) {
            setLayerCoefficient(name, l, c);
        }
    }

    /** Every coefficient of every entry to zero: the base model. */
    public void zeroAll() {
        for (String n : entries.keySet()) {
            setAll(n, 0);
        }
    }

    public double coefficient(String name, ModuleKey key) {
        entry(name);
        return coefficients.get(name)[key.layer()][key.kind().ordinal()];
    }

    private void invalidate(Collection<ModuleKey> keys) {
        for (ModuleKey k : keys) {
            Packed p = packed.remove(k);
            if (p != null && p.owned() && p.a() != null) {
                p.a().close();
                p.b().close();
                p.coef().close();
            }
            empty.remove(k);
        }
    }

    /** The active entries of a module, or null when none has a non-zero coefficient there. */
    Packed packed(ModuleKey key) {
        if (empty.containsKey(key)) {
            return null;
        }
        Packed p = packed.get(key);
        if (p != null) {
            return p;
        }
        Active active = active(key);
        List<NDArray> as = active.as();
        List<NDArray> bs = active.bs();
        boolean trainable = active.trainable();
        if (as.isEmpty()) {
            empty.put(key, true);
            return null;
        }
        float[] cv = active.coefs();
        if (hostOnly && !trainable) {
            p = hostPack(as, bs, cv);
            if (p != null) {
                packed.put(key, p);
                return p;
            }
        }
        NDArray c = manager.create(cv).toType(as.getFirst().getDataType(), false);
        if (trainable) {
            // rebuilt on every call so gradients reach the factors; freed with the caller's scope
            return new Packed(as.size() == 1 ? as.getFirst() : NDArrays.concat(new NDList(as), 0),
                    bs.size() == 1 ? bs.getFirst() : NDArrays.concat(new NDList(bs), 1), c, false, null, null, null);
        }
        NDArray a = as.size() == 1 ? as.getFirst().duplicate() : NDArrays.concat(new NDList(as), 0);
        NDArray b = bs.size() == 1 ? bs.getFirst().duplicate() : NDArrays.concat(new NDList(bs), 1);
        // cached across calls: keep them out of any NDScope the caller has open
        NDScope.unregister(a, b, c);
        a.attach(manager);
        b.attach(manager);
        c.attach(manager);
        // small (rank rows or columns): copied once per pack, so their layout is known whatever the factors' strides
        MemorySegment aBytes = TensorMemory.copyOf(a);
        // a's type and device are b's: both readable or neither
        MemorySegment bBytes = aBytes == null ? null : blockedB(bs);
        p = new Packed(a, b, c, true, aBytes, bBytes, aBytes == null ? null : cv);
        packed.put(key, p);
        return p;
    }

    /** A module's entries with a non-zero coefficient, in pack order: factors and {@code c * scale} per rank row. */
    private record Active(List<NDArray> as, List<NDArray> bs, float[] coefs, boolean trainable) {}

    private Active active(ModuleKey key) {
        List<NDArray> as = new ArrayList<>();
        List<NDArray> bs = new ArrayList<>();
        List<Float> coef = new ArrayList<>();
        boolean trainable = false;
        for (Map.Entry<String, Map<ModuleKey, Factors>> e : entries.entrySet()) {
            Factors f = e.getValue().get(key);
            double c = coefficients.get(e.getKey())[key.layer()][key.kind().ordinal()];
            if (f == null || c == 0) {
                continue;
            }
            trainable |= f.a().hasGradient() || f.b().hasGradient();
            as.add(f.a());
            bs.add(f.b());
            long r = f.a().getShape().get(0);
            for (long i = 0; i < r; i++) {
                coef.add((float) (c * f.scale()));
            }
        }
        float[] cv = new float[coef.size()];
        for (int i = 0; i < cv.length; i++) {
            cv[i] = coef.get(i);
        }
        return new Active(as, bs, cv, trainable);
    }

    /**
     * The CPU kernels' pack of a module's active factors, written straight from each factor (no concatenated
     * arrays: a bank of four rank-16 adapters on a 0.6B model would hold 160 MB more): A's rows one after the
     * other [R, in], B [out, R] (each output's row the entries' rows side by side) in the kernels' blocked
     * layout. Null when the kernels cannot read the factors.
     */
    private static Packed hostPack(List<NDArray> as, List<NDArray> bs, float[] coefs) {
        for (int i = 0; i < as.size(); i++) {
            for (NDArray f : List.of(as.get(i), bs.get(i))) {
                if (!CpuMatmul.modulePresent() || f.getDataType() != ai.djl.ndarray.types.DataType.FLOAT32 || f.getDevice().isGpu()) {
                    return null;
                }
            }
        }
        int in = Math.toIntExact(as.getFirst().getShape().get(1));
        int rank = coefs.length;
        ValueLayout.OfFloat le = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        MemorySegment a = Arena.ofAuto().allocate((long) rank * in * Float.BYTES, 64);
        int q0 = 0;
        for (NDArray f : as) {
            float[] av = f.toFloatArray();
            MemorySegment.copy(av, 0, a, le, (long) q0 * in * Float.BYTES, av.length);
            q0 += av.length / in;
        }
        return new Packed(null, null, null, true, a, blockedB(bs), coefs);
    }

    /** The entries' B factors [out, r_e] side by side as one [out, sum r_e] in the CPU kernels' blocked layout. */
    private static MemorySegment blockedB(List<NDArray> bs) {
        int out = Math.toIntExact(bs.getFirst().getShape().get(0));
        int rank = 0;
        for (NDArray b : bs) {
            rank += Math.toIntExact(b.getShape().get(1));
        }
        MemorySegment blocked = Arena.ofAuto().allocate(ProjectionModule.Lora.bBytes(out, rank), 64);
        int q0 = 0;
        for (NDArray b : bs) {
            int r = Math.toIntExact(b.getShape().get(1));
            ProjectionModule.Lora.putB(blocked, rank, q0, b.toFloatArray(), out, r);
            q0 += r;
        }
        return blocked;
    }

    public int size() {
        return entries.size();
    }

    @Override
    public void close() {
        invalidate(new ArrayList<>(packed.keySet()));
        for (String n : new ArrayList<>(entries.keySet())) {
            remove(n);
        }
    }
}
