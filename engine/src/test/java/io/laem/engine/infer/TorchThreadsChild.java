package io.laem.engine.infer;

import ai.djl.pytorch.jni.JniUtils;

/**
 * A fresh JVM for {@link TorchThreadsTest}: sets PyTorch's thread count to 7, starts ND4J (plainly,
 * or through {@link TorchThreads#startNd4j}), prints {@code THREADS <count>}. ND4J's start is a
 * one-time event per process, so only a new process can show what it does.
 */
public final class TorchThreadsChild {
    public static void main(String[] args) {
        Djl.pytorch();
        JniUtils.setNumThreads(7);
        if (args[0].equals("kept")) {
            TorchThreads.startNd4j();
        } else {
            org.nd4j.linalg.factory.Nd4j.scalar(0f);
        }
        System.out.println("THREADS " + JniUtils.getNumThreads());
        System.out.flush();
        System.exit(0);
    }
}
