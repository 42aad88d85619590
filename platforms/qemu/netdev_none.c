/* shim/netdev.h until the virtio-net driver (part VIRTIO, branch wt-virtio)
 * lands: this platform finds no network device, so the net module runs
 * its stack on loopback only. The driver's own definitions replace this
 * file when that branch is merged. */
#include "shim/netdev.h"

int platform_netdev_count(void) { return 0; }
struct netdev *platform_netdev(int index) { (void)index; return NULL; }
