/* Harness of the BPF tier: a private network namespace with veth pairs, a
 * datapath opened on its own pin root, crafted packets run through the real
 * programs with BPF_PROG_TEST_RUN, and the events they emit.
 *
 * Header-only (every tests/bpf/test_*.c is its own binary). Each Check test
 * runs in a forked child: dfl_fx_setup() opens a fresh datapath and
 * dfl_fx_teardown() purges it, so tests share nothing. */
#ifndef DFL_TESTS_BPF_DFL_TEST_H
#define DFL_TESTS_BPF_DFL_TEST_H

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/datapath.h"
#include "util/log.h"

/* Precedences of CNP/CCNP entries (§8.3). */
#define PREC_ALLOW 0xffffff01u
#define PREC_DENY 0xffffffffu
#define PREC_HTTP 0xffffff9au

/* Identities used throughout. */
#define ID_SELF 1000  /* the endpoint under test */
#define ID_PEER 1001  /* another pod */
#define ID_OTHER 1002 /* a third pod */

#define EP_A 11
#define EP_B 12

#define IP_A "10.0.0.1"
#define IP_B "10.0.0.2"
#define IP_C "10.0.0.3"
#define IP_WORLD "192.0.2.1"

#define DFL_MAX_EVENTS 64

struct dfl_fx {
	struct dfl_datapath *dp;
	char root[96];
	__u32 if_a; /* host side of endpoint A */
	__u32 if_b; /* host side of endpoint B */
	struct dfl_event ev[DFL_MAX_EVENTS];
	int n_ev;
};

static struct dfl_fx fx;

/* Pin roots of this run are <prefix>-<test pid>; tests/bpf/tier.sh sets
 * DFL_TEST_PIN_PREFIX so that it can clean up after crashed runs without
 * touching anyone else's pins. */
static inline const char *dfl_test_prefix(void)
{
	const char *env = getenv("DFL_TEST_PIN_PREFIX");

	return env ? env : "/sys/fs/bpf/dflt-bpf";
}

/* Moves the test process into its own network namespace once, with two
 * veth pairs (dflt-bpf-a/-ap, dflt-bpf-b/-bp). Call from main(). */
static inline void dfl_test_netns(void)
{
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET) (the bpf tier needs root)");
		exit(2);
	}
	if (system("ip link add name dflt-bpf-a type veth peer name dflt-bpf-ap"
		   " && ip link add name dflt-bpf-b type veth peer name "
		   "dflt-bpf-bp && ip link set lo up && ip link set dflt-bpf-a "
		   "up && ip link set dflt-bpf-ap up && ip link set dflt-bpf-b "
		   "up && ip link set dflt-bpf-bp up")) {
		fprintf(stderr, "cannot create veth pairs\n");
		exit(2);
	}
}

static inline struct dfl_datapath *
dfl_fx_open_with(const struct dfl_datapath_opts *in)
{
	struct dfl_datapath_opts o = *in;

	o.sz = sizeof(o);
	o.pin_root = fx.root;
	return dfl_datapath__open(&o);
}

static inline void dfl_fx_setup_opts(const struct dfl_datapath_opts *o)
{
	memset(&fx, 0, sizeof(fx));
	snprintf(fx.root, sizeof(fx.root), "%s-%d", dfl_test_prefix(),
		 (int)getpid());
	fx.if_a = if_nametoindex("dflt-bpf-a");
	fx.if_b = if_nametoindex("dflt-bpf-b");
	ck_assert_uint_ne(fx.if_a, 0);
	fx.dp = dfl_fx_open_with(o);
	ck_assert_msg(fx.dp, "dfl_datapath__open: %s", strerror(errno));
}

static inline void dfl_fx_setup(void)
{
	DFL_DATAPATH_OPTS(o);

	dfl_fx_setup_opts(&o);
}

static inline void dfl_fx_teardown(void)
{
	dfl_datapath__close(fx.dp);
	fx.dp = NULL;
	ck_assert_int_eq(dfl_datapath__purge(fx.root), 0);
}

