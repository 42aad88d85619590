package org.portapp.platform.qemu;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.portapp.image.Closure;
import org.portapp.image.FileMapping;
import org.portapp.image.Image;
import org.portapp.image.PackageData;
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
     */
    public record Request(Path binary, String argv0, List<String> args, Map<String, String> env, String workdir,
                          List<FileMapping> files,
                          boolean trace, boolean noRewrite, boolean knownOnly, boolean packageData) {
        public Request {
            args = List.copyOf(args);
            env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
            files = List.copyOf(files);
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
        return prepare(root, cacheDir, request, progress, SystemRoot.host());
    }

    /**
     * As {@link #prepare(Path, Path, Request, Progress)} for an app of the system {@code sys}
     * (the host's, or unpacked packages): {@code request.binary()} is then the program's
     * absolute path in that system, and its closure, runtime files and package data come
     * from there.
     */
    public static UnikernelApp prepare(Path root, Path cacheDir, Request request, Progress progress,
                                       SystemRoot sys) {
        String guestExe = sys.isHost() ? request.binary().toAbsolutePath().normalize().toString()
                : request.binary().toString();
        Path exe = sys.isHost() ? Path.of(guestExe) : sys.file(guestExe);
        AppFootprint.requireX86Executable(exe);
        byte[] initrd;
        AppFootprint fp;
        List<String> packageSummary = List.of();
        if (AppFootprint.isDynamic(exe)) {
            // ld.so, the libraries and /etc defaults travel in the initrd at the paths ld.so
            // opens them by; the user's files go through the image too (ELF objects among them
            // are rewritten like the closure's).
            Closure closure = Closure.of(sys.dir(), guestExe);
            List<FileMapping> extra = new ArrayList<>();
            extra.addAll(RuntimeFiles.of(sys.dir(), guestExe));
            extra.addAll(RuntimeFiles.dlopened(closure));
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
            initrd = Initrd.of(image, request.files());
            AppFootprint all = null;
            for (Closure.LoadedObject o : closure.objects()) {
                AppFootprint f = AppFootprint.read(image.hostPath(o.guestPath()));
                all = all == null ? f : all.union(f);
            }
            fp = all;
        } else {
            progress.objects(request.noRewrite() ? 0 : 1);
            Path file = request.noRewrite() ? exe : new RewriteCache(cacheDir, progress).rewritten(exe);
            progress.objectsDone();
            fp = AppFootprint.read(file);
            initrd = Initrd.ofStatic(guestExe, file, request.files());
        }
        QemuPlatform platform = QemuPlatform.at(root);
        List<ShimModule> modules = platform.selectModules(fp, request.knownOnly());
        QemuPlatform.Kernel kernel = platform.ensureBuilt(modules, cacheDir.resolve("platforms"), true, progress);
        List<String> envList = new ArrayList<>();
        request.env().forEach((k, v) -> envList.add(k + "=" + v));
        List<String> argv = new ArrayList<>();
        argv.add(request.argv0());
        argv.addAll(request.args());
        KernelCommandLine cl = new KernelCommandLine(guestExe, argv, envList, request.workdir(), request.trace(),
                System.currentTimeMillis() * 1_000_000L);
        return new UnikernelApp(kernel, initrd, cl, fp, guestExe, request.knownOnly(), packageSummary);
    }

    /** One line per fact: the footprint, the modules chosen and the kernel's size. */
    public void describe(PrintStream out) {
        String note = "";
        if (!footprint.complete()) {
            String why = footprint.rewritten() ? " + sites whose number is known only at run time" : " (not rewritten)";
            note = knownOnly ? why + ": modules for the known numbers only (--known-footprint)"
                    : why + ": every unikernel module kept (--known-footprint selects for the known numbers only)";
        }
        packageData.forEach(out::println);
        out.printf("footprint: %d distinct syscalls%s%n", footprint.numbers().size(), note);
        out.println("modules: " + String.join(" ", kernel.modules()));
        out.printf("kernel: %s, %d bytes (%d KiB loaded in memory)%n", kernel.path(),
                kernel.fileBytes(), (kernel.loadedBytes() + 1023) / 1024);
    }
}
