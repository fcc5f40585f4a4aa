package io.laem.engine.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.laem.engine.LaemException;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Recipe.Redundancy;
import io.laem.engine.merge.recipe.Recipe.Shared;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlanOptionTest {
    static final Recipe RECIPE = Recipe.of(Path.of("/base"), List.of())
            .withRedundancy(new Redundancy(Redundancy.Strategy.MAGNITUDE, 0.3, 1.0, Redundancy.Sign.TOTAL, 0));

    @Test
    void parsesAndLabels() {
        assertEquals("ties:0.5", PlanOption.parse("ties:0.5", RECIPE).label());
        assertEquals("none+consensus:8", PlanOption.parse("none+consensus:8", RECIPE).label());
        assertEquals("magnitude:0.3+consensus:4", PlanOption.parse("recipe+consensus:4", RECIPE).label());
        assertEquals("spectral:0.9", PlanOption.parse("spectral:0.9", RECIPE).label());
        assertEquals(new Shared(Shared.Mode.CONSENSUS, 4, null), PlanOption.parse("ties+consensus:4", RECIPE).shared());
        assertEquals(0.3, PlanOption.parse("ties", RECIPE).redundancy().density()); // the recipe's density
        assertEquals(List.of("magnitude:0.3", "ties:0.5"),
                PlanOption.parseList("recipe, ties:0.5, recipe", RECIPE).stream().map(PlanOption::label).toList());
    }

    @Test
    void badSpecs() {
        assertThrows(LaemException.class, () -> PlanOption.parse("trim:0.5", RECIPE));
        assertThrows(LaemException.class, () -> PlanOption.parse("ties:1.5", RECIPE));
        assertThrows(LaemException.class, () -> PlanOption.parse("ties+shared", RECIPE));
        assertThrows(LaemException.class, () -> PlanOption.parse("ties+consensus:0", RECIPE));
    }
}
