package io.laem.engine.merge.recipe;

import io.laem.engine.io.DType;
import io.laem.engine.model.ModuleKind;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A merge recipe, the YAML file that {@code laem merge} runs and the GUI saves as its session
 * (together with the optional {@code tasks} file of evaluation sets). Paths are absolute here;
 * {@link RecipeYaml} resolves them against the recipe file when reading and makes them relative
 * again when writing.
 *
 * <pre>
 * base_model: PATH
 * adapters: [{name: NAME, path: PATH}, ...]
 * redundancy: {strategy: none|magnitude|dare|ties|dare_ties|spectral, density: 0..1, energy: 0..1, sign: total|frequency, seed: N, rescale: density|l1}
 * shared: {mode: none|consensus|adapter, rank: N, path: PATH}
 * weights: {NAME: SCHEDULE, ..., shared: SCHEDULE}
 * output: {rank: exact|N, dtype: float32|bfloat16|float16}
 * tasks: PATH
 * </pre>
 *
 * An adapter without a weight gets 1 (task arithmetic); so does the shared module.
 */
public record Recipe(Path baseModel, List<AdapterRef> adapters, Redundancy redundancy, Shared shared,
                     Map<String, Schedule> weights, Output output, Path tasks) {
    /** The weights key of the shared module. */
    public static final String SHARED = "shared";
    public static final double DEFAULT_WEIGHT = 1.0;

    public Recipe {
        Objects.requireNonNull(baseModel, "base_model");
        adapters = List.copyOf(adapters);
        redundancy = redundancy == null ? Redundancy.NONE : redundancy;
        shared = shared == null ? Shared.NONE : shared;
        weights = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(weights == null ? Map.of() : weights));
        output = output == null ? Output.EXACT : output;
    }

    /** A recipe with the given adapters, no redundancy removal, no shared module, weight 1 each, exact output. */
    public static Recipe of(Path baseModel, List<AdapterRef> adapters) {
        return new Recipe(baseModel, adapters, Redundancy.NONE, Shared.NONE, Map.of(), Output.EXACT, null);
    }

    /** What the recipe reads: base, adapters, shared adapter, tasks file. An output may never be, hold or lie inside one. */
    public List<Path> inputs() {
        List<Path> in = new java.util.ArrayList<>();
        in.add(baseModel);
        adapters.forEach(a -> in.add(a.path()));
        in.add(shared.path());
        in.add(tasks);
        in.removeIf(Objects::isNull);
        return in;
    }

    /** One adapter of the recipe. */
    public record AdapterRef(String name, Path path) {}

    /** Redundancy removal applied to each task adapter before merging. */
    public record Redundancy(Strategy strategy, double density, double energy, Sign sign, long seed, Rescale rescale) {
        public static final Redundancy NONE = new Redundancy(Strategy.NONE, 1.0, 1.0, Sign.TOTAL, 0);

        public Redundancy {
            rescale = rescale == null ? Rescale.DENSITY : rescale;
        }

        /** With DARE's rescale by 1/density. */
        public Redundancy(Strategy strategy, double density, double energy, Sign sign, long seed) {
            this(strategy, density, energy, sign, seed, Rescale.DENSITY);
        }

        public Redundancy withRescale(Rescale r) {
            return new Redundancy(strategy, density, energy, sign, seed, r);
        }

        public enum Strategy {
            NONE, MAGNITUDE, DARE, TIES, DARE_TIES, SPECTRAL;

            public String key() {
                return name().toLowerCase();
            }

            /** Whether the strategy acts on a module's full delta element by element. */
            public boolean elementWise() {
                return this == MAGNITUDE || this == DARE || this == TIES || this == DARE_TIES;
            }
        }

        /**
         * How DARE rescales the entries it keeps: by 1/density (the DARE paper; the expectation of each
         * entry is kept) or by the ratio of the tensor's L1 norms before and after the drop (current
         * mergekit, {@code RescaleNorm.l1}: the L1 norm of each task's delta is kept exactly).
         */
        public enum Rescale {
            DENSITY, L1;

            public String key() {
                return name().toLowerCase();
            }
        }

        /** TIES sign election: by the sum of values ("total") or by the count of signs ("frequency"). */
        public enum Sign {
            TOTAL, FREQUENCY;

            public String key() {
                return name().toLowerCase();
            }
        }
    }

    /** The shared module: none, the consensus of the tasks, or a supplied adapter. */
    public record Shared(Mode mode, int rank, Path path) {
        public static final Shared NONE = new Shared(Mode.NONE, 8, null);

        public enum Mode {
            NONE, CONSENSUS, ADAPTER;

            public String key() {
                return name().toLowerCase();
            }
        }
    }

    /** Output rank (null: exact, the concatenation of all factors) and the stored dtype. */
    public record Output(Integer rank, DType dtype) {
        public static final Output EXACT = new Output(null, DType.F32);

        public boolean exact() {
            return rank == null;
        }
    }

    /**
     * The weight of an adapter (by name) or of {@link #SHARED} at layer {@code layer} of
     * {@code numLayers} for a module of the given kind; 1 when the recipe gives none.
     */
    public double weight(String adapterOrShared, int layer, int numLayers, ModuleKind kind) {
        Schedule s = weights.get(adapterOrShared);
        return s == null ? DEFAULT_WEIGHT : s.at(layer, numLayers, kind);
    }

    public Recipe withWeights(Map<String, Schedule> newWeights) {
        return new Recipe(baseModel, adapters, redundancy, shared, newWeights, output, tasks);
    }

    /** This recipe with one schedule replaced (or added). */
    public Recipe withWeight(String adapterOrShared, Schedule schedule) {
        Map<String, Schedule> w = new LinkedHashMap<>(weights);
        w.put(adapterOrShared, schedule);
        return withWeights(w);
    }

    /** This recipe with one weight per layer for an adapter or the shared module. */
    public Recipe withPerLayerWeights(String adapterOrShared, double[] perLayer) {
        return withWeight(adapterOrShared, Schedule.perLayer(perLayer));
    }

    /** This recipe with one weight per layer, separately for attention and MLP modules. */
    public Recipe withPerGroupWeights(String adapterOrShared, double[] attnPerLayer, double[] mlpPerLayer) {
        return withWeight(adapterOrShared, Schedule.perGroup(Schedule.perLayer(attnPerLayer), Schedule.perLayer(mlpPerLayer)));
    }

    public Recipe withRedundancy(Redundancy r) {
        return new Recipe(baseModel, adapters, r, shared, weights, output, tasks);
    }

    public Recipe withShared(Shared s) {
        return new Recipe(baseModel, adapters, redundancy, s, weights, output, tasks);
    }

    public Recipe withOutput(Output o) {
        return new Recipe(baseModel, adapters, redundancy, shared, weights, o, tasks);
    }

    public Recipe withTasks(Path t) {
        return new Recipe(baseModel, adapters, redundancy, shared, weights, output, t);
    }

    public List<String> adapterNames() {
        return adapters.stream().map(AdapterRef::name).toList();
    }
}
