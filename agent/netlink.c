#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/netlink.h"
#include "agent/netns.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

/* A request under construction: header, fixed part and attributes. 1 KiB
 * holds the largest one (a veth with its peer). */
struct req {
	union {
		struct nlmsghdr nh;
		char buf[1024];
	};
};

static void *req_init(struct req *r, uint16_t type, uint16_t flags,
		      size_t fixed)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(fixed);
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(&r->nh);
}

static struct rtattr *put_attr(struct req *r, uint16_t type, const void *data,
			       size_t len)
{
	struct rtattr *a =
	    (struct rtattr *)(r->buf + NLMSG_ALIGN(r->nh.nlmsg_len));
	size_t total = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_SPACE(len);

	/* Requests are built from bounded names: overflowing is a bug. */
	if (total > sizeof(r->buf))
		return NULL;
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (data)
		memcpy(RTA_DATA(a), data, len);
	else
		memset(RTA_DATA(a), 0, len);
	r->nh.nlmsg_len = (uint32_t)total;
	return a;
}

static struct rtattr *put_str(struct req *r, uint16_t type, const char *s)
{
	return put_attr(r, type, s, strlen(s) + 1);
}

static struct rtattr *put_u32(struct req *r, uint16_t type, uint32_t v)
{
	return put_attr(r, type, &v, sizeof(v));
}

static void nest_end(struct req *r, struct rtattr *nest)
{
	nest->rta_len =
	    (unsigned short)(r->buf + r->nh.nlmsg_len - (char *)nest);
}

const char *dfl_nl__strerror(const struct dfl_nl *nl, int err)
{
	static char buf[320];

	if (nl->msg[0])
		snprintf(buf, sizeof(buf), "%s (kernel: %s)", strerror(-err),
			 nl->msg);
	else
		snprintf(buf, sizeof(buf), "%s", strerror(-err));
	return buf;
}

int dfl_nl__open(struct dfl_nl *nl)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int one = 1;

	nl->seq = 1;
	nl->msg[0] = '\0';
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0)
		return -errno;
	/* Best effort: older kernels simply give no message. */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(nl->fd);
		nl->fd = -1;
		return err;
	}
	return 0;
}

int dfl_nl__open_in(struct dfl_nl *nl, int netns_fd)
{
	int saved, err;

	nl->fd = -1;
	err = dfl_netns__switch(netns_fd, &saved);
	if (err)
		return err;
	err = dfl_nl__open(nl);
	dfl_netns__restore(saved);
	return err;
}

void dfl_nl__close(struct dfl_nl *nl)
{
	if (nl && nl->fd >= 0) {
		close(nl->fd);
		nl->fd = -1;
	}
}

static void keep_ext_ack(struct dfl_nl *nl, const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = sizeof(*e);
	const struct rtattr *a;
	int len;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (NLMSG_HDRLEN + off >= h->nlmsg_len)
		return;
	a = (const struct rtattr *)((const char *)e + NLMSG_ALIGN(off));
	len = (int)(h->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(off));
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == NLMSGERR_ATTR_MSG)
			snprintf(nl->msg, sizeof(nl->msg), "%.*s",
				 (int)RTA_PAYLOAD(a),
				 (const char *)RTA_DATA(a));
}

/* Sends <r> and reads until its acknowledgement (or the end of a dump),
 * passing every other message to <cb>. Returns 0 or the kernel's -errno. */
static int transact(struct dfl_nl *nl, struct req *r,
		    void (*cb)(void *ctx, const struct nlmsghdr *h), void *ctx)
{
	static char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
	uint32_t seq = nl->seq++;
	ssize_t n;

	nl->msg[0] = '\0';
	r->nh.nlmsg_seq = seq;
	if (send(nl->fd, r, r->nh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *h;

		n = recv(nl->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error)
					keep_ext_ack(nl, h);
				return e->error;
			}
			if (cb)
				cb(ctx, h);
		}
	}
}

int dfl_nl__veth_add(struct dfl_nl *nl, const char *name, const char *alias,
		     const char *peer, int peer_netns_fd)
{
	struct rtattr *linkinfo, *data, *peer_attr;
	struct req r;
	int err;

	req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
		 sizeof(struct ifinfomsg));
	put_str(&r, IFLA_IFNAME, name);
	linkinfo = put_attr(&r, IFLA_LINKINFO, NULL, 0);
	put_str(&r, IFLA_INFO_KIND, "veth");
	data = put_attr(&r, IFLA_INFO_DATA, NULL, 0);
	/* The peer's attributes follow its own (zeroed) struct ifinfomsg. */
	peer_attr =
	    put_attr(&r, VETH_INFO_PEER, NULL, sizeof(struct ifinfomsg));
	put_str(&r, IFLA_IFNAME, peer);
	put_u32(&r, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
	nest_end(&r, peer_attr);
	nest_end(&r, data);
	nest_end(&r, linkinfo);
	err = transact(nl, &r, NULL, NULL);
	if (err || !alias)
		return err;
	/* The alias cannot be given at creation (rtnl_create_link ignores it).
	 */
	err = dfl_nl__link_index(nl, name);
	if (err < 0)
		return err;
	{
		int ifindex = err;
		struct ifinfomsg *ifi =
		    req_init(&r, RTM_NEWLINK, 0, sizeof(*ifi));

		ifi->ifi_index = ifindex;
		put_str(&r, IFLA_IFALIAS, alias);
		return transact(nl, &r, NULL, NULL);
	}
}

struct link_cb {
	void (*cb)(void *ctx, const struct dfl_nl_link *l);
	void *ctx;
};

