package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code port-app compat} on a fake LTP tree, natively and on linuxu: classification of every
 * kind of result, the time limit, the output formats, the baseline and the one-line errors.
 */
class CompatCommandTest {
    @TempDir
    static Path tmp;

    static Path ltp;
    static CliRunner.Result full;
    static long fullMillis;

    @BeforeAll
    static void runOnce() throws Exception {
        ltp = FakeLtp.make(tmp);
        long t0 = System.nanoTime();
        full = CliRunner.run("compat", "--ltp", ltp.toString(), "--platform", "linuxu", "--timeout", "3",
                "--jobs", "2", "--out", tmp.resolve("out").toString(), "--no-baseline");
        fullMillis = (System.nanoTime() - t0) / 1_000_000;
    }

    private static String row(String test, String verdicts) {
        return "| " + test + " | " + verdicts + " |";
    }

    @Test
    void classifiesEveryKindOfResultOnBothSides() {
        assertEquals(0, full.exitCode(), full::stderr);
        String out = full.stdout();
        assertTrue(out.contains(row("pass01", "PASS | PASS")), out);
        assertTrue(out.contains(row("fail01", "FAIL | FAIL")), out);
        assertTrue(out.contains(row("brok01", "BROK | BROK")), out);
        assertTrue(out.contains(row("warn01", "WARN | WARN")), out);
        assertTrue(out.contains(row("conf01", "CONF | CONF")), out);
        assertTrue(out.contains(row("failconf01", "FAIL | FAIL")), out); // 1|32: the failure wins
        assertTrue(out.contains(row("hang01", "TIMEOUT | TIMEOUT")), out);
        assertTrue(out.contains(row("crash01", "CRASH | CRASH")), out);
        assertTrue(out.contains(row("tmpdir01", "PASS | PASS")), out);
        assertTrue(out.contains(row("fork01", "PASS | PASS")), out);
        assertTrue(out.contains(row("missing01", "MISSING | MISSING")), out);
        assertTrue(out.contains("| fail01 | FAIL | FAIL | native: fake-ltp.c:47: TFAIL: open() expected EINVAL: "
                + "ENOENT (2) |"), out);
        assertTrue(out.contains("native: 3 of 11 tests pass"), out);
        assertTrue(out.contains("linuxu: 3 of the 3 tests passing natively also pass on linuxu (3 pass in all)"), out);
    }

    @Test
    void progressLineForEveryTestAndOneLineForTheMissingBinary() {
        String err = full.stderr();
        assertTrue(err.contains("[ 1/11] pass01"), err);
        assertTrue(err.contains("[11/11] missing01"), err);
        assertTrue(err.contains("ETA"), err);
        List<String> missing = err.lines().filter(l -> l.contains("not-built") && !l.startsWith("[")).toList();
        assertEquals(1, missing.size(), err);
        assertTrue(missing.get(0).startsWith("port-app: compat: missing01: no binary not-built in "), err);
    }

