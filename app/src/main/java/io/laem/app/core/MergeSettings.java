package io.laem.app.core;

import javafx.beans.property.DoubleProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleObjectProperty;

/** Redundancy removal and shared-module settings of the merge, edited beside the weights. */
public final class MergeSettings {
    /** Redundancy strategies of the engine (names as in the recipe). */
    public enum Redundancy {
        NONE("none"), MAGNITUDE("magnitude"), DARE("dare"), TIES("ties"), DARE_TIES("dare_ties"), SPECTRAL("spectral");

        private final String key;

        Redundancy(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        public static Redundancy ofKey(String k) {
            for (Redundancy r : values()) {
                if (r.key.equalsIgnoreCase(k)) {
                    return r;
                }
            }
            return NONE;
        }

        @Override
        public String toString() {
            return key;
        }
    }

    /** Where the shared module comes from. */
    public enum Shared {
        NONE("none"), CONSENSUS("consensus");

        private final String key;

        Shared(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        public static Shared ofKey(String k) {
            for (Shared s : values()) {
                if (s.key.equalsIgnoreCase(k)) {
                    return s;
                }
            }
            return NONE;
        }

        @Override
        public String toString() {
            return key;
        }
    }

    private final ObjectProperty<Redundancy> redundancy = new SimpleObjectProperty<>(this, "redundancy", Redundancy.TIES);
    private final DoubleProperty density = new SimpleDoubleProperty(this, "density", 0.5);
    private final ObjectProperty<Shared> shared = new SimpleObjectProperty<>(this, "shared", Shared.CONSENSUS);
    private final DoubleProperty sharedEnergy = new SimpleDoubleProperty(this, "sharedEnergy", 0.5);

    public ObjectProperty<Redundancy> redundancyProperty() {
        return redundancy;
    }

    public DoubleProperty densityProperty() {
        return density;
    }

    public ObjectProperty<Shared> sharedProperty() {
        return shared;
    }

    /** Fraction of the summed deltas' energy the consensus shared module keeps. */
    public DoubleProperty sharedEnergyProperty() {
        return sharedEnergy;
    }
}
