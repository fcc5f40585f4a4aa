package io.laem.engine.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.infer.Scorer.Example;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DemoTaskTest {
    @Test
    void handCheckedExamples() {
        assertEquals(new Example("reverse: stone =", " enots."), DemoTask.REVERSE.example("stone"));
        assertEquals(new Example("sort: dbcab =", " abbcd."), DemoTask.SORT.example("dbcab"));
        assertEquals(new Example("add: 47+85 =", " 132."), DemoTask.ADD.example("47+85"));
        assertEquals(new Example("add: 0+0 =", " 0."), DemoTask.ADD.example("0+0"));
        assertEquals(new Example("spell: 307 =", " three zero seven."), DemoTask.SPELL.example("307"));
    }

    @Test
    void samplesAreDeterministicForASeedAndDifferAcrossSeeds() {
        for (DemoTask t : DemoTask.values()) {
            SplittableRandom a = new SplittableRandom(5);
            SplittableRandom b = new SplittableRandom(5);
            SplittableRandom c = new SplittableRandom(6);
            StringBuilder sa = new StringBuilder();
            StringBuilder sb = new StringBuilder();
            StringBuilder sc = new StringBuilder();
            for (int i = 0; i < 20; i++) {
                sa.append(t.sample(a));
                sb.append(t.sample(b));
                sc.append(t.sample(c));
            }
            assertEquals(sa.toString(), sb.toString(), t.id());
            assertTrue(!sa.toString().equals(sc.toString()), t.id());
        }
    }

    @Test
    void samplesAreCorrectAndInTheAlphabet() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < 200; i++) {
            Example r = DemoTask.REVERSE.sample(rnd);
            String in = r.prompt().substring("reverse: ".length(), r.prompt().length() - 2);
            assertEquals(" " + new StringBuilder(in).reverse() + ".", r.completion());
            Example a = DemoTask.ADD.sample(rnd);
            String[] ab = a.prompt().substring("add: ".length(), a.prompt().length() - 2).split("\\+");
            assertEquals(" " + (Integer.parseInt(ab[0]) + Integer.parseInt(ab[1])) + ".", a.completion());
            Example s = DemoTask.SORT.sample(rnd);
            String sorted = s.completion().substring(1, s.completion().length() - 1);
            for (int k = 1; k < sorted.length(); k++) {
                assertTrue(sorted.charAt(k - 1) <= sorted.charAt(k), s.toString());
            }
            Example sp = DemoTask.SPELL.sample(rnd);
            String digits = sp.prompt().substring("spell: ".length(), sp.prompt().length() - 2);
            assertEquals(digits.length(), sp.completion().trim().split(" ").length, sp.toString());
            for (Example e : new Example[] {r, a, s, sp, GeneralCorpus.sample(rnd)}) {
                (e.prompt() + e.completion()).chars().forEach(c -> assertTrue(DemoData.ALPHABET.indexOf(c) >= 0, e.toString()));
            }
        }
    }

    @Test
    void generalCorpusCopiesItsInput() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 100; i++) {
            Example e = GeneralCorpus.sample(rnd);
            assertTrue(e.prompt().startsWith("copy: "), e.toString());
            assertEquals(" " + e.prompt().substring(6, e.prompt().length() - 2) + ".", e.completion());
        }
    }
}
