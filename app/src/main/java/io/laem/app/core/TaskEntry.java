package io.laem.app.core;

import java.nio.file.Path;

/** A task's evaluation data (JSONL): its name and file, with the number of examples read. */
public record TaskEntry(String name, Path file, int examples) {}
