package io.laem.engine.merge.redundancy;

import io.laem.engine.merge.recipe.Recipe.Redundancy;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** The registry of redundancy strategies by recipe name. */
public final class RedundancyStrategies {
    private static final Map<Redundancy.Strategy, RedundancyStrategy> ALL = new EnumMap<>(Redundancy.Strategy.class);

    static {
        for (RedundancyStrategy s : List.of(new NoRedundancy(), new MagnitudeTrim(), new Dare(), new Ties(), new DareTies(),
                new Spectral())) {
            ALL.put(s.id(), s);
        }
    }

    private RedundancyStrategies() {}

    public static RedundancyStrategy of(Redundancy.Strategy id) {
        return ALL.get(id);
    }
}
