package io.laem.app.core;

import io.laem.engine.io.DType;
import io.laem.engine.merge.recipe.Recipe;
import java.nio.file.Path;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;

/**
 * The recipe's merge settings edited beside the weights: redundancy removal, the shared module and
 * the output. Values are the engine's recipe types.
 */
public final class MergeSettings {
    private final ObjectProperty<Recipe.Redundancy.Strategy> strategy =
            new SimpleObjectProperty<>(this, "strategy", Recipe.Redundancy.Strategy.TIES);
    private final DoubleProperty density = new SimpleDoubleProperty(this, "density", 0.5);
    private final DoubleProperty energy = new SimpleDoubleProperty(this, "energy", 0.9);
    private final ObjectProperty<Recipe.Redundancy.Sign> sign = new SimpleObjectProperty<>(this, "sign", Recipe.Redundancy.Sign.TOTAL);
    private final ObjectProperty<Recipe.Shared.Mode> sharedMode = new SimpleObjectProperty<>(this, "sharedMode", Recipe.Shared.Mode.CONSENSUS);
    private final IntegerProperty sharedRank = new SimpleIntegerProperty(this, "sharedRank", 8);
    private final ObjectProperty<Path> sharedPath = new SimpleObjectProperty<>(this, "sharedPath");
    /** Output rank; 0 means exact (the concatenation of all factors). */
    private final IntegerProperty outputRank = new SimpleIntegerProperty(this, "outputRank", 0);
    private final ObjectProperty<DType> outputDtype = new SimpleObjectProperty<>(this, "outputDtype", DType.F32);
    /** DARE's rescale (no control yet): kept from the session file so that saving does not drop it. */
    private Recipe.Redundancy.Rescale rescale = Recipe.Redundancy.Rescale.DENSITY;

    public ObjectProperty<Recipe.Redundancy.Strategy> strategyProperty() {
        return strategy;
    }

    /** Fraction of entries kept by magnitude, DARE and TIES. */
    public DoubleProperty densityProperty() {
        return density;
    }

    /** Energy the spectral strategy keeps. */
    public DoubleProperty energyProperty() {
        return energy;
    }

    public ObjectProperty<Recipe.Redundancy.Sign> signProperty() {
        return sign;
    }

    public ObjectProperty<Recipe.Shared.Mode> sharedModeProperty() {
        return sharedMode;
    }

    public IntegerProperty sharedRankProperty() {
        return sharedRank;
    }

    public ObjectProperty<Path> sharedPathProperty() {
        return sharedPath;
    }

    public IntegerProperty outputRankProperty() {
        return outputRank;
    }

    public ObjectProperty<DType> outputDtypeProperty() {
        return outputDtype;
    }

    /** Everything here as recipe values (the redundancy seed is the session's). */
    public Values values(long seed) {
        return new Values(new Recipe.Redundancy(strategy.get(), density.get(), energy.get(), sign.get(), seed, rescale),
                new Recipe.Shared(sharedMode.get(), sharedRank.get(), sharedPath.get()),
                new Recipe.Output(outputRank.get() <= 0 ? null : outputRank.get(), outputDtype.get()));
    }

    public void set(Values v) {
        strategy.set(v.redundancy().strategy());
        density.set(v.redundancy().density());
        energy.set(v.redundancy().energy());
        sign.set(v.redundancy().sign());
        rescale = v.redundancy().rescale();
        sharedMode.set(v.shared().mode());
        sharedRank.set(v.shared().rank());
        sharedPath.set(v.shared().path());
        outputRank.set(v.output().rank() == null ? 0 : v.output().rank());
        outputDtype.set(v.output().dtype());
    }

    /** The settings as an immutable value. */
    public record Values(Recipe.Redundancy redundancy, Recipe.Shared shared, Recipe.Output output) {}
}
