# posix-shim/net's extra build rules, included by platforms/qemu/Makefile
# when the net module is selected: lwIP's core (IPv4, IPv6, TCP, UDP, DHCP,
# Ethernet) compiled from LWIP= (the src/.. of Debian's lwip source package,
# which port-app fetches into its cache with fetch-lwip.sh; never part of
# this repository), with the net module's port headers (lwip-port/).
LWIP ?= $(error the net module needs LWIP= (lwIP's source tree; posix-shim/net/fetch-lwip.sh fetches it))
NET_DIR := $(SHIM)/net
LWIP_SRC := $(LWIP)/src
LWIP_INCLUDES := -I$(NET_DIR)/lwip-port -I$(LWIP_SRC)/include
EXT_C += $(addprefix $(LWIP_SRC)/core/,init.c def.c inet_chksum.c ip.c mem.c memp.c netif.c pbuf.c \
	sys.c tcp.c tcp_in.c tcp_out.c timeouts.c udp.c) \
	$(addprefix $(LWIP_SRC)/core/ipv4/,dhcp.c etharp.c icmp.c ip4_frag.c ip4.c ip4_addr.c) \
	$(addprefix $(LWIP_SRC)/core/ipv6/,ethip6.c icmp6.c inet6.c ip6.c ip6_addr.c ip6_frag.c mld6.c nd6.c) \
	$(LWIP_SRC)/netif/ethernet.c
# lwIP is third-party C: the kernel's flags (the same ABI, no vector
# registers), its libc stand-ins first on the path, and its warnings not
# turned into errors (we do not patch it).
EXT_CFLAGS := $(filter-out -Werror -Wextra,$(SHIM_CFLAGS)) -Wno-address -I$(NET_DIR)/lwip-port/libc $(LWIP_INCLUDES)
SHIM_CFLAGS += $(LWIP_INCLUDES)
