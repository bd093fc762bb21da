/* datapath_prog: per-packet cost of the policy programs, measured with
 * BPF_PROG_TEST_RUN (the kernel's own timing of <repeat> runs of the same
 * packet, cache-hot), with N entries in the endpoint's policy map and N
 * addresses in the ipcache.
 *   datapath_prog [REPEAT] [N...]     (default 1000000, 10 1000 100000)
 * Runs in a private network namespace with its own pin root. Prints one
 * line per case: "prog entries=N case=... ns_per_pkt=X". */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/datapath.h"

#define ID_BASE 100000

struct pkt {
	struct ethhdr eth;
	struct iphdr ip;
	struct tcphdr tcp;
} __attribute__((packed));

/* A TCP packet from 10.0.0.1:40000 to the i-th peer address. */
static void build(struct pkt *p, __u32 peer, __u16 dport, __u8 flags)
{
	memset(p, 0, sizeof(*p));
	p->eth.h_proto = htons(ETH_P_IP);
	p->ip.version = 4;
	p->ip.ihl = 5;
	p->ip.ttl = 64;
	p->ip.protocol = IPPROTO_TCP;
	p->ip.tot_len = htons(40);
	p->ip.saddr = htonl(0x0a000001);
	p->ip.daddr = peer;
	p->tcp.source = htons(40000);
	p->tcp.dest = htons(dport);
	p->tcp.doff = 5;
	((__u8 *)&p->tcp)[13] = flags;
}

static __u32 peer_addr(__u32 i)
{
	return htonl(0x0b000000 + i); /* 11.0.0.0/8 */
}

static double run(int fd, __u32 ifindex, struct pkt *p, int repeat, int *ret)
{
	struct __sk_buff ctx = { .ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p,
		    .data_size_in = sizeof(*p), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o)) {
		perror("datapath_prog: test run");
		exit(1);
	}
	*ret = o.retval;
	return o.duration;
}

static int drain(void *ctx, const struct dfl_event *ev)
{
	(void)ctx;
	(void)ev;
	return 0;
}

static int one_size(__u32 n, int repeat, __u32 ifindex)
{
	char root[64];
	struct dfl_policy_spec *specs = calloc(n, sizeof(*specs));
	struct dfl_endpoint_cfg cfg = { .ifindex = ifindex, .ep_id = 1,
					.identity = 1, .ipv4 = htonl(0x0a000001) };
	struct pkt p;
	int fd, ret;
	double ns;

	snprintf(root, sizeof(root), "/sys/fs/bpf/dflt-bpf-bench-%d", getpid());
	DFL_DATAPATH_OPTS(o, .pin_root = root,
			  .policy_map_max = n > 16384 ? n : 16384,
			  .ipcache_max = n + 16, .quiet_allowed = true);
	struct dfl_datapath *dp = dfl_datapath__open(&o);

	if (!dp || !specs)
		return 1;
	for (__u32 i = 0; i < n; i++) {
		struct dfl_dp_prefix pfx = { .family = 4, .len = 32,
					  .addr = { peer_addr(i) } };
		struct dfl_ipcache_entry e = { .identity = ID_BASE + i };

		if (dfl_datapath__ipcache_upsert(dp, &pfx, &e))
			return 1;
		specs[i] = (struct dfl_policy_spec){
			.identity = ID_BASE + i, .egress = true,
			.proto = IPPROTO_TCP, .port = 1000 + i % 50000,
			.port_prefix_len = 16, .precedence = 0xffffff01u };
	}
	if (dfl_datapath__policy_replace(dp, 1, specs, n) ||
	    dfl_datapath__endpoint_attach(dp, &cfg))
		return 1;
	fd = dfl_datapath__prog_fd(dp, DFL_PROG_FROM_ENDPOINT);

	/* The peer in the middle of the table, on its allowed port. The first
	 * run creates the connection; the repeats are established packets,
	 * each decided against the policy again (as every forward packet). */
	build(&p, peer_addr(n / 2), 1000 + (n / 2) % 50000, 0x10);
	run(fd, ifindex, &p, 1, &ret);
	ns = run(fd, ifindex, &p, repeat, &ret);
	printf("prog entries=%u case=allowed-established ns_per_pkt=%.1f "
	       "(ret %d)\n",
	       n, ns, ret);

	/* A port the peer is not allowed: a drop with its event each time. */
	build(&p, peer_addr(n / 2), 65000, 0x02);
	ns = run(fd, ifindex, &p, repeat / 10, &ret);
	dfl_datapath__events_poll(dp, 0, drain, NULL);
	printf("prog entries=%u case=denied-with-event ns_per_pkt=%.1f "
	       "(ret %d)\n",
	       n, ns, ret);

	/* A destination missing from the ipcache (world). */
	build(&p, htonl(0xc0000201), 80, 0x02);
	ns = run(fd, ifindex, &p, repeat / 10, &ret);
	dfl_datapath__events_poll(dp, 0, drain, NULL);
	printf("prog entries=%u case=world-denied ns_per_pkt=%.1f (ret %d)\n",
	       n, ns, ret);

	dfl_datapath__close(dp);
	dfl_datapath__purge(root);
	free(specs);
	return 0;
}

/* The floor: a tc program that returns TC_ACT_OK at once. */
static int noop_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "dfl_noop", "GPL",
			     insns, 2, NULL);
}

int main(int argc, char **argv)
{
	int repeat = argc > 1 ? atoi(argv[1]) : 1000000;
	__u32 sizes[8] = { 10, 1000, 100000 };
	int n_sizes = 3;
	__u32 ifindex;

	if (argc > 2) {
		n_sizes = 0;
		for (int i = 2; i < argc && n_sizes < 8; i++)
			sizes[n_sizes++] = strtoul(argv[i], NULL, 10);
	}
	if (unshare(CLONE_NEWNET) ||
	    system("ip link add name dflt-bpf-b0 type veth peer name "
		   "dflt-bpf-b1")) {
		perror("datapath_prog: netns (needs root)");
		return 1;
	}
	ifindex = if_nametoindex("dflt-bpf-b0");
	{
		struct pkt p;
		int fd = noop_prog(), ret;

		if (fd < 0) {
			perror("datapath_prog: noop program");
			return 1;
		}
		build(&p, peer_addr(0), 80, 0x10);
		printf("prog entries=0 case=noop-program ns_per_pkt=%.1f\n",
		       run(fd, ifindex, &p, repeat, &ret));
		close(fd);
	}
	for (int i = 0; i < n_sizes; i++)
		if (one_size(sizes[i], repeat, ifindex))
			return 1;
	return 0;
}
