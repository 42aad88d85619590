package org.portapp.compat;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A compat run's results in every form it is published in: the Markdown summary and table,
 * a JSON document (also the {@code --baseline} format) and JUnit XML for CI systems.
 *
 * @param platforms the targets' names, in the run's order ({@code native} first when run)
 * @param rows      one per test, in the runtest file's order
 * @param meta      what the run was
 */
public record Report(List<String> platforms, List<CompatRun.Row> rows, Meta meta) {
    public Report {
        platforms = List.copyOf(platforms);
        rows = List.copyOf(rows);
    }

    /**
     * What was run, where and when.
     *
     * @param ltp         the LTP tree
     * @param ltpVersion  its version (git describe, or its Version file)
     * @param runtest     the runtest file
     * @param filter      the --filter regex, or empty
     * @param portApp     port-app's commit, or empty when unknown
     * @param date        when the run started (UTC, ISO 8601)
     * @param wallSeconds how long it took
     * @param jobs        runs at once
     * @param timeoutSeconds each test's limit
     */
    public record Meta(String ltp, String ltpVersion, String runtest, String filter, String portApp, String date,
                       long wallSeconds, int jobs, long timeoutSeconds) {
    }

    /** A test that passed in the baseline and does not now. */
    public record Regression(String test, String platform, String now, String detail) {
        @Override
        public String toString() {
            return test + " on " + platform + ": PASS in the baseline, " + now + " now"
                    + (detail.isEmpty() ? "" : " (" + detail + ")");
        }
    }

    /** Outcome counts on {@code platform}. */
    public Map<Outcome, Integer> counts(String platform) {
        Map<Outcome, Integer> c = new EnumMap<>(Outcome.class);
        for (Outcome o : Outcome.values()) {
            c.put(o, 0);
        }
        rows.forEach(r -> c.merge(r.results().get(platform).outcome(), 1, Integer::sum));
        return c;
    }

    /** The one-line verdicts: "X of the Y tests passing natively also pass on P". */
    public List<String> summaryLines() {
        List<String> out = new ArrayList<>();
        boolean haveNative = platforms.contains(NativeTarget.NAME);
        long nativePass = rows.stream().filter(r -> passed(r, NativeTarget.NAME)).count();
        for (String p : platforms) {
            long pass = rows.stream().filter(r -> passed(r, p)).count();
            if (p.equals(NativeTarget.NAME)) {
                out.add(String.format("native: %d of %d tests pass", pass, rows.size()));
            } else if (haveNative) {
                long both = rows.stream().filter(r -> passed(r, NativeTarget.NAME) && passed(r, p)).count();
                out.add(String.format("%s: %d of the %d tests passing natively also pass on %s (%d pass in all)",
                        p, both, nativePass, p, pass));
            } else {
                out.add(String.format("%s: %d of %d tests pass", p, pass, rows.size()));
            }
        }
        return out;
    }

    private static boolean passed(CompatRun.Row r, String platform) {
        TestResult t = r.results().get(platform);
        return t != null && t.outcome() == Outcome.PASS;
    }

