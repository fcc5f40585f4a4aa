package io.laem.engine.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.laem.engine.fixtures.Fixtures;
import io.laem.engine.io.DType;
import io.laem.engine.io.Json;
import io.laem.engine.model.ModuleKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterWriterTest {
    @TempDir
    Path tmp;

    @Test
    void writeLoadWriteIsByteIdentical() throws IOException {
        Path base = Fixtures.tinyLlama(tmp);
        for (Map.Entry<String, Path> e : Fixtures.allAdapters(tmp.resolve("in"), base).entrySet()) {
            LoraAdapter a = LoraAdapter.load(e.getValue());
            Path again = tmp.resolve("again").resolve(e.getKey());
            AdapterWriter.write(again, a.config().raw(), a.modules().values(), DType.F32);
            assertArrayEquals(Files.readAllBytes(e.getValue().resolve(LoraAdapter.WEIGHTS)), Files.readAllBytes(again.resolve(LoraAdapter.WEIGHTS)),
                    e.getKey());
            assertEquals(Files.readString(e.getValue().resolve(LoraConfig.FILE)), Files.readString(again.resolve(LoraConfig.FILE)), e.getKey());
            assertEquals(Json.JSON.readTree(e.getValue().resolve(LoraConfig.FILE).toFile()), a.config().raw());
        }
    }

    @Test
    void halfPrecisionRoundTripIsStableAfterTheFirstRounding() throws IOException {
        Path base = Fixtures.tinyQwen2(tmp);
        LoraAdapter a = LoraAdapter.load(Fixtures.adapter(tmp.resolve("a"), base, Fixtures.allLinear(), 3));
        for (DType d : new DType[] {DType.BF16, DType.F16}) {
            Path once = tmp.resolve("once-" + d);
            Path twice = tmp.resolve("twice-" + d);
            AdapterWriter.write(once, a.config().raw(), a.modules().values(), d);
            LoraAdapter b = LoraAdapter.load(once);
            AdapterWriter.write(twice, b.config().raw(), b.modules().values(), d);
            assertArrayEquals(Files.readAllBytes(once.resolve(LoraAdapter.WEIGHTS)), Files.readAllBytes(twice.resolve(LoraAdapter.WEIGHTS)));
            LoraModule m = a.modules().firstEntry().getValue();
            LoraModule n = b.modules().firstEntry().getValue();
            assertEquals(m.a()[0], n.a()[0], Math.abs(m.a()[0]) / (d == DType.BF16 ? 128 : 1024));
        }
    }

    @Test
    void configForReproducesEveryModulesRankAndScale() throws IOException {
        Path base = Fixtures.tinyLlama(tmp);
        // modules of mixed ranks and scales: patterned (ranks 8/4, scales 2/0.5/4), rsLoRA (scale 4), qv (scale 2)
        List<LoraModule> mixed = new ArrayList<>();
        LoraAdapter patterned = LoraAdapter.load(Fixtures.adapter(tmp.resolve("p"), base, Fixtures.patterned(), 1));
        mixed.addAll(patterned.modules().values().stream().filter(m -> m.key().layer() == 1).toList());
        LoraAdapter rs = LoraAdapter.load(Fixtures.adapter(tmp.resolve("r"), base, Fixtures.rslora(), 2));
        mixed.addAll(rs.modules().values().stream().filter(m -> m.key().layer() == 0).toList());
        ObjectNode cfg = AdapterWriter.configFor(mixed, base.toString());
        Path out = tmp.resolve("out");
        AdapterWriter.write(out, cfg, mixed, DType.F32);
        LoraAdapter back = LoraAdapter.load(out);
        assertEquals(mixed.size(), back.modules().size());
        for (LoraModule m : mixed) {
            LoraModule b = back.modules().get(m.key());
            assertEquals(m.rank(), b.rank(), m.key().toString());
            assertEquals(m.scale(), b.scale(), 1e-12 * m.scale(), m.key().toString());
            assertArrayEquals(m.a(), b.a());
            assertArrayEquals(m.b(), b.b());
        }
        assertEquals(base.toString(), back.config().baseModelNameOrPath());
        // the most common rank is r; the others are spelled out per module
        int r = back.config().r();
        for (ModuleKey k : back.modules().keySet()) {
            String name = LoraConfig.moduleName(k);
            assertEquals(back.modules().get(k).rank() != r, back.config().rankPattern().containsKey(name), name);
        }
    }
}
