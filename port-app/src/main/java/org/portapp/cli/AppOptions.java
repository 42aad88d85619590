package org.portapp.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.portapp.image.AppEnvironment;
import org.portapp.image.ExecClosure;
import org.portapp.image.FileMapping;
import org.portapp.image.HostMount;
import org.portapp.platform.qemu.Network;
import org.portapp.platform.qemu.UnikernelApp;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What {@code run} and {@code build} share: the app, its arguments, environment and files. */
final class AppOptions {
    @Option(names = "-m", defaultValue = "128", paramLabel = "MEM", converter = MemorySize.class,
            description = "Guest memory (unikernel): MiB, or with a unit (64M, 1G). Default: ${DEFAULT-VALUE}.")
    int memory;

    @Option(names = {"-e", "--env"}, paramLabel = "K=V|K",
            description = "Set an environment variable for the app (repeatable): K=V, or K alone for the host's "
                    + "value (left out when the host has none). The app's environment is the same on every "
                    + "platform: PATH, HOME (root's home in the image's /etc/passwd), TERM (the host's, when its "
                    + "stdin or stdout is a terminal), the host's LANG and LC_*, then --env-file, then --env; "
                    + "nothing else of the host's.")
    List<String> env = new ArrayList<>();

    @Option(names = "--env-file", paramLabel = "FILE",
            description = "Read environment settings from FILE (repeatable), docker's format: K=V or K per line, "
                    + "# comments and blank lines skipped. --env settings win over the file's.")
    List<Path> envFiles = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, defaultValue = "/", paramLabel = "DIR",
            description = "The app's working directory (an absolute path in its file system). "
                    + "Default: ${DEFAULT-VALUE}.")
    String workdir;

    @Option(names = {"--file", "--dir"}, paramLabel = "HOST:GUEST",
            description = "Put a host file or directory tree into the guest's file system at GUEST (repeatable; "
                    + "on linuxu it is placed in the app's image root). " + FileMapping.RULE)
    List<String> files = new ArrayList<>();

    @Option(names = "--exec-closure", paramLabel = "PATH",
            description = "Put a host program the app may exec into the guest at its own path (repeatable; a name "
                    + "without '/' is looked up on PATH): an ELF with its whole dynamic closure (ld.so, libraries), "
                    + "a #! script with its interpreter's; every ELF object rewritten and its syscalls counted in the "
                    + "footprint. A --file at the same guest path wins.")
    List<Path> execClosures = new ArrayList<>();

    @Option(names = "--mount", paramLabel = "HOSTDIR:GUESTDIR[:ro]",
            description = "Mount a host directory at GUESTDIR (repeatable): the app reads and writes the host's "
                    + "files themselves, so what it writes outlives it (the unikernel reaches them through "
                    + "virtio-9p; the mount point is created if missing). :ro makes every change fail with EROFS. "
                    + HostMount.RULE)
    List<String> mounts = new ArrayList<>();

    @Option(names = "--known-footprint", description = "Select shim modules for the statically known syscall "
            + "numbers only, even when some site's number is unbounded (a call through such a site "
            + "to a module left out gets -ENOSYS). Default: the modules for the footprint when every site's number "
            + "is bounded (analyze lists the sites that are not), every module otherwise.")
    boolean knownFootprint;

    @Option(names = "--no-package-data", description = "Unikernel: leave out the data files of the Debian "
            + "packages the app and its libraries come from (perl's modules, file's magic database), which the "
            + "image otherwise gets (docs, manuals, other programs and libraries are never added).")
    boolean noPackageData;

    @Option(names = "--no-aslr", description = "Unikernel: load a position-independent app and its ld.so at "
            + "fixed addresses on every boot (default: random bases, as Linux's ASLR).")
    boolean noAslr;
    @Option(names = {"-p", "--publish"}, paramLabel = "[HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]",
            description = "Unikernel: forward a host port to a guest port through QEMU's user-mode network "
                    + "(repeatable). The host side is bound on 127.0.0.1 unless HOSTADDR (IPv4) is given; TCP "
                    + "unless /udp. A host port that is taken is an error before anything boots. Implies --net user.")
    List<String> publish = new ArrayList<>();

    @Option(names = "--net", paramLabel = "user|none",
            description = "Unikernel: the guest's network. user: a virtio-net device on QEMU's user-mode network "
                    + "(guest 10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3; on Firecracker a tap device, tap0). none: "
                    + "no device. Default: user when -p is given or the app makes socket calls (and its kernel has the "
                    + "net module), else none.")
    String net;

    @Option(names = "--ip", paramLabel = "ADDR/PREFIX[,GATEWAY]",
            description = "Unikernel: a static IPv4 address for the guest's network device instead of DHCP "
                    + "(on QEMU's user network an address in 10.0.2.0/24, gateway 10.0.2.2, e.g. "
                    + "10.0.2.20/24,10.0.2.2). Implies --net user.")
    String ip;

    @Parameters(index = "0", paramLabel = "BIN",
            description = "The program: a path, or a name without '/' looked up on PATH as a shell does.")
    Path binary;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "Its arguments (after --).")
    List<String> args = new ArrayList<>();

    /**
     * Everything the user puts into the image: the {@code --exec-closure} programs with their
     * closures ({@link ExecClosure}), then the {@code --file}/{@code --dir} mappings, parsed by
     * the one rule every platform uses (later mappings win at the same guest path).
     */
    List<FileMapping> fileMappings() {
        List<FileMapping> out = new ArrayList<>();
        for (Path p : execClosures) {
            out.addAll(ExecClosure.of(p.toString().contains("/") ? p : Inputs.program(p)));
        }
        files.stream().map(FileMapping::parse).forEach(out::add);
        return out;
    }

    /** The app's whole environment: the default, then {@code --env-file}s, then {@code --env}s. */
    AppEnvironment environment() {
        List<String> settings = new ArrayList<>();
        envFiles.forEach(f -> settings.addAll(AppEnvironment.readEnvFile(f)));
        settings.addAll(env);
        return AppEnvironment.build(AppEnvironment.Host.current(),
                AppEnvironment.imagePasswd(fileMappings(), Path.of("/etc")), settings);
    }

    /** The {@code --mount}s, parsed, their host directories checked to exist. */
    List<HostMount> hostMounts() {
        return mounts.stream().map(m -> HostMount.parse(m).requireDirectory()).toList();
    }

    /** The working directory, checked to be absolute and normalized. */
    String workdir() {
        if (!workdir.startsWith("/")) {
            throw new PortAppException("--workdir " + workdir + ": must be an absolute path");
        }
        return Path.of(workdir).normalize().toString();
    }

    /** The program's file: BIN, or where PATH has it. */
    Path program() {
        return Inputs.program(binary);
    }

    /** The app made ready to boot on the unikernel. */
    UnikernelApp unikernel(boolean trace, boolean noRewrite, org.portapp.image.Progress progress) {
        return UnikernelApp.prepare(Main.root(), Main.cacheDir(), new UnikernelApp.Request(program(),
                binary.toString(), args, environment().variables(), workdir(), fileMappings(), trace, noRewrite,
                knownFootprint, !noPackageData, hostMounts()), progress);
    }

    /**
     * The unikernel's network ({@link Network#choose}): -p and --net checked, and every
     * forwarded host port found free, so a mistake is a one-line error before anything is
     * built or booted.
     */
    Network network(boolean appUsesSockets) {
        Network n = Network.choose(net, publish, ip, appUsesSockets);
        n.requireHostPortsFree();
        return n;
    }

    /** linuxu has no network of its own to configure: the app binds the host's ports itself. */
    void refuseNetworkOptions() {
        if (!publish.isEmpty() || net != null || ip != null) {
            throw new PortAppException((!publish.isEmpty() ? "-p" : net != null ? "--net" : "--ip")
                    + ": on linuxu the app uses the "
                    + "host's network directly (it binds the host's ports itself); -p, --net and --ip are for the "
                    + "unikernel platforms");
        }
    }

    /** The guest memory, checked. */
    int memoryMiB() {
        if (memory < 8) {
            throw new PortAppException("-m " + memory + ": at least 8 MiB");
        }
        return memory;
    }
}
