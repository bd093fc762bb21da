/* The few rtnetlink requests the agent needs, over a NETLINK_ROUTE socket
 * bound to one network namespace: veth pairs, link state,
 * IPv4 addresses and routes, link listing. Each request waits for the
 * kernel's acknowledgement; on failure the kernel's extended-ack message (if
 * any) is kept in ->msg so that callers can show it ("veth lxc…: File exists
 * (kernel: …)").
 *
 * Addresses are IPv4 in host byte order. */
#ifndef DFL_AGENT_NETLINK_H
#define DFL_AGENT_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

struct dfl_nl {
	int fd; /* -1 when closed */
	uint32_t seq;
	char msg[256]; /* kernel's extended-ack text of the last error */
};

/* A link as listed by dfl_nl__links(). Strings point into the dump buffer:
 * valid during the callback only. */
struct dfl_nl_link {
	int ifindex;
	const char *name;
	const char *kind;  /* "veth", "dummy", ... or NULL */
	const char *alias; /* IFLA_IFALIAS or NULL */
	uint8_t mac[6];
	bool up;
};

/* "<strerror(-err)>" or "<strerror(-err)> (kernel: <ext-ack message>)" for
 * the last request of <nl>; static storage, valid until the next call. */
const char *dfl_nl__strerror(const struct dfl_nl *nl, int err);

/* Opens a socket in the calling thread's current netns. 0 or -errno. */
int dfl_nl__open(struct dfl_nl *nl);
/* Opens a socket in the netns <netns_fd> (then returns to the current one):
 * the socket stays bound to that netns for its whole life. */
int dfl_nl__open_in(struct dfl_nl *nl, int netns_fd);
void dfl_nl__close(struct dfl_nl *nl);

/* Creates a veth pair: <name> here, <peer> moved into <peer_netns_fd> at
 * creation (no rename or move afterwards). <alias> (may be NULL) is set on
 * <name>; the agent marks its links with it. */
int dfl_nl__veth_add(struct dfl_nl *nl, const char *name, const char *alias,
		     const char *peer, int peer_netns_fd);
/* ifindex of <name>, or -ENODEV. */
int dfl_nl__link_index(struct dfl_nl *nl, const char *name);
/* Reads one link's attributes; <cb> as for dfl_nl__links. -ENODEV when
 * absent. */
int dfl_nl__link_get(struct dfl_nl *nl, const char *name,
		     void (*cb)(void *ctx, const struct dfl_nl_link *l),
		     void *ctx);
int dfl_nl__link_up(struct dfl_nl *nl, int ifindex);
/* Deletes a link (for a veth, both ends). -ENODEV when absent. */
int dfl_nl__link_del(struct dfl_nl *nl, int ifindex);
/* Calls <cb> for every link of the netns. */
int dfl_nl__links(struct dfl_nl *nl,
		  void (*cb)(void *ctx, const struct dfl_nl_link *l),
		  void *ctx);

/* Adds <addr>/<plen> to <ifindex>; an address that is already there is not
 * an error. */
int dfl_nl__addr_add(struct dfl_nl *nl, int ifindex, uint32_t addr,
		     uint8_t plen);
/* Adds or replaces the route <dst>/<plen> via <gw> (0: directly connected,
 * scope link) out of <ifindex>, in the main table. */
int dfl_nl__route_replace(struct dfl_nl *nl, uint32_t dst, uint8_t plen,
			  uint32_t gw, int ifindex);
/* The output interface of the route the kernel picks for <dst> (`ip route
 * get`): its ifindex, or -ENETUNREACH / the kernel's -errno. *<via_gateway>
 * (may be NULL) tells whether that route goes through a gateway. */
int dfl_nl__route_dev(struct dfl_nl *nl, uint32_t dst, bool *via_gateway);

#endif
