package org.portapp.pkg;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.portapp.syscalls.ShimModule;
import org.portapp.syscalls.ShimModules;

/**
 * Which of a recipe's {@code needs} a platform has, and why not when it has not: what
 * {@code pkg list} shows as a recipe's status and what fails its smoke test.
 *
 * @param platform the platform's CLI name
 * @param missing  capability to the reason it is missing (empty: every capability is there)
 */
public record PlatformSupport(String platform, Map<String, String> missing) {
    public PlatformSupport {
        missing = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(missing));
    }

    /** The platforms {@code pkg run} boots: the unikernel under QEMU. */
    public static final List<String> PLATFORMS = List.of("qemu-pc", "qemu-microvm");

    /**
     * What the unikernel has, read from the shim modules' manifests: {@code network} when a
     * unikernel module implements {@code socket}, {@code processes} when one implements
     * {@code fork} and {@code execve} (posix-shim/process).
     */
    public static PlatformSupport of(String platform, ShimModules modules) {
        Map<String, String> missing = new LinkedHashMap<>();
        ShimModules kernel = modules.forPlatform(ShimModules.PLATFORM_QEMU);
        boolean socket = kernel.modules().stream().map(ShimModule::provides).anyMatch(p -> p.contains("socket"));
        if (!socket) {
            missing.put("network", "the unikernel has no network stack yet (no shim module provides socket)");
        }
        boolean fork = kernel.modules().stream().map(ShimModule::provides)
                .anyMatch(p -> p.contains("fork") && p.contains("execve"));
        if (!fork) {
            missing.put("processes", "the unikernel has no processes (no shim module provides fork and execve)");
        }
        return new PlatformSupport(platform, missing);
    }

    /** The reasons {@code recipe} cannot run here, one per missing need; empty if it can. */
    public List<String> unmet(Recipe recipe) {
        List<String> out = new ArrayList<>();
        for (String n : recipe.needs()) {
            if (missing.containsKey(n)) {
                out.add("needs " + n + ": " + missing.get(n));
            }
        }
        return out;
    }

    /** A short status: "ready", or "needs network" (the reasons in {@link #unmet}). */
    public String status(Recipe recipe) {
        List<String> n = recipe.needs().stream().filter(missing::containsKey).toList();
        return n.isEmpty() ? "ready" : "needs " + String.join("+", n);
    }
}