    @Test
    void aHungTestIsKilledAtTheLimitAndTheRunGoesOn() throws Exception {
        Map<?, ?> hang = result("hang01", "native");
        long ms = ((Number) hang.get("ms")).longValue();
        // SIGTERM at the limit, which it ignores, then SIGKILL 5 s later
        assertTrue(ms >= 8000 && ms < 20_000, "hang01 took " + ms + " ms");
        assertEquals("TIMEOUT", result("hang01", "linuxu").get("outcome"));
        assertTrue(fullMillis < 60_000, "the run took " + fullMillis + " ms");
        // killed, not left behind
        Thread.sleep(200);
        assertFalse(ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().orElse("")
                .contains(ltp.resolve("testcases/bin/fake-ltp") + " hang")), "a hung fake-ltp is still running");
    }

    @Test
    void resultsCarryTheCauseAndTheFirstFailureLine() throws Exception {
        Map<?, ?> fail = result("fail01", "linuxu");
        assertEquals("FAIL", fail.get("outcome"));
        assertEquals(1L, fail.get("exit"));
        assertEquals("fake-ltp.c:47: TFAIL: open() expected EINVAL: ENOENT (2)", fail.get("detail"));
        assertEquals("wrong errno", fail.get("cause"));
        assertEquals("killed by SIGSEGV", result("crash01", "native").get("detail"));
        assertEquals(139L, result("crash01", "linuxu").get("exit"));
        assertEquals("fake-ltp.c:59: TCONF: not supported on this system", result("conf01", "native").get("detail"));
        assertEquals("fake-ltp.c:64: TFAIL: another failed", result("failconf01", "native").get("detail"));
    }

    @Test
    void writesMarkdownJsonAndJunit() throws Exception {
        Path out = tmp.resolve("out");
        String md = Files.readString(out.resolve("results.md"));
        assertTrue(md.contains("| platform | PASS | FAIL | BROK | WARN | CONF | TIMEOUT | CRASH | KFAULT | FORK |"), md);
        assertTrue(md.contains("| native | 3 | 2 | 1 | 1 | 1 | 1 | 1 | 0 | 0 | 1 | 0 |"), md);
        assertTrue(md.contains("## Failures by cause"), md);
        // directories from the tags (an installation keeps no source folders)
        assertTrue(md.contains("| pass | 1 | 1 | 1 |"), md);
        assertTrue(md.contains("| hang | 1 | 0 | 0 |"), md);
        String xml = Files.readString(out.resolve("junit.xml"));
        assertTrue(xml.contains("<testsuite name=\"ltp.linuxu\" tests=\"11\" failures=\"6\" errors=\"0\" skipped=\"2\""),
                xml);
        assertTrue(xml.contains("name=\"hang01\""), xml);
        assertTrue(xml.contains("<failure type=\"TIMEOUT\" message=\"TIMEOUT: killed at the time limit\"/>"), xml);
        assertTrue(xml.contains("<skipped message=\"CONF: fake-ltp.c:59: TCONF: not supported on this system\"/>"), xml);
        assertTrue(xml.contains("TFAIL: open() expected EINVAL: ENOENT (2)"), xml);
    }

    @Test
    void baselineListsTestsThatPassedThereAndFailNow() throws Exception {
        String json = Files.readString(tmp.resolve("out/results.json"));
        Path same = tmp.resolve("same.json");
        Files.writeString(same, json);
        String[] args = {"compat", "--ltp", ltp.toString(), "--platform", "linuxu", "--filter", "^(pass|fail)01$",
            "--out", tmp.resolve("out2").toString(), "--baseline", ""};
        args[args.length - 1] = same.toString();
        CliRunner.Result ok = CliRunner.run(args);
        assertEquals(0, ok.exitCode(), ok.stderr());
        assertTrue(ok.stdout().contains("baseline: no test that passed there fails now"), ok.stdout());
        // a baseline in which fail01 passed on linuxu
        Map<String, Object> doc = castMap(Json.parse(json));
        Map<String, Object> linuxu = castMap(castMap(castMap(castMap(doc.get("tests")).get("fail01"))
                .get("results")).get("linuxu"));
        linuxu.put("outcome", "PASS");
        Path better = tmp.resolve("better.json");
        Files.writeString(better, Json.render(doc));
        args[args.length - 1] = better.toString();
        CliRunner.Result worse = CliRunner.run(args);
        assertEquals(CompatCommand.REGRESSION_EXIT, worse.exitCode(), worse.stderr());
        assertTrue(worse.stderr().contains("port-app: compat: 1 test(s) passed in the baseline and do not now:"),
                worse.stderr());
        assertTrue(worse.stderr().contains("  fail01 on linuxu: PASS in the baseline, FAIL now (fake-ltp.c:47: TFAIL: "
                + "open() expected EINVAL: ENOENT (2))"), worse.stderr());
    }

    @Test
    void badInputGetsOneLine() throws Exception {
        Path notLtp = Files.createDirectories(tmp.resolve("not-ltp"));
        oneLine(CliRunner.run("compat", "--ltp", tmp.resolve("nowhere").toString()),
                "port-app: error: --ltp " + tmp.resolve("nowhere") + ": no such directory");
        oneLine(CliRunner.run("compat", "--ltp", notLtp.toString()),
                "port-app: error: --ltp " + notLtp + ": not an LTP tree (no runtest/ directory; give LTP's install "
                        + "prefix or its built source tree)");
        oneLine(CliRunner.run("compat", "--ltp", ltp.toString(), "--runtest", "nosuch"),
                "port-app: error: runtest file " + ltp.resolve("runtest/nosuch") + " not found");
        oneLine(CliRunner.run("compat", "--ltp", ltp.toString(), "--filter", "^zzz"),
                "port-app: error: no test in " + ltp.resolve("runtest/syscalls") + " matches --filter ^zzz");
        oneLine(CliRunner.run("compat", "--ltp", ltp.toString(), "--filter", "(("),
                "port-app: error: --filter ((: not a regular expression: Unclosed group");
        oneLine(CliRunner.run("compat", "--ltp", ltp.toString(), "--platform", "vax"),
                "port-app: error: unknown platform 'vax' (compat takes linuxu, qemu-pc, qemu-microvm; native always "
                        + "runs)");
        Path garbage = tmp.resolve("garbage.json");
        Files.writeString(garbage, "{\"tests\": [1,");
        CliRunner.Result r = CliRunner.run("compat", "--ltp", ltp.toString(), "--baseline", garbage.toString());
        assertEquals(1, r.exitCode(), r.stderr());
        assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
        assertTrue(r.stderr().startsWith("port-app: error: --baseline " + garbage + ": not JSON"), r.stderr());
    }

    private static void oneLine(CliRunner.Result r, String message) {
        assertEquals(1, r.exitCode(), r.stderr());
        assertEquals(message, r.stderr().strip());
    }

    private Map<?, ?> result(String test, String platform) throws Exception {
        Map<?, ?> doc = (Map<?, ?>) Json.parse(Files.readString(tmp.resolve("out/results.json")));
        Map<?, ?> t = (Map<?, ?>) ((Map<?, ?>) doc.get("tests")).get(test);
        return (Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) t.get("results"))).get(platform);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }
}
