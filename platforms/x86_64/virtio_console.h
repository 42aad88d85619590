/*
 * The virtio-console driver (virtio_console.c; virtio spec 5.3): the app's
 * console when port-app gives the VM a virtio-serial device, the fast path
 * (docs/virtio.md, platforms/qemu/README.md). The 16550 (serial.c) stays
 * the kernel log's line, the early-boot and crash console, and the whole
 * console where there is no such device (Firecracker, the launch scripts
 * of port-app build).
 *
 * Multiport, two ports with fixed ids (QEMU: virtserialport nr=1 / nr=2):
 *   VCON_IO   guest to host: the app's stdout and stderr, multiplexed as on
 *             the serial line (0xff 0x01 / 0xff 0x02, 0xff 0xff); host to
 *             guest: the app's stdin, 0xff escaped, 0xff 0x04 its end.
 *   VCON_CTL  host to guest only: port-app's control codes (signals, the
 *             terminal's size), read at once whatever the app does with its
 *             stdin, so unread input never delays them.
 *
 * Receive is interrupt driven: the device's interrupt wakes the console
 * thread (platforms/qemu/tty.c) and any writer waiting for a transmit
 * buffer; nothing polls. A port's received bytes are read in place
 * (vcon_peek / vcon_consume); a buffer goes back to the device once read,
 * so a guest that does not read stops the host (backpressure, no loss).
 * Transmit copies into the driver's buffers and waits, asleep, while all of
 * them are in flight (the host is not reading).
 */
#ifndef X86_64_VIRTIO_CONSOLE_H
#define X86_64_VIRTIO_CONSOLE_H

#include "arch.h"

#define VCON_IO  1
#define VCON_CTL 2

/* Finds the first virtio-console device (virtio_discover(cmdline)) and
 * starts it: multiport negotiated, both ports opened. irq_wake is the
 * channel the device's interrupt wakes (sched_wake_chan) besides the
 * transmit waiters. false when there is no usable device (then the
 * console is the 16550's). Once; needs the scheduler. */
bool vcon_init(const char *cmdline, const void *irq_wake);
bool vcon_active(void);

/* Received bytes of port, contiguous, in place: how many (0: none yet) and
 * *p. They stay until vcon_consume(port, n <= that count). Interrupts off. */
size_t vcon_peek(int port, const uint8_t **p);
void vcon_consume(int port, size_t n);
/* Whether port has nothing received; with arm, also turns the port's
 * receive interrupts on before the last look (call with interrupts off,
 * then sleep on irq_wake if it returns true). */
bool vcon_rx_empty(int port, bool arm);
/* Host-to-guest control messages (port opened or closed ...): taken and
 * dropped; true when there were some. */
bool vcon_service(void);

/* Sends n bytes on VCON_IO: copies them into transmit buffers and gives
 * them to the device. With may_sleep, waits (asleep) for buffers while the
 * host does not read; without it stops there. Returns the bytes queued. */
size_t vcon_write(const void *buf, size_t n, bool may_sleep);
/* Whether a transmit buffer is free (then vcon_write of up to 4 KiB takes
 * one buffer and does not sleep); vcon_tx_wait sleeps until the device
 * returns one. Interrupts off. */
#define VCON_TX_MAX 4096
bool vcon_tx_ready(void);
void vcon_tx_wait(void);
/* Waits until the device has taken every queued byte (before power-off:
 * the VM's end must not drop the app's last output). Bounded by ns. */
void vcon_flush(uint64_t ns);

#endif