static void parse_linkinfo(const struct rtattr *li, struct dfl_nl_link *l)
{
	int len = (int)RTA_PAYLOAD(li);

	for (const struct rtattr *a = RTA_DATA(li); RTA_OK(a, len);
	     a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_INFO_KIND)
			l->kind = RTA_DATA(a);
}

static void on_link(void *ctx, const struct nlmsghdr *h)
{
	const struct link_cb *lc = ctx;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct dfl_nl_link l = {.ifindex = ifi->ifi_index,
				.up = ifi->ifi_flags & IFF_UP};
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));

	if (h->nlmsg_type != RTM_NEWLINK)
		return;
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case IFLA_IFNAME:
			l.name = RTA_DATA(a);
			break;
		case IFLA_IFALIAS:
			l.alias = RTA_DATA(a);
			break;
		case IFLA_ADDRESS:
			if (RTA_PAYLOAD(a) == 6)
				memcpy(l.mac, RTA_DATA(a), 6);
			break;
		case IFLA_LINKINFO:
			parse_linkinfo(a, &l);
			break;
		}
	}
	if (l.name)
		lc->cb(lc->ctx, &l);
}

int dfl_nl__link_get(struct dfl_nl *nl, const char *name,
		     void (*cb)(void *ctx, const struct dfl_nl_link *l),
		     void *ctx)
{
	struct link_cb lc = {cb, ctx};
	struct req r;

	if (strlen(name) >= IFNAMSIZ)
		return -ENODEV;
	req_init(&r, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
	put_str(&r, IFLA_IFNAME, name);
	return transact(nl, &r, on_link, &lc);
}

static void take_index(void *ctx, const struct dfl_nl_link *l)
{
	*(int *)ctx = l->ifindex;
}

int dfl_nl__link_index(struct dfl_nl *nl, const char *name)
{
	int ifindex = -ENODEV;
	int err = dfl_nl__link_get(nl, name, take_index, &ifindex);

	return err ? err : ifindex;
}

int dfl_nl__links(struct dfl_nl *nl,
		  void (*cb)(void *ctx, const struct dfl_nl_link *l), void *ctx)
{
	struct link_cb lc = {cb, ctx};
	struct ifinfomsg *ifi;
	struct req r;

	ifi = req_init(&r, RTM_GETLINK, NLM_F_DUMP, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	return transact(nl, &r, on_link, &lc);
}

int dfl_nl__link_up(struct dfl_nl *nl, int ifindex)
{
	struct ifinfomsg *ifi;
	struct req r;

	ifi = req_init(&r, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return transact(nl, &r, NULL, NULL);
}

int dfl_nl__link_del(struct dfl_nl *nl, int ifindex)
{
	struct ifinfomsg *ifi;
	struct req r;

	ifi = req_init(&r, RTM_DELLINK, 0, sizeof(*ifi));
	ifi->ifi_index = ifindex;
	return transact(nl, &r, NULL, NULL);
}

int dfl_nl__addr_add(struct dfl_nl *nl, int ifindex, uint32_t addr,
		     uint8_t plen)
{
	struct ifaddrmsg *ifa;
	uint32_t be = htonl(addr);
	struct req r;
	int err;

	ifa =
	    req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	put_attr(&r, IFA_LOCAL, &be, sizeof(be));
	put_attr(&r, IFA_ADDRESS, &be, sizeof(be));
	err = transact(nl, &r, NULL, NULL);
	if (err == -EEXIST) {
		nl->msg[0] = '\0';
		return 0;
	}
	return err;
}

int dfl_nl__route_replace(struct dfl_nl *nl, uint32_t dst, uint8_t plen,
			  uint32_t gw, int ifindex)
{
	uint32_t be_dst = htonl(dst), be_gw = htonl(gw);
	struct rtmsg *rt;
	struct req r;

	rt = req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
		      sizeof(*rt));
	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = plen;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rt->rtm_type = RTN_UNICAST;
	if (plen)
		put_attr(&r, RTA_DST, &be_dst, sizeof(be_dst));
	if (gw)
		put_attr(&r, RTA_GATEWAY, &be_gw, sizeof(be_gw));
	put_u32(&r, RTA_OIF, (uint32_t)ifindex);
	return transact(nl, &r, NULL, NULL);
}

struct route_out {
	int ifindex;
	bool gateway;
};

static void take_route(void *ctx, const struct nlmsghdr *h)
{
	struct route_out *out = ctx;
	const struct rtmsg *rt = NLMSG_DATA(h);
	const struct rtattr *a = RTM_RTA(rt);
	int len = (int)RTM_PAYLOAD(h);

	if (h->nlmsg_type != RTM_NEWROUTE)
		return;
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_OIF)
			memcpy(&out->ifindex, RTA_DATA(a), sizeof(out->ifindex));
		else if (a->rta_type == RTA_GATEWAY)
			out->gateway = true;
	}
}

int dfl_nl__route_dev(struct dfl_nl *nl, uint32_t dst, bool *via_gateway)
{
	uint32_t be_dst = htonl(dst);
	struct route_out out = { 0 };
	struct rtmsg *rt;
	struct req r;
	int err;

	rt = req_init(&r, RTM_GETROUTE, 0, sizeof(*rt));
	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = 32;
	put_attr(&r, RTA_DST, &be_dst, sizeof(be_dst));
	err = transact(nl, &r, take_route, &out);
	if (err)
		return err;
	if (via_gateway)
		*via_gateway = out.gateway;
	return out.ifindex > 0 ? out.ifindex : -ENETUNREACH;
}
