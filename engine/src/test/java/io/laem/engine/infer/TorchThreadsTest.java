package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.Test;

class TorchThreadsTest {
    @Test
    void threadCountChangedInsideIsPutBack() {
        Engine.getEngine("PyTorch");
        int original = JniUtils.getNumThreads();
        try {
            JniUtils.setNumThreads(1);
            // what ND4J's initialization does to the shared OpenMP setting
            assertEquals("done", TorchThreads.keep(() -> {
                JniUtils.setNumThreads(2);
                return "done";
            }));
            assertEquals(1, JniUtils.getNumThreads());
            TorchThreads.startNd4j();
            assertEquals(1, JniUtils.getNumThreads());
        } finally {
            JniUtils.setNumThreads(original);
        }
    }
}
