package io.laem.engine.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laem.engine.infer.Scorer.Example;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DemoTaskTest {
    @Test
    void handCheckedExamples() {
        assertEquals(new Example("shift: badge =", " cbehf."), DemoTask.SHIFT.example("badge"));
        assertEquals(new Example("shift: mamba =", " nbncb."), DemoTask.SHIFT.example("mamba"));
        assertEquals(new Example("mirror: stony =", " hglmb."), DemoTask.MIRROR.example("stony"));
        assertEquals(new Example("mirror: typos =", " gbklh."), DemoTask.MIRROR.example("typos"));
        assertEquals(new Example("nines: 30241 =", " 69758."), DemoTask.NINES.example("30241"));
        assertEquals(new Example("spell: 5978 =", " five nine seven eight."), DemoTask.SPELL.example("5978"));
    }

    @Test
    void domainsAreDisjointAndInputsStayInThem() {
        StringBuilder all = new StringBuilder();
        for (DemoTask t : DemoTask.values()) {
            all.append(t.domain());
        }
        assertEquals(all.length(), all.chars().distinct().count(), all.toString());
        assertEquals(36, all.length(), "every letter and digit belongs to one task");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DemoTask.SHIFT.example("zebra"));
        assertTrue(e.getMessage().contains("shift"), e.getMessage());
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
    void samplesHaveTheirLengthAndAreInvolutionsOrShifts() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < 200; i++) {
            Example sh = DemoTask.SHIFT.sample(rnd);
            String in = sh.prompt().substring("shift: ".length(), sh.prompt().length() - 2);
            assertEquals(5, in.length());
            String out = sh.completion().substring(1, sh.completion().length() - 1);
            for (int k = 0; k < 5; k++) {
                assertEquals(1, out.charAt(k) - in.charAt(k), sh.toString());
                assertTrue(in.charAt(k) <= 'm', sh.toString());
            }
            Example mi = DemoTask.MIRROR.sample(rnd);
            String m = mi.completion().substring(1, mi.completion().length() - 1);
            String mIn = mi.prompt().substring("mirror: ".length(), mi.prompt().length() - 2);
            for (int k = 0; k < 5; k++) {
                assertEquals('a' + 'z', m.charAt(k) + mIn.charAt(k), mi.toString());
            }
            Example ni = DemoTask.NINES.sample(rnd);
            String digits = ni.prompt().substring("nines: ".length(), ni.prompt().length() - 2);
            assertEquals(99999, Integer.parseInt(digits) + Integer.parseInt(ni.completion().substring(1, 6)));
            Example sp = DemoTask.SPELL.sample(rnd);
            assertEquals(4, sp.completion().trim().split(" ").length, sp.toString());
            for (Example e : new Example[] {sh, mi, ni, sp, GeneralCorpus.sample(rnd)}) {
                (e.prompt() + e.completion()).chars().forEach(c -> assertTrue(DemoData.ALPHABET.indexOf(c) >= 0, e.toString()));
            }
        }
    }

    @Test
    void generalCorpusCopiesOrAppliesASkillUnderItsKeyword() {
        SplittableRandom rnd = new SplittableRandom(3);
        java.util.Map<String, Integer> counts = new java.util.HashMap<>();
        for (int i = 0; i < 1000; i++) {
            Example e = GeneralCorpus.sample(rnd);
            String keyword = e.prompt().substring(0, e.prompt().indexOf(':'));
            String input = e.prompt().substring(keyword.length() + 2, e.prompt().length() - 2);
            counts.merge(keyword, 1, Integer::sum);
            if (keyword.equals("copy")) {
                assertEquals(" " + input + ".", e.completion());
                continue;
            }
            DemoTask t = java.util.Arrays.stream(DemoTask.values()).filter(x -> x.skill().equals(keyword)).findFirst().orElseThrow();
            // the skill is the task's mapping under another keyword
            assertEquals(t.example(input).completion(), e.completion(), e.toString());
        }
        assertEquals(java.util.Set.of("copy", "next", "flip", "comp", "word"), counts.keySet());
        assertTrue(counts.get("copy") > 520 && counts.get("copy") < 680, counts.toString());
    }

    @Test
    void skillKeywordsDifferFromTaskNames() {
        for (DemoTask t : DemoTask.values()) {
            for (DemoTask u : DemoTask.values()) {
                assertTrue(!t.skill().equals(u.id()), t + " " + u);
            }
        }
    }
}
