package io.laem.engine.infer;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/**
 * The engine's one way into DJL: the PyTorch engine, NDManagers and tokenizers are started through
 * here, after the network default is set. DJL 0.35.1 reaches the network on its own: starting an
 * engine or a HuggingFace tokenizer calls home ({@code ai.djl.util.Ec2Utils.callHome}: the EC2
 * instance-metadata address 169.254.169.254, then a telemetry host), and a missing native library is
 * downloaded. Both stop when DJL is offline ({@code DJL_OFFLINE} or {@code ai.djl.offline}) and
 * telemetry is opted out ({@code OPT_OUT_TRACKING}), which DJL reads from the environment first, then
 * from system properties on every call. So whatever starts the engine (the launcher, {@code java -cp},
 * an IDE, the installed package, the tests) runs offline with telemetry off unless the user opts in
 * with {@code -Dlaem.online=true} or {@code LAEM_ONLINE=1} (then DJL's own defaults apply). A DJL
 * variable or property the user set is left as it is.
 */
public final class Djl {
    public static final String ONLINE_PROPERTY = "laem.online";
    public static final String ONLINE_ENV = "LAEM_ONLINE";
    private static final String ENGINE = "PyTorch";

    private Djl() {}

    /** Sets DJL offline with telemetry off unless the user opted in; idempotent and cheap. */
    public static void offlineUnlessOptedIn() {
        if (online()) {
            return;
        }
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }

    /** Whether the user allowed DJL to reach the network ({@code -Dlaem.online=true} or {@code LAEM_ONLINE=1|true}). */
    public static boolean online() {
        String env = System.getenv(ONLINE_ENV);
        return Boolean.getBoolean(ONLINE_PROPERTY) || "1".equals(env) || "true".equalsIgnoreCase(env);
    }

    /** The PyTorch engine, started offline unless the user opted in. */
    public static Engine pytorch() {
        offlineUnlessOptedIn();
        return Engine.getEngine(ENGINE);
    }

    /** A new base NDManager on the PyTorch engine's default device. */
    public static NDManager newManager() {
        offlineUnlessOptedIn();
        return NDManager.newBaseManager(ENGINE);
    }

    /** A new base NDManager on the PyTorch engine. */
    public static NDManager newManager(Device device) {
        offlineUnlessOptedIn();
        return NDManager.newBaseManager(device, ENGINE);
    }
}
