package org.portapp.syscalls;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One POSIX shim module, as declared by {@code posix-shim/<name>/module.conf}.
 *
 * @param name     module name (equal to its folder name)
 * @param dir      the module's folder
 * @param provides syscalls it implements ({@code sys_<name>}), in manifest order
 * @param stubs    syscalls it answers with a fixed result (also {@code sys_<name>})
 * @param needs    names of the modules it depends on
 * @param init     its init function ({@code void f(void)}), if any
 * @param order    init order, ascending ({@value ShimModules#DEFAULT_ORDER} when not given)
 * @param platforms the platforms its manifest names ({@code platforms} key); empty when the
 *                 key is absent, see {@link #availableOn}
 */
public record ShimModule(String name, Path dir, List<String> provides, List<String> stubs,
                         List<String> needs, Optional<String> init, int order, Set<String> platforms) {
    /** The module every build links, on every platform, whatever its manifest says. */
    public static final String CORE = "core";

    public ShimModule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dir, "dir");
        provides = List.copyOf(provides);
        stubs = List.copyOf(stubs);
        needs = List.copyOf(needs);
        Objects.requireNonNull(init, "init");
        platforms = Set.copyOf(platforms);
    }

    /**
     * Whether builds for {@code platform} may select this module. A manifest with a
     * {@code platforms} line is taken at its word; without one, {@code core} is on every
     * platform and any other module is kernel-only ({@value ShimModules#PLATFORM_QEMU}):
     * on linuxu the host kernel does everything but the core.
     */
    public boolean availableOn(String platform) {
        if (!platforms.isEmpty()) {
            return platforms.contains(platform);
        }
        return name.equals(CORE) || platform.equals(ShimModules.PLATFORM_QEMU);
    }

    /** The syscalls this module answers (provided first, then stubbed). */
    public List<String> handles() {
        return java.util.stream.Stream.concat(provides.stream(), stubs.stream()).toList();
    }

    /** The manifest file. */
    public Path manifest() {
        return dir.resolve(ShimModules.MANIFEST);
    }
}
