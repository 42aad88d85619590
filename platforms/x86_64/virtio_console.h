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

/* Output on VCON_IO. Bytes are appended to an open transmit buffer, which
 * goes to the device when full, at vcon_tx_flush (the console thread's:
 * vcon_append wakes it, and it runs once the writer blocks or its time
 * slice ends) or at power-off, so devfs's 512-byte console writes cost one
 * device notification (a VM exit) per 4 KiB, not one each.
 * vcon_tx_ready(n): whether n (<= VCON_TX_MAX) bytes can be appended now;
 * vcon_tx_wait sends the open buffer and sleeps until the device returns
 * one (the host is not reading). Interrupts off for all of these. */
#define VCON_TX_MAX 4096
bool vcon_tx_ready(size_t n);
void vcon_tx_wait(void);
void vcon_append(const void *buf, size_t n);
void vcon_tx_flush(void);
/* Sends the open buffer and waits until the device has taken every byte
 * (before power-off: the VM's end must not drop the app's last output).
 * Polled; bounded by ns. */
void vcon_flush(uint64_t ns);

#endif
