/* L7 redirect decisions (DESIGN.md "L7 redirect"). BPF_PROG_TEST_RUN does
 * not run at tc ingress, so the kernel refuses the final socket assignment
 * here; the netns tier proves delivery end to end. What is checked: which
 * socket is looked up, what happens without one, the ingress bounce, and
 * the proxy's marks. */
#include <netinet/in.h>
#include <sys/socket.h>

#include "tests/bpf/dfl_test.h"

#define PROXY_PORT 15001

static const struct dfl_pkt_spec syn = {
	.src = IP_A, .dst = IP_B, .proto = IPPROTO_TCP, .sport = 40000,
	.dport = 80,
};

static const struct dfl_policy_spec redirect_egress[] = {
	{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_TCP,
	  .port = 80, .port_prefix_len = 16, .proxy_port = PROXY_PORT,
	  .precedence = PREC_HTTP, .cookie = 3 },
};

/* A transparent listener on loopback, as the proxy opens it. */
static int listener(int type, __u16 port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int fd = socket(AF_INET, type, 0), one = 1;

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one,
				    sizeof(one)),
			 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (type == SOCK_STREAM)
		ck_assert_int_eq(listen(fd, 8), 0);
	return fd;
}

START_TEST(no_listener_drops_never_passes)
{
	struct dfl_policy_spec udp[] = {
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_UDP,
		  .port = 53, .port_prefix_len = 16, .proxy_port = 15053,
		  .precedence = 0xffffff86u },
	};
	struct dfl_pkt_spec q = { .src = IP_A, .dst = IP_B,
				  .proto = IPPROTO_UDP, .sport = 999,
				  .dport = 53 };
	const struct dfl_event *d;
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, redirect_egress, 1);
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_drop(r, DFL_DROP_PROXY_LOOKUP_FAILED);
	d = dfl_event_of(DFL_EV_DROP);
	ck_assert(d->flags & DFL_EV_F_TO_PROXY);
	ck_assert_uint_eq(d->proxy_port, PROXY_PORT);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_POLICY_VERDICT)->verdict,
			  DFL_VERDICT_REDIRECTED);

	dfl_fx_policy(EP_A, udp, 1);
	r = dfl_from(fx.if_a, &q);
	dfl_assert_drop(r, DFL_DROP_PROXY_LOOKUP_FAILED);
}
END_TEST

/* With the proxy listening, the lookup succeeds and only the assignment
 * is left, which the kernel grants at a real tc ingress only. */
START_TEST(listener_is_found_by_port)
{
	struct dfl_run r;
	int tcp = listener(SOCK_STREAM, PROXY_PORT);

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, redirect_egress, 1);
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_drop(r, DFL_DROP_PROXY_SET_FAILED);
	close(tcp);
}
END_TEST

START_TEST(redirect_of_portless_protocol_is_unsupported)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true,
		  .proxy_port = PROXY_PORT, .precedence = PREC_HTTP },
	};
	struct dfl_pkt_spec ping = { .src = IP_A, .dst = IP_B,
				     .proto = IPPROTO_ICMP, .icmp_type = 8,
				     .icmp_id = 1 };
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 1);
	r = dfl_from(fx.if_a, &ping);
	dfl_assert_drop(r, DFL_DROP_PROXY_UNKNOWN_PROTO);
}
END_TEST

/* Ingress redirect: tc egress cannot assign sockets, so the packet is
 * marked with the port and sent back into the host side's ingress. */
