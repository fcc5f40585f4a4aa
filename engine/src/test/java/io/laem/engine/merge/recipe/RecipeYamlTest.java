package io.laem.engine.merge.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.io.DType;
import io.laem.engine.merge.recipe.Recipe.Redundancy;
import io.laem.engine.merge.recipe.Recipe.Shared;
import io.laem.engine.model.ModuleKind;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeYamlTest {
    static final String FULL = """
            base_model: ../models/base
            adapters:
              - {name: fin, path: adapters/fin}
              - {name: med, path: /abs/med}
            redundancy: {strategy: dare_ties, density: 0.3, energy: 0.9, sign: frequency, seed: 7}
            shared: {mode: adapter, rank: 4, path: shared_lora}
            weights:
              fin: 0.5
              med: [0, 1]
              shared: {attn: [1, 3, 2], mlp: -0.25}
            output: {rank: 16, dtype: bfloat16}
            tasks: tasks.yaml
            """;

    @TempDir
    Path tmp;

    @Test
    void parsesEveryKeyAndResolvesPathsAgainstTheRecipe() {
        Path dir = tmp.resolve("r");
        Recipe r = RecipeYaml.parse("recipe.yaml", FULL, dir);
        assertEquals(tmp.resolve("models/base"), r.baseModel());
        assertEquals(dir.resolve("adapters/fin"), r.adapters().get(0).path());
        assertEquals(Path.of("/abs/med"), r.adapters().get(1).path());
        assertEquals(new Redundancy(Redundancy.Strategy.DARE_TIES, 0.3, 0.9, Redundancy.Sign.FREQUENCY, 7), r.redundancy());
        assertEquals(new Shared(Shared.Mode.ADAPTER, 4, dir.resolve("shared_lora")), r.shared());
        assertEquals(16, r.output().rank());
        assertEquals(DType.BF16, r.output().dtype());
        assertEquals(dir.resolve("tasks.yaml"), r.tasks());
        assertEquals(0.5, r.weight("fin", 3, 5, ModuleKind.Q_PROJ));
        assertEquals(0.75, r.weight("med", 3, 5, ModuleKind.Q_PROJ));
        // shared attn [1,3,2] over 5 layers: t = l/4, position 2t -> layer 1 at 0.5 between 1 and 3
        assertEquals(2.0, r.weight("shared", 1, 5, ModuleKind.K_PROJ), 1e-15);
        assertEquals(2.5, r.weight("shared", 3, 5, ModuleKind.O_PROJ), 1e-15);
        assertEquals(-0.25, r.weight("shared", 3, 5, ModuleKind.DOWN_PROJ));
    }

    @Test
    void defaults() {
        Recipe r = RecipeYaml.parse("r.yaml", "base_model: b\nadapters: [{name: a, path: a}]\n", tmp);
        assertEquals(Redundancy.NONE, r.redundancy());
        assertEquals(Shared.NONE, r.shared());
        assertTrue(r.output().exact());
        assertEquals(DType.F32, r.output().dtype());
        assertNull(r.tasks());
        assertEquals(1.0, r.weight("a", 0, 2, ModuleKind.UP_PROJ));
    }

    @Test
    void dareRescaleIsOneOverDensityUnlessL1IsAsked() {
        Recipe plain = RecipeYaml.parse("r.yaml", "base_model: b\nadapters: [{name: a, path: a}]\nredundancy: {strategy: dare, density: 0.3}\n", tmp);
        assertEquals(Redundancy.Rescale.DENSITY, plain.redundancy().rescale());
        Recipe l1 = RecipeYaml.parse("r.yaml", "base_model: b\nadapters: [{name: a, path: a}]\nredundancy: {strategy: dare, density: 0.3, rescale: l1}\n", tmp);
        assertEquals(Redundancy.Rescale.L1, l1.redundancy().rescale());
        assertEquals(l1, RecipeYaml.parse("r.yaml", RecipeYaml.toYaml(l1, tmp), tmp));
        LaemException e = assertThrows(LaemException.class, () -> RecipeYaml.parse("r.yaml",
                "base_model: b\nadapters: [{name: a, path: a}]\nredundancy: {strategy: dare, rescale: l2}\n", tmp));
        assertTrue(e.getMessage().contains("redundancy.rescale"), e.getMessage());
    }

    @Test
    void gradientInterpolationByHand() {
        Schedule s = Schedule.gradient(0, 1);
        double[] expected = {0, 0.25, 0.5, 0.75, 1};
        for (int l = 0; l < 5; l++) {
            assertEquals(expected[l], s.at(l, 5, ModuleKind.Q_PROJ), 1e-15);
        }
        // three points over four layers: position l*2/3 -> 1, 1+(2/3)*2, 3-(1/3)*1, 2
        Schedule g = Schedule.gradient(1, 3, 2);
        assertEquals(1.0, g.at(0, 4, ModuleKind.Q_PROJ), 1e-15);
        assertEquals(7.0 / 3, g.at(1, 4, ModuleKind.Q_PROJ), 1e-15);
        assertEquals(8.0 / 3, g.at(2, 4, ModuleKind.Q_PROJ), 1e-15);
        assertEquals(2.0, g.at(3, 4, ModuleKind.Q_PROJ), 1e-15);
        // a list of L values is one value per layer, exactly
        double[] per = {0.1, 0.7, -0.3, 0.9, 0.2, 0.4, 0.8, 0.05};
        Schedule p = Schedule.perLayer(per);
        for (int l = 0; l < per.length; l++) {
            assertEquals(per[l], p.at(l, per.length, ModuleKind.UP_PROJ), 0.0);
        }
        // one layer: the first point
        assertEquals(1.0, g.at(0, 1, ModuleKind.Q_PROJ));
        Schedule grouped = Schedule.perGroup(Schedule.constant(2), Schedule.gradient(0, 4));
        assertEquals(2.0, grouped.at(1, 3, ModuleKind.V_PROJ));
        assertEquals(2.0, grouped.at(1, 3, ModuleKind.GATE_PROJ));
        assertEquals(4.0, grouped.at(2, 3, ModuleKind.DOWN_PROJ));
    }

    @Test
    void moduleKeysGiveEachModuleItsOwnScheduleAndRoundTrip() throws Exception {
        String yaml = "base_model: b\nadapters: [{name: a, path: a}]\nweights:\n  a: {q_proj: [0, 1], k_proj: 2, v_proj: 3, o_proj: 4,"
                + " gate_proj: [5, 7], up_proj: 6, down_proj: -1}\n";
        Recipe r = RecipeYaml.parse("recipe.yaml", yaml, tmp);
        assertTrue(r.weights().get("a") instanceof Schedule.PerModule, r.weights().toString());
        assertEquals(1.0, r.weight("a", 1, 2, ModuleKind.Q_PROJ));
        assertEquals(2.0, r.weight("a", 0, 2, ModuleKind.K_PROJ));
        assertEquals(4.0, r.weight("a", 0, 2, ModuleKind.O_PROJ));
        assertEquals(-1.0, r.weight("a", 1, 2, ModuleKind.DOWN_PROJ));
        // fused modules not named take their leading module's schedule
        assertEquals(1.0, r.weight("a", 1, 2, ModuleKind.QKV_PROJ));
        assertEquals(7.0, r.weight("a", 1, 2, ModuleKind.GATE_UP_PROJ));
        Path file = tmp.resolve("modules.yaml");
        RecipeYaml.write(r, file);
        assertTrue(Files.readString(file).contains("k_proj: 2.0"), Files.readString(file));
        assertEquals(r, RecipeYaml.read(file));
        // attn/mlp keys load as before: one schedule per group
        Recipe grouped = RecipeYaml.parse("recipe.yaml", "base_model: b\nadapters: [{name: a, path: a}]\nweights: {a: {attn: 1, mlp: 2}}\n", tmp);
        assertEquals(Schedule.perGroup(Schedule.constant(1), Schedule.constant(2)), grouped.weights().get("a"));
    }

    @Test
    void roundTripKeepsEverythingAndWritesRelativePaths() throws Exception {
        Path dir = tmp.resolve("r");
        Recipe r = RecipeYaml.parse("recipe.yaml", FULL, dir)
                .withPerGroupWeights("fin", new double[] {0.1, 0.2, 0.3}, new double[] {1, 2, 3});
        Path file = dir.resolve("recipe.yaml");
        RecipeYaml.write(r, file);
        String text = Files.readString(file);
        assertTrue(text.contains("base_model: ../models/base"), text);
        assertTrue(text.contains("path: adapters/fin"), text);
        Recipe back = RecipeYaml.read(file);
        assertEquals(r, back);
        assertEquals(0.2, back.weight("fin", 1, 3, ModuleKind.Q_PROJ));
        assertEquals(3.0, back.weight("fin", 2, 3, ModuleKind.UP_PROJ));
        // moved elsewhere: paths stay pointing at the same files
        Path other = tmp.resolve("x/y/recipe.yaml");
        RecipeYaml.write(back, other);
        assertEquals(r, RecipeYaml.read(other));
    }

    @Test
    void errorsNameTheKey() {
        assertError("unknown key 'redundancy.densty'", "redundancy: {densty: 0.2}");
        assertError("unknown key 'colour'", "colour: red");
        assertError("unknown key 'adapters[0].weight'", null, "base_model: b\nadapters: [{name: a, path: a, weight: 2}]");
        assertError("key 'redundancy.density' must be a number in [0, 1], got 1.5", "redundancy: {density: 1.5}");
        assertError("key 'redundancy.strategy' must be one of none|magnitude|dare|ties|dare_ties|spectral", "redundancy: {strategy: fancy}");
        assertError("key 'redundancy.sign' must be one of total|frequency", "redundancy: {sign: majority}");
        assertError("key 'output.rank' must be a positive integer or 'exact'", "output: {rank: 0}");
        assertError("key 'output.dtype' must be float32, bfloat16 or float16", "output: {dtype: int8}");
        assertError("key 'weights.b': no adapter named 'b'", "weights: {b: 1}");
        assertError("key 'weights.a[1]' must be a number", "weights: {a: [1, x]}");
        assertError("unknown key 'weights.a.embed'", "weights: {a: {attn: 1, mlp: 2, embed: 3}}");
        assertError("key 'weights.a' needs both 'attn' and 'mlp'", "weights: {a: {attn: 1}}");
        assertError("key 'weights.a' names modules but not 'k_proj'", "weights: {a: {q_proj: 1, v_proj: 1, o_proj: 1, gate_proj: 1, up_proj: 1, down_proj: 1}}");
        assertError("unknown key 'weights.a.q_proj'", "weights: {a: {attn: 1, mlp: 2, q_proj: 3}}");
        assertError("unknown key 'weights.a.embed'", "weights: {a: {q_proj: 1, embed: 3}}");
        assertError("key 'shared.path' is required", "shared: {mode: adapter}");
        assertError("key 'shared.rank' must be a positive integer", "shared: {mode: consensus, rank: -2}");
        assertError("key 'base_model' is missing", null, "adapters: [{name: a, path: a}]");
        assertError("key 'adapters[1].name' repeats the adapter name 'a'", null,
                "base_model: b\nadapters: [{name: a, path: a}, {name: a, path: c}]");
        assertError("key 'redundancy.density' must be above 0 for DARE", "redundancy: {strategy: dare, density: 0}");
    }

    @Test
    void nanAndInfinityAreNamedWithTheirKeyNotCalledInvalidYaml() {
        assertError("key 'weights.a' is .nan, which is NaN or infinity", "weights: {a: .nan}");
        assertError("key 'weights.a[1]' is -.inf, which is NaN or infinity", "weights: {a: [1, -.inf]}");
        assertError("key 'weights.a.mlp' is .Inf, which is NaN or infinity", "weights: {a: {attn: 1, mlp: .Inf}}");
        assertError("key 'redundancy.density' is .NaN, which is NaN or infinity", "redundancy: {density: .NaN}");
        assertError("key 'redundancy.energy' is .inf, which is NaN or infinity", "redundancy: {energy: .inf}");
        // a literal too large for a double reads as infinity: refused by the field's own check
        assertError("key 'weights.a' must be a finite number, got \"Infinity\"", "weights: {a: 1e999}");
        assertError("key 'redundancy.density' must be a number in [0, 1], got \"Infinity\"", "redundancy: {density: 1e999}");
        assertError("key 'redundancy.energy' must be a number in [0, 1], got -0.5", "redundancy: {energy: -0.5}");
        assertError("key 'redundancy.seed' must be an integer", "redundancy: {seed: 0.5}");
    }

    private void assertError(String expected, String extra) {
        assertError(expected, extra, null);
    }

    private void assertError(String expected, String extra, String whole) {
        String yaml = whole != null ? whole
                : "base_model: b\nadapters: [{name: a, path: a}]\n" + (extra == null ? "" : extra + "\n");
        LaemException e = assertThrows(LaemException.class, () -> RecipeYaml.parse("recipe.yaml", yaml, tmp));
        assertTrue(e.getMessage().startsWith("recipe.yaml: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
}
