package io.laem.app;

import io.laem.app.core.DialogService;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/** Dialog answers given in advance; errors and infos recorded. */
public final class FakeDialogs implements DialogService {
    public final List<String> errors = new ArrayList<>();
    public final List<String> infos = new ArrayList<>();
    public final Deque<Path> paths = new ArrayDeque<>();
    public final Deque<Unsaved> unsaved = new ArrayDeque<>();
    /** Answers to {@link #confirm}, in order (none left: cancel); the questions asked are recorded. */
    public final Deque<Boolean> confirms = new ArrayDeque<>();
    public final List<String> questions = new ArrayList<>();

    @Override
    public boolean confirm(String title, String message) {
        questions.add(message);
        return !confirms.isEmpty() && confirms.pop();
    }

    /** Answers to {@link #askText}, in order (none left: cancel). */
    public final Deque<String> texts = new ArrayDeque<>();

    @Override
    public Optional<String> askText(String title, String message, String initial) {
        questions.add(message);
        return Optional.ofNullable(texts.poll());
    }

    @Override
    public void showError(String title, String message) {
        errors.add(message);
    }

    @Override
    public void showInfo(String title, String message) {
        infos.add(message);
    }

    @Override
    public Unsaved askUnsaved(String what) {
        return unsaved.isEmpty() ? Unsaved.CANCEL : unsaved.pop();
    }

    @Override
    public Optional<Path> openFile(String title, Filter... filters) {
        return Optional.ofNullable(paths.poll());
    }

    @Override
    public Optional<Path> openDirectory(String title) {
        return Optional.ofNullable(paths.poll());
    }

    @Override
    public Optional<Path> saveFile(String title, String initialName, Filter... filters) {
        return Optional.ofNullable(paths.poll());
    }
}
