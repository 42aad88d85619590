package org.portapp.pkg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import org.portapp.cache.CacheDir;
import org.portapp.image.Dpkg;
import org.portapp.platform.CachedBuild;

/**
 * A system root made of unpacked .deb files ({@code dpkg-deb -X}, no maintainer scripts run),
 * cached under {@code CACHE/pkg-roots/<recipe>-<hash>/} by the exact set of packages it holds:
 * {@code root/} is the file system, {@code admin/} a dpkg database of its own for {@link Dpkg}
 * (a root unpacked this way has no {@code /var/lib/dpkg/status}): {@code info/PKG.list} with the
 * paths {@code dpkg-deb} extracted, and {@code status} with each package's control fields.
 *
 * @param dir      the entry's directory
 * @param packages what it holds, as {@code name_version_arch}
 */
public record PackageRoot(Path dir, List<String> packages) {
    public PackageRoot {
        packages = List.copyOf(packages);
    }

    /** The unpacked file system. */
    public Path root() {
        return dir.resolve("root");
    }

    /** Its dpkg database. */
    public Dpkg dpkg() {
        return Dpkg.at(dir.resolve("admin"));
    }

    /**
     * The root of {@code debs} for recipe {@code name}, unpacked now unless the cache has it.
     *
     * @throws PkgException if a .deb cannot be unpacked
     */
    public static PackageRoot of(Path cacheRoot, String name, List<Apt.Deb> debs, Consumer<String> progress) {
        List<String> ids = debs.stream().map(Apt.Deb::id).sorted().toList();
        Path dir = cacheRoot.toAbsolutePath().normalize().resolve(CacheDir.Kind.PACKAGE_ROOTS.folder())
                .resolve(name + "-" + key(ids));
        PackageRoot pr = new PackageRoot(dir, ids);
        if (Files.isRegularFile(dir.resolve("complete"))) {
            CacheDir.touch(dir);
            return pr;
        }
        progress.accept("port-app: unpacking " + debs.size() + " packages for " + name + " ...");
        try {
            Files.createDirectories(dir.getParent());
            Path tmp = Files.createTempDirectory(dir.getParent(), dir.getFileName() + ".tmp");
            try {
                Path root = Files.createDirectories(tmp.resolve("root"));
                Path info = Files.createDirectories(tmp.resolve("admin/info"));
                StringBuilder status = new StringBuilder();
                for (Apt.Deb d : debs) {
                    String listed = dpkgDeb(List.of("dpkg-deb", "-X", d.file().toString(), root.toString()), d);
                    List<String> paths = new ArrayList<>();
                    for (String line : listed.split("\n")) {
                        // "./usr/bin/x" -> "/usr/bin/x", "./" -> "/." as dpkg lists the root
                        String p = line.strip();
                        if (p.isEmpty()) {
                            continue;
                        }
                        p = p.equals("./") ? "/." : p.substring(1).replaceAll("/$", "");
                        paths.add(p);
                    }
                    Files.write(info.resolve(d.name() + ".list"), paths, StandardCharsets.UTF_8);
                    String control = dpkgDeb(List.of("dpkg-deb", "-f", d.file().toString()), d).strip();
                    status.append(control.replaceFirst("(?m)^(Package: .*)$", "$1\nStatus: install ok installed"))
                            .append("\n\n");
                }
                Files.writeString(tmp.resolve("admin/status"), status.toString(), StandardCharsets.UTF_8);
                Files.write(tmp.resolve("packages"), ids, StandardCharsets.UTF_8);
                Files.writeString(tmp.resolve("complete"), "");
                CachedBuild.moveIntoPlace(tmp, dir, dir.resolve("complete"));
            } finally {
                CachedBuild.deleteTree(tmp);
            }
        } catch (IOException e) {
            throw new PkgException("cannot unpack into " + dir + ": " + e.getMessage(), e);
        }
        return pr;
    }

    private static String dpkgDeb(List<String> cmd, Apt.Deb d) {
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
            p.getOutputStream().close();
            byte[] err;
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            err = p.getErrorStream().readAllBytes();
            if (p.waitFor() != 0) {
                String e = new String(err, StandardCharsets.UTF_8).strip();
                throw new PkgException(d.file() + ": dpkg-deb failed: " + (e.isEmpty() ? "exit " + p.exitValue()
                        : e.split("\n")[0]));
            }
            return out;
        } catch (IOException e) {
            throw new PkgException("dpkg-deb: cannot run (is dpkg installed?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PkgException("dpkg-deb: interrupted", e);
        }
    }

    private static String key(List<String> ids) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ids.forEach(i -> md.update((i + "\n").getBytes(StandardCharsets.UTF_8)));
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
