package io.laem.engine.infer;

import ai.djl.Device;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketImpl;
import java.net.URI;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A child JVM for {@link OfflineByDefaultTest}: installs guards that record and refuse every network
 * connection a Java library can make through {@code java.net} (URL connections of any protocol but
 * file/jar/jrt, whatever proxy they ask for; plain sockets; proxy selection), then opens the demo
 * kit's base with an adapter through the engine and generates two tokens. Prints one
 * {@code ATTEMPT <target>} line per connection tried and {@code FORWARD <n> tokens} at the end.
 */
public final class NetworkGuardMain {
    static final List<String> ATTEMPTS = new CopyOnWriteArrayList<>();

    public static void main(String[] args) throws Exception {
        URL.setURLStreamHandlerFactory(protocol -> switch (protocol.toLowerCase()) {
            case "http", "https", "ftp" -> new URLStreamHandler() {
                @Override
                protected URLConnection openConnection(URL u) throws IOException {
                    return refuse(u.toString());
                }

                @Override
                protected URLConnection openConnection(URL u, Proxy p) throws IOException {
                    return refuse(u.toString());
                }
            };
            default -> null;
        });
        Socket.setSocketImplFactory(GuardSocket::new);
        ProxySelector.setDefault(new ProxySelector() {
            @Override
            public List<Proxy> select(URI uri) {
                ATTEMPTS.add("proxy-select " + uri);
                return List.of(Proxy.NO_PROXY);
            }

            @Override
            public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {}
        });

        Path kit = Path.of(args[0]);
        int tokens;
        try (io.laem.engine.live.LiveMerge live = io.laem.engine.live.LiveMerge.open(kit.resolve("base"), Devices.resolve("cpu"));
                io.laem.engine.live.LiveMerge.Use m = live.use("network guard")) {
            live.show(io.laem.engine.merge.recipe.Recipe.of(kit.resolve("base"),
                            List.of(new io.laem.engine.merge.recipe.Recipe.AdapterRef("shift", kit.resolve("adapters/shift")))),
                    io.laem.engine.progress.ProgressListener.NONE, io.laem.engine.progress.CancellationToken.NONE);
            Generator.Result r = new Generator(m.decoder(), m.tokenizer()).generate(m.tokenizer().encode("shift: abc ="),
                    Generator.Options.greedy(2), (id, text) -> {}, null);
            tokens = r.tokens().length + (r.reason() == Generator.StopReason.EOS ? 1 : 0);
        }
        ATTEMPTS.forEach(a -> System.out.println("ATTEMPT " + a));
        System.out.println("FORWARD " + tokens + " tokens");
        System.out.flush();
        System.exit(0);
    }

    static URLConnection refuse(String target) throws IOException {
        ATTEMPTS.add(target);
        throw new IOException("network connection refused by the test: " + target);
    }

    /** A socket that records and refuses every connect. */
    static final class GuardSocket extends SocketImpl {
        @Override
        protected void create(boolean stream) {}

        @Override
        protected void connect(String host, int port) throws IOException {
            refuse("socket " + host + ":" + port);
        }

        @Override
        protected void connect(InetAddress address, int port) throws IOException {
            refuse("socket " + address + ":" + port);
        }

        @Override
        protected void connect(SocketAddress address, int timeout) throws IOException {
            refuse("socket " + address);
        }

        @Override
        protected void bind(InetAddress host, int port) throws IOException {
            throw new IOException("bind refused by the test");
        }

        @Override
        protected void listen(int backlog) throws IOException {
            throw new IOException("listen refused by the test");
        }

        @Override
        protected void accept(SocketImpl s) throws IOException {
            throw new IOException("accept refused by the test");
        }

        @Override
        protected InputStream getInputStream() throws IOException {
            throw new IOException("not connected");
        }

        @Override
        protected OutputStream getOutputStream() throws IOException {
            throw new IOException("not connected");
        }

        @Override
        protected int available() {
            return 0;
        }

        @Override
        protected void close() {}

        @Override
        protected void sendUrgentData(int data) throws IOException {
            throw new IOException("not connected");
        }

        @Override
        public void setOption(int optID, Object value) {}

        @Override
        public Object getOption(int optID) {
            return null;
        }
    }
}
