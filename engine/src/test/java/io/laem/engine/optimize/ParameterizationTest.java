package io.laem.engine.optimize;

import io.laem.engine.merge.MergeWeights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.laem.engine.LaemException;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.model.ModuleKind;
import io.laem.engine.model.ModuleKind.Group;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ParameterizationTest {
    static final List<String> ENTRIES = List.of("a", "b", "shared");
    static final int L = 5;

    static double[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = -0.5 + 2.5 * r.nextDouble();
        }
        return x;
    }

    @Test
    void dimensionsGrowDownTheList() {
        assertEquals(3, Parameterization.parse("per-task", ENTRIES, L).dimension());
        assertEquals(9, Parameterization.parse("curve:3", ENTRIES, L).dimension());
        assertEquals(15, Parameterization.parse("per-layer", ENTRIES, L).dimension());
        assertEquals(30, Parameterization.parse("per-layer-kind", ENTRIES, L).dimension());
        assertEquals(105, Parameterization.parse("per-layer-module", ENTRIES, L).dimension());
        assertEquals("curve:3", Parameterization.parse("curve:3", ENTRIES, L).spec());
    }

    @Test
    void curveInterpolatesLikeMergekitGradient() {
        // 3 points over 5 layers: layers sit at positions 0, 0.5, 1, 1.5, 2 on the list (hand-computed)
        Parameterization p = Parameterization.curve(3, List.of("a"), L);
        MergeWeights w = p.decode(new double[] {0, 1, 0.5});
        assertArrayEquals(new double[] {0, 0.5, 1, 0.75, 0.5}, w.layerWeights(0, Group.ATTN), 1e-12);
        assertArrayEquals(new double[] {0, 0.5, 1, 0.75, 0.5}, w.layerWeights(0, Group.MLP), 1e-12);
        // 2 points over 4 layers: t = 0, 1/3, 2/3, 1
        MergeWeights w2 = Parameterization.curve(2, List.of("a"), 4).decode(new double[] {1, 0});
        assertArrayEquals(new double[] {1, 2 / 3.0, 1 / 3.0, 0}, w2.layerWeights(0, Group.ATTN), 1e-12);
    }

    @Test
    void perLayerKindSeparatesGroups() {
        Parameterization p = Parameterization.perLayerKind(List.of("a"), 2);
        assertEquals(List.of("a@L0.attn", "a@L0.mlp", "a@L1.attn", "a@L1.mlp"), p.labels());
        MergeWeights w = p.decode(new double[] {1, 2, 3, 4});
        assertEquals(1, w.get(0, 0, Group.ATTN));
        assertEquals(2, w.get(0, 0, Group.MLP));
        assertEquals(4, w.get(0, 1, Group.MLP));
        assertEquals(Map.of("a", Schedule.perGroup(Schedule.perLayer(new double[] {1, 3}), Schedule.perLayer(new double[] {2, 4}))),
                p.schedules(new double[] {1, 2, 3, 4}));
    }

    @Test
    void perLayerModuleGivesEachModuleItsOwnWeight() {
        Parameterization p = Parameterization.parse("per-layer-module", List.of("a"), 2);
        assertEquals(MergeWeights.Layout.MODULES, p.layout());
        assertEquals(List.of("a@L0.q_proj", "a@L0.k_proj", "a@L0.v_proj", "a@L0.o_proj", "a@L0.gate_proj", "a@L0.up_proj",
                "a@L0.down_proj", "a@L1.q_proj"), p.labels().subList(0, 8));
        double[] x = new double[14];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        MergeWeights w = p.decode(x);
        assertEquals(MergeWeights.Layout.MODULES, w.layout());
        assertEquals(1, w.get(0, 0, ModuleKind.K_PROJ));
        assertEquals(6, w.get(0, 0, ModuleKind.DOWN_PROJ));
        assertEquals(9, w.get(0, 1, ModuleKind.V_PROJ));
        assertEquals(7, w.get(0, 1, ModuleKind.QKV_PROJ), "a fused module takes its leading module's weight");
        assertEquals(11, w.get(0, 1, ModuleKind.GATE_UP_PROJ));
        assertEquals(7, w.get(0, 1, Group.ATTN), "a group reads as its first module");
        Schedule.PerModule s = (Schedule.PerModule) p.schedules(x).get("a");
        assertEquals(ModuleKind.unfused(), List.copyOf(s.modules().keySet()));
        assertEquals(Schedule.perLayer(new double[] {5, 12}), s.modules().get(ModuleKind.UP_PROJ));
    }

    /** The gradient mapping: pullBack is decode's transpose, so <g, decode(x)> = <pullBack(g), x> for every g and x. */
    @Test
    void pullBackIsTheTransposeOfDecodeForEveryKind() {
        for (Parameterization.Kind kind : Parameterization.Kind.values()) {
            Parameterization p = Parameterization.of(Parameterization.Spec.of(kind), ENTRIES, L);
            double[] x = random(p.dimension(), 3);
            MergeWeights.Layout layout = p.layout();
            double[] gv = random(ENTRIES.size() * L * layout.slots(), 4);
            MergeWeights g = MergeWeights.ofSlots(layout, ENTRIES, L, (e, l, s) -> gv[(e * L + l) * layout.slots() + s]);
            MergeWeights w = p.decode(x);
            double lhs = 0;
            for (int e = 0; e < ENTRIES.size(); e++) {
                for (int l = 0; l < L; l++) {
                    for (int s = 0; s < layout.slots(); s++) {
                        lhs += g.getSlot(e, l, s) * w.getSlot(e, l, s);
                    }
                }
            }
            double[] pb = p.pullBack(g);
            double rhs = 0;
            for (int i = 0; i < x.length; i++) {
                rhs += pb[i] * x[i];
            }
            assertEquals(lhs, rhs, 1e-9, kind.spec());
        }
        // the gradient of a fused module's weight goes to its leading module's number
        Parameterization p = Parameterization.perLayerModule(List.of("a"), 1);
        double[] pb = p.pullBack(MergeWeights.ofModules(List.of("a"), 1, (e, l, k) -> k == ModuleKind.QKV_PROJ ? 2 : k == ModuleKind.Q_PROJ ? 1 : 0));
        assertArrayEquals(new double[] {3, 0, 0, 0, 0, 0, 0}, pb, 0);
        assertThrows(IllegalArgumentException.class, () -> p.pullBack(MergeWeights.constant(List.of("a"), 1, 1)), "a gradient per group");
    }

    @Test
    void roundTripsEveryKind() {
        for (String spec : List.of("per-task", "curve:1", "curve:2", "curve:4", "curve:5", "per-layer", "per-layer-kind", "per-layer-module")) {
            Parameterization p = Parameterization.parse(spec, ENTRIES, L);
            double[] x = random(p.dimension(), spec.hashCode());
            MergeWeights w = p.decode(x);
            assertArrayEquals(x, p.encode(w), 1e-9, spec);
            assertEquals(0, p.decode(p.encode(w)).maxAbsDifference(w), 1e-9, spec);
        }
    }

    @Test
    void schedulesReproduceTheDecodedWeightsThroughARecipe() {
        for (String spec : List.of("per-task", "curve:3", "per-layer", "per-layer-kind", "per-layer-module")) {
            Parameterization p = Parameterization.parse(spec, ENTRIES, L);
            double[] x = random(p.dimension(), 11);
            Recipe recipe = Recipe.of(Path.of("/base"), List.of()).withWeights(p.schedules(x));
            assertEquals(0, MergeWeights.fromRecipe(recipe, ENTRIES, L).maxAbsDifference(p.decode(x)), 1e-12, spec);
        }
    }

    @Test
    void recipeDefaultWeightIsOne() {
        Recipe recipe = Recipe.of(Path.of("/base"), List.of()).withWeight("a", Schedule.constant(0.3));
        MergeWeights w = MergeWeights.fromRecipe(recipe, List.of("a", "b"), 2);
        assertEquals(0.3, w.get(0, 1, Group.MLP));
        assertEquals(1.0, w.get(1, 0, Group.ATTN));
    }

    @Test
    void encodeProjectsRicherWeightsAndClipsToBounds() {
        Parameterization perLayer = Parameterization.perLayer(List.of("a"), 3);
        MergeWeights w = Parameterization.perLayerKind(List.of("a"), 3).decode(new double[] {1, 3, 0, 0, 5, -3});
        assertArrayEquals(new double[] {2, 0, 1}, perLayer.withBounds(-10, 10).encode(w), 1e-12); // mean of groups
        assertArrayEquals(new double[] {2, 0, 1}, perLayer.encode(w), 1e-12);
        assertArrayEquals(new double[] {1}, Parameterization.perTask(List.of("a"), 3).encode(w), 1e-12);
        MergeWeights big = MergeWeights.constant(List.of("a"), 3, 7);
        assertArrayEquals(new double[] {2, 2, 2}, perLayer.encode(big), 0); // clipped to the default upper bound 2
    }

    @Test
    void perModuleWarmStartFromGroupWeightsAndBack() {
        MergeWeights groups = Parameterization.perLayerKind(List.of("a"), 2).decode(new double[] {0.1, 0.2, 0.3, 0.4});
        Parameterization modules = Parameterization.perLayerModule(List.of("a"), 2);
        MergeWeights w = modules.decode(modules.encode(groups));
        assertEquals(0, w.maxAbsDifference(groups), 1e-12, "group weights are exactly per-module weights");
        assertEquals(0.3, w.get(0, 1, ModuleKind.O_PROJ), 1e-12);
        assertEquals(0.4, w.get(0, 1, ModuleKind.DOWN_PROJ), 1e-12);
        assertEquals(0, w.in(MergeWeights.Layout.GROUPS).maxAbsDifference(groups), 1e-12);
        assertEquals(MergeWeights.Layout.GROUPS, w.in(MergeWeights.Layout.GROUPS).layout());
    }

    @Test
    void encodeFillsMissingEntriesWithFallback() {
        Parameterization p = Parameterization.perTask(List.of("a", "shared"), 2);
        assertArrayEquals(new double[] {0.5, 0.25}, p.encode(MergeWeights.constant(List.of("a"), 2, 0.5), 0.25), 0);
    }

    @Test
    void badSpecsAreOneLineErrors() {
        assertThrows(LaemException.class, () -> Parameterization.parse("curve:0", ENTRIES, L));
        assertThrows(LaemException.class, () -> Parameterization.parse("curve:6", ENTRIES, L));
        assertThrows(LaemException.class, () -> Parameterization.parse("curve:x", ENTRIES, L));
        assertThrows(LaemException.class, () -> Parameterization.parse("per-head", ENTRIES, L));
        assertThrows(LaemException.class, () -> Parameterization.perTask(ENTRIES, L).withBounds(1, 1));
    }
}
