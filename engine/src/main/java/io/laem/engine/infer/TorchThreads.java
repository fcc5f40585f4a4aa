package io.laem.engine.infer;

import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/**
 * PyTorch's intra-op thread count, kept across work that may change it. ND4J (the merge engine's
 * math) sets the OpenMP thread count that PyTorch shares when it initializes, silently changing how
 * many threads every later forward pass uses (docs/optimizer.md: evaluations 10-20x slower on a loaded
 * 2-core machine). Whatever may initialize ND4J in a process that also runs the decoder goes through here.
 */
public final class TorchThreads {
    private TorchThreads() {}

    /** Runs {@code work} and then sets PyTorch's intra-op thread count back to what it was before. */
    public static <T> T keep(Supplier<T> work) {
        Djl.pytorch();
        int before = JniUtils.getNumThreads();
        try {
            return work.get();
        } finally {
            if (JniUtils.getNumThreads() != before) {
                JniUtils.setNumThreads(before);
            }
        }
    }

    /** Starts ND4J now, keeping PyTorch's thread count: later ND4J work then leaves it alone. */
    public static void startNd4j() {
        keep(() -> org.nd4j.linalg.factory.Nd4j.scalar(0f));
    }
}
