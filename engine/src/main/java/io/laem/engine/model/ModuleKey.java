package io.laem.engine.model;

/** One adaptable module: layer index and module kind. Orders by layer, then kind. */
public record ModuleKey(int layer, ModuleKind kind) implements Comparable<ModuleKey> {
    @Override
    public int compareTo(ModuleKey o) {
        return layer != o.layer ? Integer.compare(layer, o.layer) : kind.compareTo(o.kind);
    }

    @Override
    public String toString() {
        return "layers." + layer + "." + kind.peftName();
    }
}
