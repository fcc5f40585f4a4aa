package io.laem.engine.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.util.Utils;
import org.junit.jupiter.api.Test;

/**
 * PyTorch starts through {@link Djl} with DJL in offline mode, so its native library came from the
 * bundled jar or the local cache (DJL refuses to download when offline), and computes. That no
 * connection is tried at all, without the test run's DJL variables, is {@link OfflineByDefaultTest}.
 */
class EngineLoadTest {
    @Test
    void pytorchStartsOfflineFromTheLocalLibrary() {
        Engine e = Djl.pytorch();
        assertTrue(Utils.isOfflineMode(), "DJL is not offline after the engine started");
        assertEquals("PyTorch", e.getEngineName());
        try (NDManager m = Djl.newManager()) {
            assertEquals(6f, m.create(new float[] {1, 2, 3}).sum().getFloat(), 0f);
        }
    }
}