static inline __u32 dfl_ip4(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* Attaches endpoint <ep_id> with <identity> and <ip> on <ifindex>. */
static inline void dfl_fx_endpoint(__u32 ifindex, __u16 ep_id,
				   __u32 identity, const char *ip, bool audit)
{
	struct dfl_endpoint_cfg cfg = {
		.ifindex = ifindex,
		.ep_id = ep_id,
		.identity = identity,
		.audit = audit,
	};

	if (ip && strchr(ip, ':'))
		ck_assert_int_eq(inet_pton(AF_INET6, ip, cfg.ipv6), 1);
	else if (ip)
		cfg.ipv4 = dfl_ip4(ip);
	ck_assert_int_eq(dfl_datapath__endpoint_attach(fx.dp, &cfg), 0);
}

static inline void dfl_fx_ipcache(const char *prefix, __u32 identity)
{
	struct dfl_dp_prefix p;
	struct dfl_ipcache_entry e = { .identity = identity };

	ck_assert_int_eq(dfl_dp_prefix__parse(prefix, &p), 0);
	ck_assert_int_eq(dfl_datapath__ipcache_upsert(fx.dp, &p, &e), 0);
}

/* The usual world: A is ID_SELF, B is ID_PEER, C is ID_OTHER. */
static inline void dfl_fx_two_pods(void)
{
	dfl_fx_ipcache(IP_A "/32", ID_SELF);
	dfl_fx_ipcache(IP_B "/32", ID_PEER);
	dfl_fx_ipcache(IP_C "/32", ID_OTHER);
	dfl_fx_endpoint(fx.if_a, EP_A, ID_SELF, IP_A, false);
	dfl_fx_endpoint(fx.if_b, EP_B, ID_PEER, IP_B, false);
}

static inline void dfl_fx_policy(__u16 ep_id, const struct dfl_policy_spec *s,
				 size_t n)
{
	ck_assert_int_eq(dfl_datapath__policy_replace(fx.dp, ep_id, s, n), 0);
}

/* ---- packets ---- */

struct dfl_pkt_spec {
	int family; /* 4 (default) or 6 */
	const char *src;
	const char *dst;
	__u8 proto;
	__u16 sport;
	__u16 dport;
	__u8 tcp_flags; /* default SYN for TCP */
	__u8 icmp_type;
	__u8 icmp_code;
	__u16 icmp_id;
	__u16 frag_off; /* IPv4 frag_off field, host order */
	__u16 ip_id;
	__u16 eth_proto; /* override, e.g. ETH_P_ARP */
	const struct dfl_pkt_spec *inner; /* quoted packet of an ICMP error */
	size_t payload;
	bool udp_no_csum; /* IPv4 UDP without checksum (0) */
	int v6_exthdrs;   /* destination-options headers before L4 */
	size_t truncate;  /* cut the frame to this many bytes (0: no) */
	__u8 ihl;         /* IPv4 header length field to claim (0: 5) */
};

#define DFL_TCP_SYN_ONLY 0x02
#define DFL_TCP_ACK_ONLY 0x10

static inline __u16 dfl_csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static inline __u32 dfl_csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

/* Internet checksum in network order of <len> bytes plus a pseudo sum. */
static inline __u16 dfl_csum(__u32 sum, const void *data, size_t len)
{
	return htons(dfl_csum_fold(dfl_csum_add(sum, data, len)));
}

static inline size_t dfl_build_l3(__u8 *buf, const struct dfl_pkt_spec *s);

/* Writes the L4 header and payload at <l4> and fills in its checksum. */
static inline size_t dfl_build_l4(__u8 *l4, const struct dfl_pkt_spec *s,
				  __u32 pseudo)
{
	size_t len = 0;
	__u16 *csum = NULL;

	switch (s->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = (struct tcphdr *)l4;

		memset(th, 0, sizeof(*th));
		th->source = htons(s->sport);
		th->dest = htons(s->dport);
		th->doff = 5;
		((__u8 *)th)[13] = s->tcp_flags ? s->tcp_flags :
						  DFL_TCP_SYN_ONLY;
		th->window = htons(1024);
		len = sizeof(*th);
		csum = &th->check;
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = (struct udphdr *)l4;

		uh->source = htons(s->sport);
		uh->dest = htons(s->dport);
		uh->check = 0;
		len = sizeof(*uh);
		csum = &uh->check;
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		memset(l4, 0, 8);
		l4[0] = s->icmp_type;
		l4[1] = s->icmp_code;
		*(__u16 *)&l4[4] = htons(s->icmp_id);
		len = 8;
		csum = (__u16 *)&l4[2];
		if (s->inner)
			len += dfl_build_l3(l4 + 8, s->inner);
		break;
	default:
		break;
	}
	memset(l4 + len, 0xab, s->payload);
	len += s->payload;
	if (s->proto == IPPROTO_UDP)
		((struct udphdr *)l4)->len = htons(len);
	if (csum && !(s->proto == IPPROTO_UDP && s->udp_no_csum)) {
		/* ICMPv4 has no pseudo header. */
		if (s->proto == IPPROTO_ICMP)
			pseudo = 0;
		else
			pseudo += len;
		*csum = dfl_csum(pseudo, l4, len);
	}
	return len;
}

/* Writes the IP header, L4 header and payload at <buf>. */
static inline size_t dfl_build_l3(__u8 *buf, const struct dfl_pkt_spec *s)
{
	__u32 pseudo;
	size_t l4len;

	if (s->family == 6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)buf;

		__u8 *next = &ip6->nexthdr, *p = buf + sizeof(*ip6);

		memset(ip6, 0, sizeof(*ip6));
		ip6->version = 6;
		ip6->hop_limit = 64;
		ck_assert_int_eq(inet_pton(AF_INET6, s->src, &ip6->saddr), 1);
		ck_assert_int_eq(inet_pton(AF_INET6, s->dst, &ip6->daddr), 1);
		for (int i = 0; i < s->v6_exthdrs; i++, p += 8) {
			*next = 60; /* destination options, 8 bytes, padding */
			memset(p, 0, 8);
			p[2] = 1; /* PadN */
			p[3] = 4;
			next = p;
		}
		*next = s->proto;
		pseudo = dfl_csum_add(0, &ip6->saddr, 32) + s->proto;
		l4len = dfl_build_l4(p, s, pseudo) + (p - buf - sizeof(*ip6));
		ip6->payload_len = htons(l4len);
		return sizeof(*ip6) + l4len;
	}
	struct iphdr *ip = (struct iphdr *)buf;

	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = s->proto;
	ip->id = htons(s->ip_id);
	ip->frag_off = htons(s->frag_off);
	ip->saddr = dfl_ip4(s->src);
	ip->daddr = dfl_ip4(s->dst);
	pseudo = dfl_csum_add(0, &ip->saddr, 8) + s->proto;
	if (s->frag_off & 0x1fff) {
		/* A later fragment carries payload only. */
		memset(buf + sizeof(*ip), 0xab, s->payload + 8);
		l4len = s->payload + 8;
	} else {
		l4len = dfl_build_l4(buf + sizeof(*ip), s, pseudo);
	}
	ip->tot_len = htons(sizeof(*ip) + l4len);
	if (s->ihl)
		ip->ihl = s->ihl;
	ip->check = dfl_csum(0, ip, sizeof(*ip));
	return sizeof(*ip) + l4len;
}

