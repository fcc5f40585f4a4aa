package io.laem.app.core;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything a view model asks of the user, so that view models hold no controls: the window
 * implements it with JavaFX dialogs, tests with answers given in advance.
 */
public interface DialogService {
    enum Unsaved { SAVE, DISCARD, CANCEL }

    /** A file filter: a description and glob patterns such as "*.yaml". */
    record Filter(String description, String... patterns) {}

    void showError(String title, String message);

    void showInfo(String title, String message);

    /** Asked before an action would lose unsaved changes. */
    Unsaved askUnsaved(String what);

    Optional<Path> openFile(String title, Filter... filters);

    Optional<Path> openDirectory(String title);

    Optional<Path> saveFile(String title, String initialName, Filter... filters);

    /** Asks before an action that replaces something (OK / Cancel); true when the user confirmed. */
    boolean confirm(String title, String message);

    /** Asks for one line of text, {@code initial} filled in; empty when the user cancels. */
    Optional<String> askText(String title, String message, String initial);
}