    /** The whole report: summary, per-directory counts, failures by cause, and the per-test table. */
    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append(summaryMarkdown());
        sb.append("\n## Every test\n\n");
        sb.append(table());
        return sb.toString();
    }

    /** Everything but the per-test table. */
    public String summaryMarkdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# LTP compat results\n\n");
        sb.append("| | |\n|---|---|\n");
        sb.append("| LTP | ").append(cell(meta.ltp())).append(" (").append(cell(meta.ltpVersion())).append(") |\n");
        sb.append("| runtest | ").append(cell(meta.runtest()))
                .append(meta.filter().isEmpty() ? "" : ", filter `" + cell(meta.filter()) + "`").append(" |\n");
        sb.append("| port-app | ").append(meta.portApp().isEmpty() ? "unknown" : meta.portApp()).append(" |\n");
        sb.append("| date | ").append(meta.date()).append(" |\n");
        sb.append("| wall time | ").append(duration(meta.wallSeconds())).append(" (").append(meta.jobs())
                .append(" jobs, ").append(meta.timeoutSeconds()).append(" s limit per test) |\n\n");
        summaryLines().forEach(l -> sb.append("- ").append(l).append('\n'));
        sb.append("\n| platform |");
        for (Outcome o : Outcome.values()) {
            sb.append(' ').append(o.label()).append(" |");
        }
        sb.append("\n|---|");
        sb.append("---:|".repeat(Outcome.values().length)).append('\n');
        for (String p : platforms) {
            sb.append("| ").append(p).append(" |");
            counts(p).values().forEach(n -> sb.append(' ').append(n).append(" |"));
            sb.append('\n');
        }
        sb.append("\n## By syscall directory (tests passing)\n\n| directory | tests |");
        platforms.forEach(p -> sb.append(' ').append(p).append(" |"));
        sb.append("\n|---|---:|").append("---:|".repeat(platforms.size())).append('\n');
        Map<String, List<CompatRun.Row>> byDir = new TreeMap<>();
        rows.forEach(r -> byDir.computeIfAbsent(r.directory(), k -> new ArrayList<>()).add(r));
        byDir.forEach((dir, rs) -> {
            sb.append("| ").append(cell(dir)).append(" | ").append(rs.size()).append(" |");
            platforms.forEach(p -> sb.append(' ').append(rs.stream().filter(r -> passed(r, p)).count()).append(" |"));
            sb.append('\n');
        });
        sb.append("\n## Failures by cause\n\nOn each port-app platform, the tests that pass natively (or all of them "
                + "when native was not run) and do not pass there, grouped by cause.\n");
        for (String p : platforms) {
            if (p.equals(NativeTarget.NAME)) {
                continue;
            }
            Map<String, List<String>> byCause = new TreeMap<>();
            for (CompatRun.Row r : rows) {
                TestResult t = r.results().get(p);
                boolean nativeOk = !platforms.contains(NativeTarget.NAME) || passed(r, NativeTarget.NAME);
                if (nativeOk && t.outcome() != Outcome.PASS) {
                    byCause.computeIfAbsent(t.cause(), k -> new ArrayList<>()).add(r.test().tag());
                }
            }
            sb.append("\n### ").append(p).append("\n\n| cause | tests | which |\n|---|---:|---|\n");
            byCause.entrySet().stream()
                    .sorted((a, b) -> b.getValue().size() - a.getValue().size())
                    .forEach(e -> sb.append("| ").append(cell(e.getKey())).append(" | ").append(e.getValue().size())
                            .append(" | ").append(names(e.getValue())).append(" |\n"));
        }
        return sb.toString();
    }

    /** The per-test table: test, each platform's verdict, the first failure line. */
    public String table() {
        StringBuilder sb = new StringBuilder("| test |");
        platforms.forEach(p -> sb.append(' ').append(p).append(" |"));
        sb.append(" first failure |\n|---|").append("---|".repeat(platforms.size())).append("---|\n");
        for (CompatRun.Row r : rows) {
            sb.append("| ").append(cell(r.test().tag())).append(" |");
            String first = "";
            for (String p : platforms) {
                TestResult t = r.results().get(p);
                sb.append(' ').append(t.outcome().label()).append(" |");
                if (first.isEmpty() && t.outcome() != Outcome.PASS && !t.detail().isEmpty()) {
                    first = p + ": " + t.detail();
                }
            }
            sb.append(' ').append(cell(shorten(first, 140))).append(" |\n");
        }
        return sb.toString();
    }

    /** The JSON document (rendered by the caller): meta, summary, and every test's result per platform. */
    public Map<String, Object> json() {
        Map<String, Object> doc = new LinkedHashMap<>();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ltp", meta.ltp());
        m.put("ltpVersion", meta.ltpVersion());
        m.put("runtest", meta.runtest());
        m.put("filter", meta.filter());
        m.put("portApp", meta.portApp());
        m.put("date", meta.date());
        m.put("wallSeconds", meta.wallSeconds());
        m.put("jobs", meta.jobs());
        m.put("timeoutSeconds", meta.timeoutSeconds());
        doc.put("run", m);
        doc.put("platforms", platforms);
        doc.put("summary", summaryLines());
        Map<String, Object> tests = new LinkedHashMap<>();
        for (CompatRun.Row r : rows) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("command", String.join(" ", r.test().argv()));
            t.put("directory", r.directory());
            Map<String, Object> res = new LinkedHashMap<>();
            r.results().forEach((p, x) -> {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("outcome", x.outcome().name());
                one.put("exit", x.exitCode());
                one.put("detail", x.detail());
                one.put("cause", x.cause());
                one.put("ms", x.millis());
                res.put(p, one);
            });
            t.put("results", res);
            tests.put(r.test().tag(), t);
        }
        doc.put("tests", tests);
        return doc;
    }

    /**
     * The tests that passed on a platform in {@code baseline} (a parsed {@link #json()}
     * document) and do not pass on it now; tests or platforms not in both are not compared.
     */
    public List<Regression> regressions(Map<?, ?> baseline) {
        if (!(baseline.get("tests") instanceof Map<?, ?> tests)) {
            throw new CompatException("the baseline has no \"tests\" object (is it a compat results.json?)");
        }
        List<Regression> out = new ArrayList<>();
        for (CompatRun.Row r : rows) {
            if (!(tests.get(r.test().tag()) instanceof Map<?, ?> t) || !(t.get("results") instanceof Map<?, ?> res)) {
                continue;
            }
            for (String p : platforms) {
                if (res.get(p) instanceof Map<?, ?> was && Outcome.PASS.name().equals(was.get("outcome"))) {
                    TestResult now = r.results().get(p);
                    if (now.outcome() != Outcome.PASS) {
                        out.add(new Regression(r.test().tag(), p, now.outcome().label(), now.detail()));
                    }
                }
            }
        }
        return out;
    }

    /** JUnit XML: one test suite per platform, one test case per test. */
    public String junit() {
        StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ltp\">\n");
        for (String p : platforms) {
            Map<Outcome, Integer> c = counts(p);
            int skipped = c.get(Outcome.CONF) + c.get(Outcome.MISSING);
            int errors = c.get(Outcome.ERROR);
            int failures = rows.size() - c.get(Outcome.PASS) - skipped - errors;
            double time = rows.stream().mapToLong(r -> r.results().get(p).millis()).sum() / 1000.0;
            sb.append(String.format("  <testsuite name=\"ltp.%s\" tests=\"%d\" failures=\"%d\" errors=\"%d\" "
                    + "skipped=\"%d\" time=\"%.3f\">%n", xml(p), rows.size(), failures, errors, skipped, time));
            for (CompatRun.Row r : rows) {
                TestResult t = r.results().get(p);
                sb.append(String.format("    <testcase classname=\"ltp.%s.%s\" name=\"%s\" time=\"%.3f\"",
                        xml(p), xml(r.directory()), xml(r.test().tag()), t.millis() / 1000.0));
                String msg = xml(t.outcome().label() + (t.detail().isEmpty() ? "" : ": " + t.detail()));
                switch (t.outcome()) {
                    case PASS -> sb.append("/>\n");
                    case CONF, MISSING -> sb.append(">\n      <skipped message=\"").append(msg).append("\"/>\n")
                            .append("    </testcase>\n");
                    case ERROR -> sb.append(">\n      <error message=\"").append(msg).append("\"/>\n")
                            .append("    </testcase>\n");
                    default -> sb.append(">\n      <failure type=\"").append(t.outcome().label())
                            .append("\" message=\"").append(msg).append("\"/>\n    </testcase>\n");
                }
            }
            sb.append("  </testsuite>\n");
        }
        return sb.append("</testsuites>\n").toString();
    }

    /** 45 s, 3m05s, 1h02m. */
    public static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + " s";
        }
        if (seconds < 3600) {
            return String.format("%dm%02ds", seconds / 60, seconds % 60);
        }
        return String.format("%dh%02dm", seconds / 3600, seconds % 3600 / 60);
    }

    private static String names(List<String> tags) {
        int max = 25;
        String shown = String.join(", ", tags.subList(0, Math.min(max, tags.size())));
        return tags.size() > max ? shown + ", ... (" + (tags.size() - max) + " more)" : shown;
    }

    private static String shorten(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }

    private static String xml(String s) {
        StringBuilder sb = new StringBuilder();
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                default -> {
                    if (ch >= 0x20 || ch == '\t') {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.toString();
    }
}