/* Builds an Ethernet frame; returns its length. */
static inline size_t dfl_build(__u8 *buf, const struct dfl_pkt_spec *s)
{
	struct ethhdr *eth = (struct ethhdr *)buf;
	static const __u8 pod_mac[6] = { 0x02, 0, 0, 0, 0, 0xaa };
	static const __u8 host_mac[6] = { 0x02, 0, 0, 0, 0, 0xbb };

	memcpy(eth->h_source, pod_mac, 6);
	memcpy(eth->h_dest, host_mac, 6);
	if (s->eth_proto) {
		eth->h_proto = htons(s->eth_proto);
		memset(buf + sizeof(*eth), 0, 46);
		return sizeof(*eth) + 46;
	}
	eth->h_proto = htons(s->family == 6 ? ETH_P_IPV6 : ETH_P_IP);
	return sizeof(*eth) + dfl_build_l3(buf + sizeof(*eth), s);
}

/* The result of one program run. */
struct dfl_run {
	int retval;
	__u32 mark;
	__u8 out[2048];
	__u32 out_len;
};

static inline int dfl_collect_event(void *ctx, const struct dfl_event *ev)
{
	(void)ctx;
	if (fx.n_ev < DFL_MAX_EVENTS)
		fx.ev[fx.n_ev++] = *ev;
	return 0;
}

static inline void dfl_drain_events(void)
{
	fx.n_ev = 0;
	ck_assert_int_ge(dfl_datapath__events_poll(fx.dp, 0, dfl_collect_event,
						   NULL),
			 0);
}

/* Runs <prog> once on the packet of <s> as if it arrived on <ifindex>
 * with skb->mark <mark>; collects the events it emitted into fx.ev. */
