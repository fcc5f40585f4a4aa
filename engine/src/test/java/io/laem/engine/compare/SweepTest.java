package io.laem.engine.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.LaemException;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Schedule;
import io.laem.engine.model.ModuleKind;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SweepTest {
    static final Recipe R = Recipe.of(Path.of("base"), List.of(new Recipe.AdapterRef("a", Path.of("a")), new Recipe.AdapterRef("b", Path.of("b"))))
            .withWeight("a", Schedule.gradient(0, 1)).withWeight("b", Schedule.constant(0.5));

    @Test
    void parsesEntryLayersGroupAndValues() {
        assertEquals(new Sweep("a", -1, -1, null, List.of(0.0, 0.5, 1.0)), Sweep.parse("a=0,0.5,1"));
        assertEquals(new Sweep("a", 2, 2, null, List.of(1.5)), Sweep.parse("a@2=1.5"));
        assertEquals(new Sweep("b", 0, 3, ModuleKind.Group.MLP, List.of(-1.0, 2.0)), Sweep.parse("b@0-3:mlp=-1, 2"));
        assertEquals(new Sweep("*", -1, -1, ModuleKind.Group.ATTN, List.of(0.0)), Sweep.parse("*:attn=0"));
        assertEquals("b@0-3:mlp=0.25", Sweep.parse("b@0-3:mlp=0.25").label(0.25));
        assertEquals("a=1", Sweep.parse("a=1").label(1));
    }

    @Test
    void badSpecsAreOneLineNamingThem() {
        for (String bad : List.of("a", "a=", "=1", "a=x", "a=NaN", "a@3-1=1", "a@x=1", "a:foo=1", "@1=1")) {
            LaemException e = assertThrows(LaemException.class, () -> Sweep.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("--sweep " + bad + ": "), e.getMessage());
        }
    }

    @Test
    void appliesTheValueOnlyWhereItSweeps() {
        int layers = 4;
        Recipe whole = Sweep.parse("a=2").apply(R, 2, layers);
        assertEquals(Schedule.constant(2), whole.weights().get("a"), "the whole adapter: the recipe with that weight");
        Recipe part = Sweep.parse("a@1-2:mlp=9").apply(R, 9, layers);
        for (int l = 0; l < layers; l++) {
            double before = R.weight("a", l, layers, ModuleKind.Q_PROJ);
            assertEquals(before, part.weight("a", l, layers, ModuleKind.Q_PROJ), 1e-12, "attention untouched");
            assertEquals(l >= 1 && l <= 2 ? 9 : before, part.weight("a", l, layers, ModuleKind.DOWN_PROJ), 1e-12, "layer " + l);
            assertEquals(0.5, part.weight("b", l, layers, ModuleKind.DOWN_PROJ), 1e-12, "other adapters untouched");
        }
        Recipe all = Sweep.parse("*@3=0").apply(R, 0, layers);
        assertEquals(0, all.weight("a", 3, layers, ModuleKind.V_PROJ));
        assertEquals(0, all.weight("b", 3, layers, ModuleKind.UP_PROJ));
        assertEquals(0.5, all.weight("b", 2, layers, ModuleKind.UP_PROJ));
        assertThrows(LaemException.class, () -> Sweep.parse("c=1").apply(R, 1, layers), "no such adapter");
        assertThrows(LaemException.class, () -> Sweep.parse("a@4=1").apply(R, 1, layers), "past the last layer");
        assertThrows(LaemException.class, () -> Sweep.parse("shared=1").apply(R, 1, layers), "no shared module");
    }

    @Test
    void aPerModuleScheduleKeepsEveryOtherModulesWeight() {
        int layers = 2;
        java.util.Map<ModuleKind, Schedule> m = new java.util.EnumMap<>(ModuleKind.class);
        for (ModuleKind k : ModuleKind.unfused()) {
            m.put(k, Schedule.gradient(k.ordinal(), 10 + k.ordinal()));
        }
        Recipe perModule = R.withWeight("a", Schedule.perModule(m));
        Recipe part = Sweep.parse("a@1:attn=-1").apply(perModule, -1, layers);
        assertTrue(part.weights().get("a") instanceof Schedule.PerModule);
        for (ModuleKind k : ModuleKind.unfused()) {
            assertEquals(k.ordinal(), part.weight("a", 0, layers, k), 1e-12, k + " at layer 0: not swept");
            assertEquals(k.group() == ModuleKind.Group.ATTN ? -1 : 10 + k.ordinal(), part.weight("a", 1, layers, k), 1e-12, k + " at layer 1");
        }
    }
}
