package io.laem.app.playground;

import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.Spinner;
import javafx.scene.control.TextArea;
import javafx.scene.control.TextField;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;

/** A prompt and one streaming answer column per variant (base, each adapter, the merge). */
public final class PlaygroundView extends BorderPane {
    private final HBox columns = new HBox(6);

    public PlaygroundView(PlaygroundViewModel vm) {
        setId("playground-view");
        TextArea prompt = new TextArea();
        prompt.setId("prompt-area");
        prompt.setPromptText("Type a prompt; Ctrl+Enter generates.");
        prompt.setPrefRowCount(3);
        prompt.setWrapText(true);
        prompt.textProperty().bindBidirectional(vm.promptProperty());
        prompt.setOnKeyPressed(e -> {
            if (e.getCode() == KeyCode.ENTER && e.isShortcutDown()) {
                vm.generate();
                e.consume();
            }
        });
        Button generate = new Button("Generate");
        generate.setId("generate-button");
        generate.disableProperty().bind(vm.runningProperty().or(vm.promptProperty().isEmpty()));
        generate.setOnAction(e -> vm.generate());
        Button stop = new Button("Stop");
        stop.setId("generate-stop");
        stop.disableProperty().bind(vm.runningProperty().not());
        stop.setOnAction(e -> vm.stop());
        CheckBox sample = new CheckBox("Sample");
        sample.selectedProperty().bindBidirectional(vm.sampleProperty());
        Spinner<Double> temp = new Spinner<>(0.05, 2.0, vm.temperatureProperty().get(), 0.05);
        temp.setPrefWidth(80);
        temp.getValueFactory().valueProperty().addListener((o, a, b) -> vm.temperatureProperty().set(b));
        temp.disableProperty().bind(vm.sampleProperty().not());
        Spinner<Double> topP = new Spinner<>(0.05, 1.0, vm.topPProperty().get(), 0.05);
        topP.setPrefWidth(80);
        topP.getValueFactory().valueProperty().addListener((o, a, b) -> vm.topPProperty().set(b));
        topP.disableProperty().bind(vm.sampleProperty().not());
        TextField seed = new TextField(Long.toString(vm.seedProperty().get()));
        seed.setPrefColumnCount(5);
        seed.textProperty().addListener((o, a, b) -> {
            try {
                vm.seedProperty().set(Long.parseLong(b.trim()));
            } catch (NumberFormatException e) {
                // keep the last valid seed
            }
        });
        seed.disableProperty().bind(vm.sampleProperty().not());
        Spinner<Integer> max = new Spinner<>(1, 4096, vm.maxTokensProperty().get(), 16);
        max.setPrefWidth(86);
        max.getValueFactory().valueProperty().addListener((o, a, b) -> vm.maxTokensProperty().set(b));
        vm.maxTokensProperty().addListener((o, a, b) -> max.getValueFactory().setValue(b.intValue()));
        CheckBox chat = new CheckBox("Chat template");
        chat.selectedProperty().bindBidirectional(vm.chatProperty());
        CheckBox show = new CheckBox("Show prompt");
        show.setId("show-prompt");
        show.selectedProperty().bindBidirectional(vm.showPromptProperty());
        HBox controls = new HBox(8, generate, stop, new Label("Max tokens"), max, sample, new Label("T"), temp,
                new Label("top-p"), topP, new Label("seed"), seed, chat, show);
        controls.setAlignment(Pos.CENTER_LEFT);
        TextArea sent = new TextArea();
        sent.setId("sent-prompt");
        sent.setEditable(false);
        sent.setWrapText(true);
        sent.setPrefRowCount(6);
        sent.setStyle("-fx-font-family: monospace;");
        sent.setPromptText("What the model is sent (text and token ids) appears here after Generate.");
        sent.textProperty().bind(vm.sentPromptProperty());
        sent.visibleProperty().bind(vm.showPromptProperty());
        sent.managedProperty().bind(vm.showPromptProperty());
        Label busy = new Label();
        busy.setId("playground-notice");
        busy.textProperty().bind(vm.noticeProperty());
        busy.visibleProperty().bind(vm.noticeProperty().isNotEmpty());
        busy.managedProperty().bind(busy.visibleProperty());
        busy.setStyle("-fx-text-fill: #a15c00;");
        VBox top = new VBox(6, prompt, controls, sent, busy);
        top.setPadding(new Insets(6));
        setTop(top);

        ScrollPane scroll = new ScrollPane(columns);
        scroll.setFitToHeight(true);
        scroll.setFitToWidth(true);
        columns.setPadding(new Insets(6));
        setCenter(scroll);
        vm.columns().addListener((ListChangeListener<PlaygroundViewModel.Column>) c -> rebuild(vm));
        rebuild(vm);
    }

    private void rebuild(PlaygroundViewModel vm) {
        columns.getChildren().clear();
        for (PlaygroundViewModel.Column c : vm.columns()) {
            Label title = new Label(c.title());
            title.setStyle("-fx-font-weight: bold;");
            TextArea text = new TextArea();
            text.setId("answer-" + c.title());
            text.setEditable(false);
            text.setWrapText(true);
            text.textProperty().bind(c.textProperty());
            Label stats = new Label();
            stats.textProperty().bind(c.statsProperty());
            stats.setStyle("-fx-text-fill: #555;");
            stats.setWrapText(true);
            stats.setMinHeight(javafx.scene.layout.Region.USE_PREF_SIZE);
            VBox box = new VBox(4, title, text, stats);
            box.setMinWidth(140);
            VBox.setVgrow(text, Priority.ALWAYS);
            HBox.setHgrow(box, Priority.ALWAYS);
            columns.getChildren().add(box);
        }
    }
}
