package org.portapp.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The /etc files glibc reads (user and group names, name service switch, host names, the
 * resolver, the local time zone), for an image whose user supplied none: the host's copy
 * where it has one (so names and the time zone come out as natively), a minimal one
 * otherwise. {@code localtime} without a host copy is left out: glibc then uses UTC.
 */
public final class EtcFiles {
    /** The files, in the order they are listed above. */
    public static final List<String> NAMES = List.of("passwd", "group", "nsswitch.conf", "hosts", "resolv.conf",
            "localtime");

    private static final Map<String, String> MINIMAL = Map.of(
            "passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
            "group", "root:x:0:\nnogroup:x:65534:\n",
            "nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n"
                    + "protocols: files\nservices: files\nethers: files\nrpc: files\n",
            "hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
            "resolv.conf", "# no name server: the image has no network configured\n");

    private EtcFiles() {
    }

    /** Guest path ({@code /etc/NAME}) to content, from {@code hostEtc} (normally {@code /etc}). */
    public static Map<String, byte[]> from(Path hostEtc) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String name : NAMES) {
            Path f = hostEtc.resolve(name);
            byte[] content = null;
            if (Files.isRegularFile(f) && Files.isReadable(f)) {
                try {
                    content = Files.readAllBytes(f);
                } catch (IOException e) {
                    content = null;   // unreadable: the minimal one
                }
            }
            if (content == null && MINIMAL.containsKey(name)) {
                content = MINIMAL.get(name).getBytes(StandardCharsets.UTF_8);
            }
            if (content != null) {
                out.put("/etc/" + name, content);
            }
        }
        return out;
    }
}
