package io.laem.engine.optimize;

import io.laem.engine.LaemException;
import io.laem.engine.merge.recipe.Recipe;
import io.laem.engine.merge.recipe.Recipe.Redundancy;
import io.laem.engine.merge.recipe.Recipe.Shared;
import java.util.ArrayList;
import java.util.List;

/**
 * One discrete merge-plan setting the optimizer may search: a redundancy strategy with its
 * parameter and a shared-module mode. Written {@code STRATEGY[:P][+consensus:R]} (STRATEGY {@code recipe}: the recipe's), e.g.
 * {@code none}, {@code ties:0.3}, {@code magnitude:0.5+consensus:4}, {@code spectral:0.9}
 * (P is the density, or the kept energy for spectral).
 */
public record PlanOption(Redundancy redundancy, Shared shared) {
    /** The recipe's own setting. */
    public static PlanOption of(Recipe r) {
        return new PlanOption(r.redundancy(), r.shared());
    }

    public static PlanOption parse(String spec, Recipe recipe) {
        String[] parts = spec.trim().toLowerCase().split("\\+");
        if (parts.length > 2) {
            throw new LaemException("plan '" + spec + "': expected STRATEGY[:P][+consensus:R]");
        }
        Redundancy red = redundancy(parts[0], spec, recipe.redundancy());
        Shared shared = Shared.NONE;
        if (parts.length == 2) {
            String[] s = parts[1].split(":");
            if (s[0].equals("consensus")) {
                shared = new Shared(Shared.Mode.CONSENSUS, s.length > 1 ? parseInt(s[1], spec) : Shared.NONE.rank(), null);
            } else if (s[0].equals("recipe")) {
                shared = recipe.shared();
            } else if (!s[0].equals("none")) {
                throw new LaemException("plan '" + spec + "': shared module must be consensus:R, recipe or none");
            }
        }
        return new PlanOption(red, shared);
    }

    /** Parses a comma-separated list; {@code recipe} stands for the recipe's own setting. */
    public static List<PlanOption> parseList(String specs, Recipe recipe) {
        List<PlanOption> out = new ArrayList<>();
        for (String s : specs.split(",")) {
            PlanOption p = s.trim().equalsIgnoreCase("recipe") ? of(recipe) : parse(s, recipe);
            if (!out.contains(p)) {
                out.add(p);
            }
        }
        return out;
    }

    private static Redundancy redundancy(String s, String spec, Redundancy base) {
        if (s.equals("recipe")) {
            return base;
        }
        String[] p = s.split(":");
        Redundancy.Strategy strategy;
        try {
            strategy = Redundancy.Strategy.valueOf(p[0].toUpperCase());
        } catch (IllegalArgumentException e) {
            throw new LaemException("plan '" + spec + "': unknown redundancy strategy '" + p[0]
                    + "' (none, magnitude, dare, ties, dare_ties, spectral)");
        }
        if (strategy == Redundancy.Strategy.NONE) {
            return Redundancy.NONE;
        }
        double v = p.length > 1 ? parseDouble(p[1], spec) : strategy == Redundancy.Strategy.SPECTRAL ? base.energy() : base.density();
        if (!(v > 0 && v <= 1)) {
            throw new LaemException("plan '" + spec + "': " + v + " must be in (0, 1]");
        }
        return strategy == Redundancy.Strategy.SPECTRAL
                ? new Redundancy(strategy, base.density(), v, base.sign(), base.seed())
                : new Redundancy(strategy, v, base.energy(), base.sign(), base.seed());
    }

    /** The label in events, history and reports, e.g. {@code ties:0.3+consensus:4}. */
    public String label() {
        Redundancy.Strategy s = redundancy.strategy();
        String r = s == Redundancy.Strategy.NONE ? "none"
                : s.key() + ":" + fmt(s == Redundancy.Strategy.SPECTRAL ? redundancy.energy() : redundancy.density());
        return switch (shared.mode()) {
            case NONE -> r;
            case CONSENSUS -> r + "+consensus:" + shared.rank();
            case ADAPTER -> r + "+adapter";
        };
    }

    /** The recipe with this plan's settings. */
    public Recipe applyTo(Recipe r) {
        return r.withRedundancy(redundancy).withShared(shared);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static int parseInt(String s, String spec) {
        try {
            int v = Integer.parseInt(s);
            if (v < 1) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new LaemException("plan '" + spec + "': '" + s + "' is not a positive rank");
        }
    }

    private static double parseDouble(String s, String spec) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new LaemException("plan '" + spec + "': '" + s + "' is not a number");
        }
    }
}
