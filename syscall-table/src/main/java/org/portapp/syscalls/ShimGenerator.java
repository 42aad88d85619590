package org.portapp.syscalls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Generates the shim's C dispatch tables, init sequence and per-syscall entry
 * stubs for a selection of modules (see docs/architecture.md, "The shim entry
 * ABI"). Output: {@code shim_syscalls.h} (numbers, {@code SHIM_HAVE_<module>}
 * for the selected modules, the handler declarations, and for every syscall
 * of the table its typed parameters {@code SHIM_PARAMS_<name>} and their
 * conversions from the raw registers {@code SHIM_ARGS_<name>}; included by
 * posix-shim's shim/shim.h),
 * {@code shim_table.c}, {@code shim_entries.S}.
 */
public final class ShimGenerator {
    public static final String HEADER = "shim_syscalls.h";
    public static final String TABLE = "shim_table.c";
    public static final String ENTRIES = "shim_entries.S";

    /**
     * Syscalls whose entries must change the app's stack; their
     * {@code shim_entry_special_<name>} is hand-written in posix-shim/core.
     */
    public static final Set<String> SPECIAL = Set.of("rt_sigreturn", "clone", "fork", "vfork", "clone3");

    private final SyscallTable table;
    private final List<ShimModule> selected;
    /** syscall name -> selected module answering it, in table order. */
    private final Map<String, ShimModule> handled;

    /**
     * @param selected the modules to build in, in init order (e.g. from
     *                 {@link ShimModules#resolve}); their {@code needs} must be selected too
     */
    public ShimGenerator(SyscallTable table, List<ShimModule> selected) {
        this.table = table;
        this.selected = List.copyOf(selected);
        Set<String> names = this.selected.stream().map(ShimModule::name).collect(Collectors.toSet());
        Map<String, ShimModule> h = new LinkedHashMap<>();
        for (ShimModule m : this.selected) {
            for (String need : m.needs()) {
                if (!names.contains(need)) {
                    throw new SyscallTableException("module '" + m.name() + "' needs '" + need
                            + "', which is not selected");
                }
            }
            for (String s : m.handles()) {
                table.byName(s).orElseThrow(() -> new SyscallTableException(
                        "module '" + m.name() + "' answers unknown syscall '" + s + "'"));
                ShimModule prev = h.putIfAbsent(s, m);
                if (prev != null) {
                    throw new SyscallTableException("syscall '" + s + "' is answered by both '" + prev.name()
                            + "' and '" + m.name() + "'");
                }
            }
        }
        this.handled = h;
    }

    /**
     * Writes the three files into {@code outDir} (created if needed). A file whose
     * content would not change is left untouched, so make does not rebuild it.
     */
    public void writeTo(Path outDir) {
        try {
            Files.createDirectories(outDir);
            writeIfChanged(outDir.resolve(HEADER), header());
            writeIfChanged(outDir.resolve(TABLE), tableC());
            writeIfChanged(outDir.resolve(ENTRIES), entriesS());
        } catch (IOException e) {
            throw new SyscallTableException("cannot write generated shim files to " + outDir + ": " + e.getMessage(), e);
        }
    }

    private static void writeIfChanged(Path file, String content) throws IOException {
        if (Files.isRegularFile(file) && Files.readString(file, StandardCharsets.UTF_8).equals(content)) {
            return;
        }
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }

    private boolean isHandled(Syscall s) {
        return handled.containsKey(s.name());
    }

    private String banner(String commentStart, String linePrefix, String commentEnd) {
        String mods = selected.isEmpty() ? "(none)"
                : selected.stream().map(ShimModule::name).collect(Collectors.joining(" "));
        return commentStart + "\n"
                + linePrefix + "GENERATED FILE - DO NOT EDIT.\n"
                + linePrefix + "Written by org.portapp.syscalls.ShimGenerator (syscall-table) from\n"
                + linePrefix + "syscalls.tsv and the module.conf manifests of the selected modules:\n"
                + linePrefix + "  " + mods + "\n"
                + commentEnd + "\n";
    }

    /**
     * The macro that says {@code module} is selected, e.g. {@code SHIM_HAVE_vfs}
     * (characters a module name may have but a C identifier may not become {@code _}).
     */
    public static String haveMacro(String module) {
        return "SHIM_HAVE_" + module.replaceAll("[^A-Za-z0-9_]", "_");
    }

    /** Contents of {@code shim_syscalls.h}. */
    public String header() {
        StringBuilder b = new StringBuilder();
        b.append(banner("/*", " * ", " */"));
        b.append("#ifndef PORTAPP_SHIM_SYSCALLS_H\n#define PORTAPP_SHIM_SYSCALLS_H\n\n");
        b.append("/* x86_64 syscall numbers (and port-app extensions >= ")
                .append(Syscall.FIRST_EXTENSION_NR).append("). */\n");
        for (Syscall s : table.all()) {
            b.append("#define SHIM_NR_").append(s.name()).append(' ').append(s.nr()).append('\n');
        }
        b.append("#define SHIM_NR_COUNT ").append(table.maxNumber() + 1).append("\n\n");
        b.append("#ifndef __ASSEMBLER__\n\n");
        b.append("/* Every handler takes the six raw argument registers and returns the\n"
                + " * Linux result (-errno on error). */\n");
        b.append("typedef long (*shim_handler_t)(long, long, long, long, long, long);\n\n");
        b.append("""
                /* Selected modules: code calling into an optional module tests
                 * `#if SHIM_HAVE_<module>` (undefined, hence 0, when not selected) and
                 * declares nothing itself: the module's header in shim/ does that. */
                """);
        for (ShimModule m : selected) {
            b.append("#define ").append(haveMacro(m.name())).append(" 1\n");
        }
        b.append("""

                /* Handlers of the selected modules (provided and stubbed), each defined
                 * with SHIM_SYSCALL(<name>) (shim/shim.h), which writes this table-ABI
                 * function around the typed one the module's body is. */
                """);
        for (Syscall s : table.all()) {
            if (isHandled(s)) {
                b.append("/* ").append(handled.get(s.name()).name()).append(": ").append(s.signature()).append(" */\n");
                b.append("long sys_").append(s.name()).append("(long, long, long, long, long, long);\n");
            }
        }
        b.append("""

                /* Structures and unions syscalls.tsv names, declared at file scope so a
                 * parameter's pointer type is the same everywhere (a tag first seen in a
                 * parameter list would be local to that prototype). */
                """);
        for (String tag : tags()) {
            b.append(tag).append(";\n");
        }
        b.append("""

                /* Typed parameters of every syscall of the table, as the kernel declares
                 * them (SHIM_PARAMS_<name>), and the raw argument registers a0..a5
                 * converted to those types (SHIM_ARGS_<name>). SHIM_SYSCALL pastes them;
                 * the scalar and opaque kernel types come from shim/ktypes.h. Every
                 * parameter is marked unused, as a handler need not read them all. */
                """);
        for (Syscall s : table.all()) {
            b.append("#define SHIM_PARAMS_").append(s.name()).append(' ').append(params(s)).append('\n');
            b.append("#define SHIM_ARGS_").append(s.name()).append(args(s)).append('\n');
        }
        b.append("\n/* Name of each number, NULL where the number is unused. */\n");
        b.append("extern const char *const shim_syscall_names[SHIM_NR_COUNT];\n");
        b.append("/* Handler of each number, NULL where no selected module answers it. */\n");
        b.append("extern const shim_handler_t shim_handlers[SHIM_NR_COUNT];\n");
        b.append("/* Entry stub of each number (shim_entry_<nr>, or shim_entry_generic for\n"
                + " * unused numbers); the loader writes these into the rewritten ELF's slots. */\n");
        b.append("extern void *const shim_entries[SHIM_NR_COUNT];\n");
        b.append("/* Calls each selected module's init function, in init order. */\n");
        b.append("void shim_init_modules(void);\n\n");
        b.append("#endif /* __ASSEMBLER__ */\n#endif /* PORTAPP_SHIM_SYSCALLS_H */\n");
        return b.toString();
    }

    /** C tags the table's argument types name, e.g. {@code struct iovec}, sorted. */
    private List<String> tags() {
        Set<String> found = new TreeSet<>();
        for (Syscall s : table.all()) {
            for (Argument a : s.args()) {
                Matcher m = TAG.matcher(a.type());
                while (m.find()) {
                    found.add(m.group(1) + " " + m.group(2));
                }
            }
        }
        return List.copyOf(found);
    }

    private static final Pattern TAG = Pattern.compile("\\b(struct|union)\\s+(\\w+)");

    /** {@code void}, or each declaration followed by the unused attribute. */
    private static String params(Syscall s) {
        if (s.args().isEmpty()) {
            return "void";
        }
        return s.args().stream().map(a -> a.declaration() + " __attribute__((unused))")
                .collect(Collectors.joining(", "));
    }

    /** Empty, or " (type)a0, (type)a1, ..." with its leading space. */
    private static String args(Syscall s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.argCount(); i++) {
            b.append(i == 0 ? " " : ", ").append('(').append(s.args().get(i).type()).append(")a").append(i);
        }
        return b.toString();
    }

    /** Contents of {@code shim_table.c}. */
    public String tableC() {
        StringBuilder b = new StringBuilder();
        b.append(banner("/*", " * ", " */"));
        b.append("#include <stddef.h>\n#include \"shim_syscalls.h\"\n\n");

        b.append("const char *const shim_syscall_names[SHIM_NR_COUNT] = {\n");
        for (Syscall s : table.all()) {
            b.append("    [SHIM_NR_").append(s.name()).append("] = \"").append(s.name()).append("\",\n");
        }
        b.append("};\n\n");

        b.append("const shim_handler_t shim_handlers[SHIM_NR_COUNT] = {\n");
        for (Syscall s : table.all()) {
            if (isHandled(s)) {
                b.append("    [SHIM_NR_").append(s.name()).append("] = sys_").append(s.name()).append(",\n");
            }
        }
        b.append("};\n\n");

        b.append("/* Entry stubs (shim_entries.S, posix-shim/core). They follow the shim entry ABI,\n"
                + " * not the C one: declared as functions only so their addresses can be taken,\n"
                + " * never called from C. */\n");
        b.append("void shim_entry_generic(void);\n");
        for (Syscall s : table.all()) {
            b.append("void shim_entry_").append(s.nr()).append("(void);\n");
        }
        b.append("\nvoid *const shim_entries[SHIM_NR_COUNT] = {\n");
        int next = 0;
        for (Syscall s : table.all()) {
            for (int gap = next; gap < s.nr(); gap++) { // unused numbers (plain C11, no range designators)
                b.append("    [").append(gap).append("] = (void *)shim_entry_generic,\n");
            }
            b.append("    [SHIM_NR_").append(s.name()).append("] = (void *)shim_entry_").append(s.nr()).append(",\n");
            next = s.nr() + 1;
        }
        b.append("};\n\n");

        for (ShimModule m : selected) {
            m.init().ifPresent(f -> b.append("void ").append(f).append("(void); /* ").append(m.name()).append(" */\n"));
        }
        b.append("\nvoid shim_init_modules(void)\n{\n");
        for (ShimModule m : selected) {
            m.init().ifPresent(f -> b.append("    ").append(f).append("(); /* ").append(m.name())
                    .append(", order ").append(m.order()).append(" */\n"));
        }
        b.append("}\n");
        return b.toString();
    }

    /** Contents of {@code shim_entries.S}. */
    public String entriesS() {
        StringBuilder b = new StringBuilder();
        b.append(banner("/*", " * ", " */"));
        b.append("""
                /*
                 * One entry per syscall number, reached by `call` from a rewritten site
                 * with rax = number and arguments in rdi, rsi, rdx, r10, r8, r9. The
                 * trampoline moved rsp 128 bytes down before the call, so the app's red
                 * zone is [rsp + 8, rsp + 136) and pushing below rsp never touches it.
                 * Linux semantics: only rax (result), rcx and r11 may change. C may
                 * clobber rdi, rsi, rdx, r8-r11 and the flags, so those are saved here
                 * (rcx and r11 need not be); rbx, rbp, r12-r15 are callee-saved by C.
                 * The shim is built with -mgeneral-regs-only, so no vector state.
                 *
                 * Provided numbers call sys_<name> directly (no table lookup). Numbers
                 * no selected module answers go to shim_entry_generic (rax still holds
                 * the number). rt_sigreturn, clone, fork, vfork and clone3 need the app's
                 * registers or stack and go to hand-written shim_entry_special_<name>.
                 *
                 * The stack: on the unikernel (SHIM_ENTRY_KSTACK, set by its Makefile) the
                 * entry first moves to the thread's shim stack (SHIM_STACK_ENTER in
                 * shim/regs.h), so nothing is written on the app's stack; elsewhere (linuxu)
                 * it runs on the app's stack, below the red zone.
                 */
                #ifdef SHIM_ENTRY_KSTACK
                #include "shim/regs.h"
                	.macro SHIM_ENTER_STACK
                	.intel_syntax noprefix
                	SHIM_STACK_ENTER
                	.att_syntax prefix
                	.endm
                	.macro SHIM_LEAVE_STACK
                	popq	%rsp
                	.endm
                #else
                	.macro SHIM_ENTER_STACK
                	.endm
                	.macro SHIM_LEAVE_STACK
                	.endm
                #endif
                	.text
                """);
        for (Syscall s : table.all()) {
            String sym = "shim_entry_" + s.nr();
            b.append("\n/* ").append(s.nr()).append(": ").append(s.signature()).append(" */\n");
            b.append("\t.globl\t").append(sym).append('\n');
            b.append("\t.type\t").append(sym).append(", @function\n");
            b.append("\t.p2align 4\n");
            b.append(sym).append(":\n");
            if (SPECIAL.contains(s.name())) {
                b.append("\tjmp\tshim_entry_special_").append(s.name()).append('\n');
            } else if (isHandled(s)) {
                b.append("""
                        	SHIM_ENTER_STACK
                        	pushfq
                        	pushq	%rdi
                        	pushq	%rsi
                        	pushq	%rdx
                        	pushq	%r10
                        	pushq	%r8
                        	pushq	%r9
                        	pushq	%rbx			/* rbx keeps the unaligned rsp across the call */
                        	movq	%rsp, %rbx
                        	andq	$-16, %rsp
                        	cld				/* the SysV ABI wants DF clear on entry */
                        	movq	%r10, %rcx		/* 4th argument: Linux r10, C rcx */
                        """);
                b.append("\tcall\tsys_").append(s.name()).append('\n');
                b.append("""
                        	movq	%rbx, %rsp
                        	popq	%rbx
                        	popq	%r9
                        	popq	%r8
                        	popq	%r10
                        	popq	%rdx
                        	popq	%rsi
                        	popq	%rdi
                        	popfq
                        	SHIM_LEAVE_STACK
                        	ret
                        """);
            } else {
                b.append("\tjmp\tshim_entry_generic\n");
            }
            b.append("\t.size\t").append(sym).append(", .-").append(sym).append('\n');
        }
        b.append("\n\t.section .note.GNU-stack,\"\",@progbits\n");
        return b.toString();
    }
}
