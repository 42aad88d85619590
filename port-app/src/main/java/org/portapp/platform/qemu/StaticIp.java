package org.portapp.platform.qemu;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A static IPv4 address for the guest's first network device instead of DHCP
 * ({@code --ip ADDR/PREFIX[,GATEWAY]}), given to the kernel as
 * {@code portapp.ip=ADDR/PREFIX[,GATEWAY]} (posix-shim/net/stack.c reads it).
 *
 * @param address dotted quad
 * @param prefix  0..32
 * @param gateway dotted quad, or null for none
 */
public record StaticIp(String address, int prefix, String gateway) {
    private static final String QUAD = "(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})";
    private static final Pattern FORM = Pattern.compile("(" + QUAD + ")/(\\d{1,2})(?:,(" + QUAD + "))?");

    /** Parses {@code ADDR/PREFIX[,GATEWAY]}; anything else is a one-line error. */
    public static StaticIp parse(String s) {
        Matcher m = FORM.matcher(s.strip());
        int prefix = m.matches() ? Integer.parseInt(m.group(6)) : -1;
        if (prefix < 0 || prefix > 32 || !octets(m, 2) || (m.group(7) != null && !octets(m, 8))) {
            throw new QemuException("--ip " + s + ": expected ADDR/PREFIX[,GATEWAY] with IPv4 addresses and a "
                    + "prefix of 0-32, e.g. 10.0.2.20/24,10.0.2.2");
        }
        return new StaticIp(m.group(1), prefix, m.group(7));
    }

    private static boolean octets(Matcher m, int first) {
        for (int i = first; i < first + 4; i++) {
            if (Integer.parseInt(m.group(i)) > 255) {
                return false;
            }
        }
        return true;
    }

    /** The value of the kernel's {@code portapp.ip=} word. */
    public String value() {
        return address + "/" + prefix + (gateway == null ? "" : "," + gateway);
    }

    /** The kernel command line word, with its leading space. */
    public String kernelWord() {
        return " portapp.ip=" + value();
    }
}
