#!/bin/busybox sh
# /init of bench/net.sh's Linux guest (an initramfs of busybox-static, the virtio-net
# modules and one app with its libraries): mount the pseudo file systems, load the
# modules in dependency order, give eth0 the address QEMU's user network expects
# (static, as DHCP would give: 10.0.2.15/24, gateway 10.0.2.2), run the app named by
# the kernel command line's bench= (the kernel passes it to init as $bench) in the
# foreground, and power off when it ends.
/bin/busybox --install -s /bin
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /tmp
mount -t devpts devpts /dev/pts
for m in $(cat /modules/order); do
    insmod "/modules/$m" || echo "net-guest-init: insmod $m failed"
done
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
echo "net-guest-init: eth0 up, starting ${bench:-nothing}"
case "${bench:-}" in
nginx)
    /usr/sbin/nginx -c /etc/nginx/nginx.conf -g 'pid /run/nginx.pid;'
    ;;
redis)
    /usr/bin/redis-server --port 6379 --bind 0.0.0.0 --protected-mode no --save '' \
        --appendonly no --daemonize no
    ;;
*)
    echo "net-guest-init: unknown bench=${bench:-}"
    ;;
esac
echo "net-guest-init: the app ended ($?)"
poweroff -f
