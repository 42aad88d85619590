package org.portapp.platform.qemu;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.portapp.image.Closure;
import org.portapp.image.ArgumentFiles;
import org.portapp.image.FileMapping;
import org.portapp.image.HostMount;
import org.portapp.image.Image;
import org.portapp.image.PackageData;
import org.portapp.image.ProcessFootprint;
import org.portapp.image.Progress;
import org.portapp.image.RewriteCache;
import org.portapp.image.RuntimeFiles;
import org.portapp.image.SystemRoot;
import org.portapp.syscalls.ShimModule;

/**
 * One app made ready to boot as a unikernel (what {@code build} and {@code run} share): the
 * app rewritten (cached), its footprint read, the kernel specialized for it built (cached),
 * and the app with its files put into an initrd.
 *
 * @param kernel    the kernel built for the footprint
 * @param initrd    the initrd's bytes
 * @param cmdline   what the kernel command line says about the app
 * @param footprint the app's syscall footprint (every object's, for a dynamic app)
 * @param guestExe  the executable's path in the guest
 * @param knownOnly whether modules were selected for the statically known numbers only
 * @param packageData one line per package whose data files went into the image
 */
public record UnikernelApp(QemuPlatform.Kernel kernel, byte[] initrd, KernelCommandLine cmdline,
                           AppFootprint footprint, String guestExe, boolean knownOnly, List<String> packageData) {
    public UnikernelApp {
        packageData = List.copyOf(packageData);
    }

    /**
     * What to boot and how.
     *
     * @param binary    the app's file on the host
     * @param argv0     argv[0]: the app as the user named it
     * @param args      its arguments
     * @param env       its whole environment, in order ({@link org.portapp.image.AppEnvironment})
     * @param workdir   its working directory (absolute)
     * @param files     the user's files and trees
     * @param trace     trace every syscall on the console
     * @param noRewrite put the app in unrewritten
     * @param knownOnly select modules for the statically known numbers only
     * @param packageData add the data files of the app's Debian packages ({@link PackageData})
     * @param mounts    host directories the kernel mounts ({@link QemuMounts}): the kernel gets 9pfs
     */
    public record Request(Path binary, String argv0, List<String> args, Map<String, String> env, String workdir,
                          List<FileMapping> files,
                          boolean trace, boolean noRewrite, boolean knownOnly, boolean packageData,
                          List<HostMount> mounts) {
        public Request {
            args = List.copyOf(args);
            env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
            files = List.copyOf(files);
            mounts = List.copyOf(mounts);
        }

        /** A request without mounts. */
        public Request(Path binary, String argv0, List<String> args, Map<String, String> env, String workdir,
                       List<FileMapping> files, boolean trace, boolean noRewrite, boolean knownOnly,
                       boolean packageData) {
            this(binary, argv0, args, env, workdir, files, trace, noRewrite, knownOnly, packageData, List.of());
        }
    }

    /**
     * Prepares {@code request} with the platform sources under {@code root}, caching under
     * {@code cacheDir}. A dynamically linked app takes its whole image (closure, /etc defaults,
     * runtime files, dlopen'ed libraries, the user's files) into the initrd.
     */
    public static UnikernelApp prepare(Path root, Path cacheDir, Request request) {
        return prepare(root, cacheDir, request, Progress.verbose(System.err::println));
    }

    /** As {@link #prepare(Path, Path, Request)}, saying what it does on {@code progress}. */
    public static UnikernelApp prepare(Path root, Path cacheDir, Request request, Progress progress) {
        return prepare(root, cacheDir, request, progress, SystemRoot.host(), null);
    }

    /**
     * As {@link #prepare(Path, Path, Request, Progress)}, with the kernel built for
     * {@code modules} (null: the modules the app's footprint selects). Many apps given the
     * same list (every module: {@code port-app compat}) share one cached kernel.
     */
    public static UnikernelApp prepare(Path root, Path cacheDir, Request request, Progress progress,
                                       List<ShimModule> modules) {
        return prepare(root, cacheDir, request, progress, SystemRoot.host(), modules);
    }

    /**
     * As {@link #prepare(Path, Path, Request, Progress)} for an app of the system {@code sys}
     * (the host's, or unpacked packages): {@code request.binary()} is then the program's
     * absolute path in that system, and its closure, runtime files and package data come
     * from there.
     */
    public static UnikernelApp prepare(Path root, Path cacheDir, Request request, Progress progress,
                                       SystemRoot sys) {
        return prepare(root, cacheDir, request, progress, sys, null);
    }

    private static UnikernelApp prepare(Path root, Path cacheDir, Request request, Progress progress,
                                        SystemRoot sys, List<ShimModule> modules) {
        String guestExe = sys.isHost() ? request.binary().toAbsolutePath().normalize().toString()
                : request.binary().toString();
        Path exe = sys.isHost() ? Path.of(guestExe) : sys.file(guestExe);
        AppFootprint.requireX86Executable(exe);
        byte[] initrd;
        AppFootprint fp;
        List<String> packageSummary = List.of();
        List<FileMapping> argFiles;
        if (AppFootprint.isDynamic(exe)) {
            // ld.so, the libraries and /etc defaults travel in the initrd at the paths ld.so
            // opens them by; the user's files go through the image too (ELF objects among them
            // are rewritten like the closure's).
            Closure closure = Closure.of(sys.dir(), guestExe);
            List<FileMapping> extra = new ArrayList<>();
            extra.addAll(RuntimeFiles.of(sys.dir(), guestExe));
            extra.addAll(RuntimeFiles.dlopened(closure));
            extra.addAll(RuntimeFiles.terminfo(request.env().get("TERM")));
            if (request.packageData()) {
                PackageData data = PackageData.of(sys.dpkg(), exe, closure, request.env().get("LANG"),
                        sys.runtimePackages());
                packageSummary = data.summary();
                // the runtime rules' files first: a package's copy of the same path is the same file
                java.util.Set<String> have = new java.util.HashSet<>();
                extra.forEach(f -> have.add(f.guest()));
                data.files().stream().filter(f -> !have.contains(f.guest())).forEach(extra::add);
            }
            extra.addAll(request.files());
            Image image = Image.build(cacheDir, closure, extra, !request.noRewrite(), progress);
            guestExe = image.executable();
            argFiles = ArgumentFiles.of(request.args(), request.workdir(), hostCwd(), image.files().keySet());
            initrd = Initrd.of(image, request.files(), argFiles);
            AppFootprint all = null;
            for (Closure.LoadedObject o : closure.objects()) {
                AppFootprint f = AppFootprint.read(image.hostPath(o.guestPath()));
                all = all == null ? f : all.union(f);
            }
            // Every object the process can run, the dlopen'ed ones included, bounds the
            // numbers that reach libc's syscall() and the like.
            fp = all.with(ProcessFootprint.of(cacheDir, Image.elfObjects(closure, extra)));
        } else {
            // ELF programs among the user's files (what the app may exec: --exec-closure, a
            // shell's commands) are rewritten and counted in the footprint like the app.
            Map<String, Path> userObjects = Image.elfObjects(request.files());
            progress.objects(request.noRewrite() ? 0 : 1 + new java.util.HashSet<>(userObjects.values()).size());
            Path file = request.noRewrite() ? exe : new RewriteCache(cacheDir, progress).rewritten(exe);
            List<FileMapping> rewrittenUser = request.noRewrite() ? List.of()
                    : Image.rewrittenObjects(cacheDir, userObjects, progress);
            progress.objectsDone();
            fp = AppFootprint.read(file);
            if (!request.noRewrite()) {
                List<Path> objects = new ArrayList<>(List.of(exe));
                userObjects.values().stream().distinct().forEach(objects::add);
                fp = fp.with(ProcessFootprint.of(cacheDir, objects));
            }
            java.util.Set<String> taken = new java.util.HashSet<>();
            taken.add(guestExe);
            request.files().forEach(f -> taken.add(f.guest()));
            argFiles = ArgumentFiles.of(request.args(), request.workdir(), hostCwd(), taken);
            // the rewritten objects go over the originals the user's trees put at the same paths
            List<FileMapping> verbatim = new ArrayList<>(rewrittenUser);
            verbatim.addAll(argFiles);
            initrd = Initrd.ofStatic(guestExe, file, request.files(), verbatim);
        }
        argFiles.forEach(f -> progress.detail("port-app: " + f.guest() + " (named by an argument) goes into the guest"));
        QemuPlatform platform = QemuPlatform.at(root);
        List<ShimModule> selected = modules != null ? modules : platform.selectModules(fp, request.knownOnly(),
                request.mounts().isEmpty() ? List.of() : List.of(QemuMounts.MODULE));
        QemuPlatform.Kernel kernel = platform.ensureBuilt(selected, cacheDir.resolve("platforms"), true, progress);
        List<String> envList = new ArrayList<>();
        request.env().forEach((k, v) -> envList.add(k + "=" + v));
        List<String> argv = new ArrayList<>();
        argv.add(request.argv0());
        argv.addAll(request.args());
        KernelCommandLine cl = new KernelCommandLine(guestExe, argv, envList, request.workdir(), request.trace(),
                System.currentTimeMillis() * 1_000_000L);
        return new UnikernelApp(kernel, initrd, cl, fp, guestExe, request.knownOnly(), packageSummary);
    }

    private static Path hostCwd() {
        return Path.of("").toAbsolutePath();
    }

    /** One line per fact: the footprint, the modules chosen and the kernel's size. */
    public void describe(PrintStream out) {
        String note = footprint.complete() ? ", every site bounded: modules for these only" : "";
        if (!footprint.complete()) {
            String why = !footprint.rewritten() ? " (not rewritten)"
                    : footprint.unbounded().isEmpty() ? " + sites whose number is known only at run time"
                    : " + " + footprint.unbounded().size() + " site(s) whose number is unbounded, first "
                    + footprint.unbounded().get(0);
            note = knownOnly ? why + "; modules for the known numbers only (--known-footprint)"
                    : why + "; every unikernel module kept (--known-footprint selects for the known numbers only)";
        }
        packageData.forEach(out::println);
        out.printf("footprint: %d distinct syscalls%s%n", footprint.numbers().size(), note);
        out.println("modules: " + String.join(" ", kernel.modules()));
        KernelSizes sizes = KernelSizes.of(kernel.path());
        out.printf("kernel: %s, %d bytes (%s%d KiB loaded in memory)%n", kernel.path(), kernel.fileBytes(),
                sizes == null ? "" : (sizes.stripped() + 1023) / 1024 + " KiB stripped, ",
                (kernel.loadedBytes() + 1023) / 1024);
        if (sizes != null && sizes.total() > 0) {
            StringBuilder b = new StringBuilder("kernel size by part (symbols, text+data+bss, LTO inlining counts for the caller):");
            sizes.parts().forEach((part, n) -> b.append(String.format("%n  %-18s %7d bytes %5.1f%%", part, n,
                    100.0 * n / sizes.total())));
            out.println(b);
        }
    }
}
