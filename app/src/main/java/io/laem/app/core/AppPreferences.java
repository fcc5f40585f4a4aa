package io.laem.app.core;

import io.laem.engine.io.AtomicFiles;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Window layout and recent sessions, kept in a small properties file under the user's config
 * folder ({@code $XDG_CONFIG_HOME/laem} or {@code ~/.config/laem}; the system property
 * {@code laem.config} overrides it, which tests use).
 */
public final class AppPreferences {
    public static final int MAX_RECENT = 8;
    private final Path file;
    private final Properties props = new Properties();

    public AppPreferences(Path file) {
        this.file = file;
        if (Files.isRegularFile(file)) {
            try {
                props.load(new StringReader(Files.readString(file)));
            } catch (IOException | IllegalArgumentException e) {
                // unreadable preferences are not worth a dialog: start from defaults
            }
        }
    }

    /** The preferences in the user's config folder. */
    public static AppPreferences standard() {
        return new AppPreferences(configDir().resolve("workbench.properties"));
    }

    public static Path configDir() {
        String override = System.getProperty("laem.config");
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        String xdg = System.getenv("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("laem");
    }

    public Path file() {
        return file;
    }

    public double getDouble(String key, double fallback) {
        try {
            return Double.parseDouble(props.getProperty(key, ""));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    public void putDouble(String key, double v) {
        props.setProperty(key, Double.toString(v));
    }

    public boolean getBoolean(String key, boolean fallback) {
        String v = props.getProperty(key);
        return v == null ? fallback : Boolean.parseBoolean(v);
    }

    public void putBoolean(String key, boolean v) {
        props.setProperty(key, Boolean.toString(v));
    }

    /** Recent session files, newest first. */
    public List<Path> recent() {
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < MAX_RECENT; i++) {
            String v = props.getProperty("recent." + i);
            if (v != null) {
                out.add(Path.of(v));
            }
        }
        return out;
    }

    public void addRecent(Path session) {
        Path abs = session.toAbsolutePath().normalize();
        List<Path> list = new ArrayList<>(recent());
        list.remove(abs);
        list.add(0, abs);
        for (int i = 0; i < MAX_RECENT; i++) {
            if (i < list.size()) {
                props.setProperty("recent." + i, list.get(i).toString());
            } else {
                props.remove("recent." + i);
            }
        }
    }

    /** Writes the file; failures are ignored (preferences are a convenience). */
    public void save() {
        try {
            StringWriter w = new StringWriter();
            props.store(w, "LAEM Workbench");
            Files.createDirectories(file.getParent());
            AtomicFiles.writeString(file, w.toString());
        } catch (IOException | RuntimeException e) {
            // nothing to do: the next start uses defaults
        }
    }
}
