package org.portapp.rewrite;

import org.portapp.x86.Reg;

/**
 * An argument register of a function this object exports: a syscall number that is such an
 * argument is bounded only by the calls to the function from the other objects of the
 * process (through their PLT or GOT), which {@link ClosureFootprint} follows.
 *
 * @param function the exported symbol's name (without version)
 * @param reg      the argument register holding the number at the function's entry
 */
public record ExportedArg(String function, Reg reg) {
    @Override
    public String toString() {
        return reg.name().toLowerCase() + " of " + function + "()";
    }
}
