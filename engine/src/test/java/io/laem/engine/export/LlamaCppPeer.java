package io.laem.engine.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real llama.cpp for tests: {@code src/test/node/llama-peer.mjs} on node-llama-cpp 3.21.1's prebuilt
 * binaries (installed by {@code npm ci} in that folder; .ci/run does it). One JSON request in, one out.
 */
final class LlamaCppPeer {
    static final Path DIR = Path.of("src/test/node");
    static final Path SCRIPT = DIR.resolve("llama-peer.mjs");

    private LlamaCppPeer() {}

    /** Why the peer cannot run here, or empty when it can. */
    static Optional<String> unavailable() {
        if (!Files.isDirectory(DIR.resolve("node_modules/node-llama-cpp"))) {
            return Optional.of("node-llama-cpp is not installed: run 'npm ci' in engine/src/test/node (needs node 20+)");
        }
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return Optional.of("'node --version' failed");
            }
        } catch (IOException e) {
            return Optional.of("node is not on the PATH");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
        return Optional.empty();
    }

    /** Runs one request; throws with llama.cpp's output when it fails. */
    static JsonNode run(ObjectNode request) {
        try {
            Path in = Files.createTempFile("llama-peer", ".json");
            Path err = Files.createTempFile("llama-peer", ".err");
            try {
                Files.writeString(in, request.toString());
                Process p = new ProcessBuilder("node", SCRIPT.getFileName().toString()).directory(DIR.toFile())
                        .redirectInput(in.toFile()).redirectError(err.toFile()).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new AssertionError("llama-peer failed: " + out + Files.readString(err));
                }
                return Json.JSON.readTree(out);
            } finally {
                Files.deleteIfExists(in);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
