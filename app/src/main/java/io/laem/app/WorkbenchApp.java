package io.laem.app;

import javafx.application.Application;
import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.scene.layout.BorderPane;
import javafx.stage.Stage;

/** The workbench window. */
public final class WorkbenchApp extends Application {
    @Override
    public void start(Stage stage) {
        BorderPane root = new BorderPane(new Label("LAEM Workbench"));
        stage.setTitle("LAEM Workbench");
        stage.setScene(new Scene(root, 1280, 800));
        stage.show();
    }
}
