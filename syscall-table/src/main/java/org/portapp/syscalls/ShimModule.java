package org.portapp.syscalls;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

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
 */
public record ShimModule(String name, Path dir, List<String> provides, List<String> stubs,
                         List<String> needs, Optional<String> init, int order) {
    public ShimModule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dir, "dir");
        provides = List.copyOf(provides);
        stubs = List.copyOf(stubs);
        needs = List.copyOf(needs);
        Objects.requireNonNull(init, "init");
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
