package io.laem.engine.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.laem.engine.LaemException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The project's JSON and YAML mappers, and file reading with one-line errors. */
public final class Json {
    public static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    public static final ObjectMapper YAML = YAMLMapper.builder(YAMLFactory.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .build())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    }

    private Json() {}

    /** Reads a JSON file into a tree; a missing file or bad JSON is a one-line error naming the file. */
    public static JsonNode readTree(Path file) {
        try {
            return JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new LaemException(file + ": file not found");
        } catch (IOException e) {
            throw new LaemException(file + ": " + describe(e, "JSON"));
        }
    }

    /** Reads a YAML file into a tree. */
    public static JsonNode readYamlTree(Path file) {
        try {
            JsonNode node = YAML.readTree(Files.readAllBytes(file));
            if (node == null || node.isMissingNode()) {
                throw new LaemException(file + ": empty YAML file");
            }
            return node;
        } catch (NoSuchFileException e) {
            throw new LaemException(file + ": file not found");
        } catch (IOException e) {
            throw new LaemException(file + ": " + describe(e, "YAML"));
        }
    }

    /** Parses YAML text; {@code source} names it in errors. Null for an empty document. */
    public static JsonNode parseYaml(String source, String yaml) {
        try {
            return YAML.readTree(yaml);
        } catch (IOException e) {
            throw new LaemException(source + ": " + describe(e, "YAML"));
        }
    }

    /**
     * A parse error as one line without the file name. NaN and infinity (YAML's {@code .nan}/{@code .inf},
     * JSON's non-standard {@code NaN}/{@code Infinity}) are named as such with the key they stand at,
     * rather than reported as malformed text: every number the tool reads must be finite.
     */
    public static String describe(IOException e, String format) {
        return describe(e, format, true);
    }

    /** As {@link #describe(IOException, String)}; {@code withLine}: name the line of a multi-line text. */
    public static String describe(IOException e, String format, boolean withLine) {
        String msg = e instanceof JsonProcessingException p && p.getOriginalMessage() != null ? p.getOriginalMessage() : e.getMessage();
        String first = firstLine(msg);
        Matcher m = NON_FINITE.matcher(first);
        if (m.find()) {
            String key = e instanceof JsonProcessingException p && p.getProcessor() instanceof JsonParser jp ? keyPath(jp.getParsingContext()) : "";
            return (key.isEmpty() ? "" : "key '" + key + "' ") + "is " + m.group(1) + ", which is NaN or infinity: numbers must be finite";
        }
        if (withLine && e instanceof JsonProcessingException p && p.getLocation() != null && p.getLocation().getLineNr() > 0) {
            return "invalid " + format + " at line " + p.getLocation().getLineNr() + ": " + first;
        }
        return "invalid " + format + ": " + first;
    }

    /** YAML's .nan/.inf in any case and sign, JSON's NaN/Infinity tokens, as Jackson reports them. */
    private static final Pattern NON_FINITE = Pattern.compile(
            "(?:Malformed numeric value|Non-standard token|Unrecognized token) '([+-]?\\.(?i:nan|inf)|[+-]?NaN|[+-]?Infinity|[+-]?INF)'");

    /** The dotted key path of a parser context, e.g. {@code weights.a[2]}. */
    private static String keyPath(JsonStreamContext c) {
        StringBuilder sb = new StringBuilder();
        for (JsonStreamContext x = c; x != null && !x.inRoot(); x = x.getParent()) {
            sb.insert(0, x.inArray() ? "[" + Math.max(0, x.getCurrentIndex()) + "]"
                    : x.getCurrentName() == null ? "" : "." + x.getCurrentName());
        }
        return sb.length() > 0 && sb.charAt(0) == '.' ? sb.substring(1) : sb.toString();
    }

    public static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
