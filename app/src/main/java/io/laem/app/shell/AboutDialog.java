package io.laem.app.shell;

import javafx.scene.control.Alert;
import javafx.stage.Window;

/** Help > About. */
final class AboutDialog {
    private final Alert alert = new Alert(Alert.AlertType.INFORMATION);

    AboutDialog(Window owner) {
        alert.initOwner(owner);
        alert.setTitle("About LAEM Workbench");
        alert.setHeaderText("LAEM Workbench 0.1");
        alert.setContentText("Merges LoRA adapters layer by layer (LAEM: redundancy removal, a shared module, "
                + "per-layer weights found by CMA-ES) and shows why it works.\n\nJava " + System.getProperty("java.version")
                + ", JavaFX " + System.getProperty("javafx.runtime.version", "?"));
    }

    void show() {
        alert.show();
    }
}