START_TEST(ingress_redirect_bounces_to_host_ingress)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_SELF, .proto = IPPROTO_TCP, .port = 80,
		  .port_prefix_len = 16, .proxy_port = PROXY_PORT,
		  .precedence = PREC_HTTP, .cookie = 4 },
	};
	const struct ethhdr *eth;
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_B, p, 1);
	r = dfl_to(fx.if_b, &syn);
	ck_assert_int_eq(r.retval, TC_ACT_REDIRECT);
	ck_assert_uint_eq(r.mark, (PROXY_PORT << 16) | DFL_MARK_TO_PROXY);
	eth = (const struct ethhdr *)r.out;
	ck_assert_uint_eq(eth->h_dest[5], 0xaa); /* was the source */
	ck_assert_uint_eq(eth->h_source[5], 0xbb);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_POLICY_VERDICT)->verdict,
			  DFL_VERDICT_REDIRECTED);

	/* Back at the host side's ingress: assigned there, no new policy
	 * decision. Nobody listens, so it drops (reported as ingress). */
	r = dfl_run_mark(DFL_PROG_FROM_ENDPOINT, fx.if_b, &syn,
			 (PROXY_PORT << 16) | DFL_MARK_TO_PROXY);
	dfl_assert_drop(r, DFL_DROP_PROXY_LOOKUP_FAILED);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_DROP)->dir, DFL_TRAFFIC_INGRESS);
	ck_assert_int_eq(dfl_count_events(DFL_EV_POLICY_VERDICT), 0);
}
END_TEST

struct ct_flags {
	__u16 ep_id;
	__u16 flags;
};

static int ct_flags_of(void *ctx, const struct dfl_ct_key *k,
		       const struct dfl_ct_entry *v)
{
	struct ct_flags *f = ctx;

	if (k->ep_id == f->ep_id)
		f->flags = v->flags;
	return 0;
}

/* The proxy's upstream after an ingress redirect: decided already. */
START_TEST(proxy_ingress_mark_skips_second_decision)
{
	struct ct_flags f = { .ep_id = EP_B };
	struct dfl_pkt_spec reply = { .src = IP_B, .dst = IP_A,
				      .proto = IPPROTO_TCP, .sport = 80,
				      .dport = 40000, .tcp_flags = 0x12 };
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_B, NULL, 0); /* would deny */
	r = dfl_run_mark(DFL_PROG_TO_ENDPOINT, fx.if_b, &syn,
			 DFL_MARK_PROXY_INGRESS);
	dfl_assert_pass(r);
	ck_assert_int_eq(fx.n_ev, 0);
	ck_assert_int_eq(dfl_datapath__ct_foreach(fx.dp, ct_flags_of, &f), 0);
	ck_assert(f.flags & DFL_CT_E_FROM_PROXY);

	/* B's reply belongs to the proxy's upstream socket, which is not
	 * there: dropped, not routed to A. */
	r = dfl_from(fx.if_b, &reply);
	dfl_assert_drop(r, DFL_DROP_PROXY_LOOKUP_FAILED);
}
END_TEST

/* After an egress redirect the destination's ingress policy still
 * decides the proxy's upstream connection. */
START_TEST(proxy_egress_mark_still_gets_ingress_policy)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_SELF, .proto = IPPROTO_TCP, .port = 80,
		  .port_prefix_len = 16, .precedence = PREC_ALLOW },
	};
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_B, NULL, 0);
	r = dfl_run_mark(DFL_PROG_TO_ENDPOINT, fx.if_b, &syn,
			 DFL_MARK_PROXY_EGRESS);
	dfl_assert_drop(r, DFL_DROP_POLICY);
	ck_assert(dfl_event_of(DFL_EV_DROP)->flags &
		  DFL_EV_F_FROM_PROXY);
	dfl_fx_policy(EP_B, p, 1);
	r = dfl_run_mark(DFL_PROG_TO_ENDPOINT, fx.if_b, &syn,
			 DFL_MARK_PROXY_EGRESS);
	dfl_assert_pass(r);
}
END_TEST

static Suite *proxy_suite(void)
{
	Suite *s = suite_create("bpf_proxy");
	TCase *tc = tcase_create("proxy");

	tcase_add_checked_fixture(tc, dfl_fx_setup, dfl_fx_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, no_listener_drops_never_passes);
	tcase_add_test(tc, listener_is_found_by_port);
	tcase_add_test(tc, redirect_of_portless_protocol_is_unsupported);
	tcase_add_test(tc, ingress_redirect_bounces_to_host_ingress);
	tcase_add_test(tc, proxy_ingress_mark_skips_second_decision);
	tcase_add_test(tc, proxy_egress_mark_still_gets_ingress_policy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return dfl_test_main(proxy_suite);
}