static inline struct dfl_run dfl_run_mark(enum dfl_prog prog, __u32 ifindex,
					  const struct dfl_pkt_spec *s,
					  __u32 mark)
{
	struct dfl_run r = {};
	__u8 pkt[2048];
	struct __sk_buff ctx = { .ifindex = ifindex, .mark = mark };
	LIBBPF_OPTS(bpf_test_run_opts, o);
	int fd = dfl_datapath__prog_fd(fx.dp, prog);

	ck_assert_int_ge(fd, 0);
	o.data_size_in = dfl_build(pkt, s);
	if (s->truncate)
		o.data_size_in = s->truncate;
	o.data_in = pkt;
	o.data_out = r.out;
	o.data_size_out = sizeof(r.out);
	o.ctx_in = &ctx;
	o.ctx_size_in = sizeof(ctx);
	o.ctx_out = &ctx;
	o.ctx_size_out = sizeof(ctx);
	o.repeat = 1;
	dfl_drain_events(); /* leftovers of earlier steps */
	ck_assert_msg(bpf_prog_test_run_opts(fd, &o) == 0,
		      "test run of a %u-byte frame: %s", o.data_size_in,
		      strerror(errno));
	r.retval = o.retval;
	r.out_len = o.data_size_out;
	r.mark = ctx.mark;
	dfl_drain_events();
	return r;
}

/* Packet leaving endpoint A (through A's host-side tc ingress). */
static inline struct dfl_run dfl_from(__u32 ifindex, const struct dfl_pkt_spec *s)
{
	return dfl_run_mark(DFL_PROG_FROM_ENDPOINT, ifindex, s, 0);
}

/* Packet entering an endpoint (through its host-side tc egress). */
static inline struct dfl_run dfl_to(__u32 ifindex, const struct dfl_pkt_spec *s)
{
	return dfl_run_mark(DFL_PROG_TO_ENDPOINT, ifindex, s, 0);
}

/* The first event of <type> from the last run, or NULL. */
static inline const struct dfl_event *dfl_event_of(__u8 type)
{
	for (int i = 0; i < fx.n_ev; i++)
		if (fx.ev[i].type == type)
			return &fx.ev[i];
	return NULL;
}

static inline int dfl_count_events(__u8 type)
{
	int n = 0;

	for (int i = 0; i < fx.n_ev; i++)
		n += fx.ev[i].type == type;
	return n;
}

/* Asserts the last run dropped with <reason> and reported it. */
#define dfl_assert_drop(r, reason)                                             \
	do {                                                                   \
		const struct dfl_event *_d = dfl_event_of(DFL_EV_DROP);     \
		ck_assert_int_eq((r).retval, TC_ACT_SHOT);                     \
		ck_assert_msg(_d, "no drop event");                            \
		ck_assert_uint_eq(_d->drop_reason, (reason));                  \
		ck_assert_uint_eq(_d->verdict, DFL_VERDICT_DROPPED);           \
	} while (0)

#define dfl_assert_pass(r)                                                     \
	do {                                                                   \
		const struct dfl_event *_d = dfl_event_of(DFL_EV_DROP);     \
		ck_assert_msg(!_d, "unexpected drop, reason %u",               \
			      _d ? _d->drop_reason : 0);                       \
		ck_assert_int_eq((r).retval, TC_ACT_OK);                       \
	} while (0)

/* Runs the suite built by <make_suite> and exits with its status. */
static inline int dfl_test_main(Suite *(*make_suite)(void))
{
	char glob_cmd[256];
	SRunner *sr;
	int failed;

	dfl_log_set_level(getenv("DFL_DEBUG") ? DFL_LOG_DEBUG : DFL_LOG_WARN);
	/* Every child's root starts with the runner's own prefix. */
	snprintf(glob_cmd, sizeof(glob_cmd), "%s-%d", dfl_test_prefix(),
		 (int)getpid());
	setenv("DFL_TEST_PIN_PREFIX", glob_cmd, 1);
	dfl_test_netns();
	sr = srunner_create(make_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* A failed test skips its teardown: purge what it left. */
	snprintf(glob_cmd, sizeof(glob_cmd),
		 "for d in %s-*; do [ -d \"$d\" ] && "
		 "rm -f \"$d\"/dfl_* && rmdir \"$d\"; done; true",
		 dfl_test_prefix());
	if (system(glob_cmd))
		failed++;
	return failed ? 1 : 0;
}

#endif
