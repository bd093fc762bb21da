/* Connection tracking (reference/cilium-policy.md §3.7) and ICMP (§3.6):
 * replies pass without policy, established forward packets are re-decided,
 * ICMP errors of tracked connections pass as related. */
#include "tests/bpf/dfl_test.h"

static const struct dfl_policy_spec allow_a_to_b_tcp80[] = {
	{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_TCP,
	  .port = 80, .port_prefix_len = 16, .precedence = PREC_ALLOW,
	  .cookie = 1 },
};

static const struct dfl_pkt_spec syn = {
	.src = IP_A, .dst = IP_B, .proto = IPPROTO_TCP, .sport = 40000,
	.dport = 80, .tcp_flags = 0x02,
};

static const struct dfl_pkt_spec synack = {
	.src = IP_B, .dst = IP_A, .proto = IPPROTO_TCP, .sport = 80,
	.dport = 40000, .tcp_flags = 0x12,
};

static struct dfl_pkt_spec ack(void)
{
	struct dfl_pkt_spec s = syn;

	s.tcp_flags = 0x10;
	return s;
}

struct ct_find {
	__u16 ep_id;
	__u8 flags;
	int n;
	struct dfl_ct_entry last;
};

static int ct_count(void *ctx, const struct dfl_ct_key *k,
		    const struct dfl_ct_entry *v)
{
	struct ct_find *f = ctx;

	if (k->ep_id == f->ep_id && (k->flags & f->flags) == f->flags) {
		f->n++;
		f->last = *v;
	}
	return 0;
}

static struct ct_find ct_of(__u16 ep_id, __u8 flags)
{
	struct ct_find f = { .ep_id = ep_id, .flags = flags };

	ck_assert_int_eq(dfl_datapath__ct_foreach(fx.dp, ct_count, &f), 0);
	return f;
}

START_TEST(reply_passes_without_ingress_policy)
{
	struct dfl_pkt_spec a = ack();
	struct dfl_run r;
	struct ct_find f;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_a_to_b_tcp80, 1); /* no ingress entries */
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_pass(r);
	f = ct_of(EP_A, DFL_CT_F_EGRESS);
	ck_assert_int_eq(f.n, 1);
	ck_assert_uint_eq(f.last.remote_identity, ID_PEER);
	ck_assert_uint_eq(f.last.cookie, 1);

	r = dfl_to(fx.if_a, &synack);
	dfl_assert_pass(r);
	ck_assert_int_eq(fx.n_ev, 0); /* replies are not decisions */
	f = ct_of(EP_A, DFL_CT_F_EGRESS);
	ck_assert(f.last.flags & DFL_CT_E_SEEN_REPLY);

	/* The established forward packet: allowed, no new verdict event. */
	r = dfl_from(fx.if_a, &a);
	dfl_assert_pass(r);
	ck_assert_int_eq(dfl_count_events(DFL_EV_POLICY_VERDICT), 0);
}
END_TEST

START_TEST(unsolicited_reply_is_a_new_connection)
{
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_a_to_b_tcp80, 1);
	r = dfl_to(fx.if_a, &synack);
	dfl_assert_drop(r, DFL_DROP_POLICY);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_DROP)->ct_state, DFL_CT_NEW);
}
END_TEST

/* §3.7: policy applies to every forward packet, so a new deny cuts an
 * established flow; its replies still pass. */
START_TEST(new_deny_cuts_established_flow)
{
	/* The compiler prunes the allow under the covering deny (§3.5). */
	struct dfl_policy_spec deny[] = {
		{ .identity = ID_PEER, .egress = true, .deny = true,
		  .precedence = PREC_DENY, .cookie = 99 },
	};
	struct dfl_pkt_spec a = ack();
	const struct dfl_event *d;
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_a_to_b_tcp80, 1);
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_pass(r);
	r = dfl_to(fx.if_a, &synack);
	dfl_assert_pass(r);

	dfl_fx_policy(EP_A, deny, 1);
	r = dfl_from(fx.if_a, &a);
	dfl_assert_drop(r, DFL_DROP_POLICY_DENY);
	d = dfl_event_of(DFL_EV_DROP);
	ck_assert_uint_eq(d->ct_state, DFL_CT_ESTABLISHED);
	ck_assert_uint_eq(d->cookie, 99);
	/* Established packets report drops only, not verdicts. */
	ck_assert_int_eq(dfl_count_events(DFL_EV_POLICY_VERDICT), 0);
	r = dfl_to(fx.if_a, &synack);
	dfl_assert_pass(r);
}
END_TEST

/* Each endpoint keeps its own view: A's egress entry does not admit the
 * packet at B's ingress, whose policy decides on its own. */
START_TEST(conntrack_is_per_endpoint)
{
	struct dfl_policy_spec b_in[] = {
		{ .identity = ID_SELF, .proto = IPPROTO_TCP, .port = 80,
		  .port_prefix_len = 16, .precedence = PREC_ALLOW,
		  .cookie = 2 },
	};
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_a_to_b_tcp80, 1);
	dfl_fx_policy(EP_B, NULL, 0);
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_pass(r);
	r = dfl_to(fx.if_b, &syn);
	dfl_assert_drop(r, DFL_DROP_POLICY);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_DROP)->ep_id, EP_B);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_DROP)->remote_identity,
			  ID_SELF);

	dfl_fx_policy(EP_B, b_in, 1);
	r = dfl_to(fx.if_b, &syn);
	dfl_assert_pass(r);
	ck_assert_int_eq(ct_of(EP_B, 0).n, 1);
	/* B's reply leaves B as a reply of B's ingress connection. */
	r = dfl_from(fx.if_b, &synack);
	dfl_assert_pass(r);
	ck_assert_int_eq(fx.n_ev, 0);
}
END_TEST

START_TEST(rst_closes_and_syn_reopens)
{
	struct dfl_pkt_spec rst = syn;
	struct ct_find f;
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_a_to_b_tcp80, 1);
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_pass(r);
	rst.tcp_flags = 0x04;
	r = dfl_from(fx.if_a, &rst);
	dfl_assert_pass(r);
	f = ct_of(EP_A, DFL_CT_F_EGRESS);
	ck_assert_uint_eq(f.last.flags &
				  (DFL_CT_E_TX_CLOSING | DFL_CT_E_RX_CLOSING),
			  DFL_CT_E_TX_CLOSING | DFL_CT_E_RX_CLOSING);
	/* A SYN on the closed tuple is a new connection with a verdict. */
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_pass(r);
	ck_assert_int_eq(dfl_count_events(DFL_EV_POLICY_VERDICT), 1);
	f = ct_of(EP_A, DFL_CT_F_EGRESS);
	ck_assert_uint_eq(f.last.flags & DFL_CT_E_TX_CLOSING, 0);
}
END_TEST

/* §9 item 9: echo requests need a policy entry with the ICMP type; the
 * echo replies pass via conntrack. */
START_TEST(icmp_echo_type_in_port_and_reply_via_ct)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_ICMP,
		  .port = 8, .port_prefix_len = 16, .precedence = PREC_ALLOW,
		  .cookie = 8 },
	};
	struct dfl_pkt_spec req = { .src = IP_A, .dst = IP_B,
				    .proto = IPPROTO_ICMP, .icmp_type = 8,
				    .icmp_id = 0x1234 };
	struct dfl_pkt_spec rep = { .src = IP_B, .dst = IP_A,
				    .proto = IPPROTO_ICMP, .icmp_type = 0,
				    .icmp_id = 0x1234 };
	struct dfl_pkt_spec ts = req;
	const struct dfl_event *v;
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 1);
	r = dfl_from(fx.if_a, &req);
	dfl_assert_pass(r);
	v = dfl_event_of(DFL_EV_POLICY_VERDICT);
	ck_assert_uint_eq(v->icmp_type, 8);
	ck_assert_uint_eq(v->match_type, DFL_POLICY_MATCH_L3_L4);
	r = dfl_to(fx.if_a, &rep);
	dfl_assert_pass(r);
	ck_assert_int_eq(fx.n_ev, 0);
	/* A reply with another identifier is not a reply. */
	rep.icmp_id = 0x9999;
	r = dfl_to(fx.if_a, &rep);
	dfl_assert_drop(r, DFL_DROP_POLICY);
	/* Timestamp requests (type 13) are another type. */
	ts.icmp_type = 13;
	r = dfl_from(fx.if_a, &ts);
	dfl_assert_drop(r, DFL_DROP_POLICY);
}
END_TEST

/* §3.6 / §9 item 38: an ICMP entry for type 0 is port 0, a wildcard. */
START_TEST(icmp_type_zero_allows_every_type)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_ICMP,
		  .port = 0, .port_prefix_len = 16, .precedence = PREC_ALLOW },
	};
	struct dfl_pkt_spec req = { .src = IP_A, .dst = IP_B,
				    .proto = IPPROTO_ICMP, .icmp_type = 8,
				    .icmp_id = 1 };
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 1);
	r = dfl_from(fx.if_a, &req);
	dfl_assert_pass(r);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_POLICY_VERDICT)->match_type,
			  DFL_POLICY_MATCH_L3_PROTO);
}
END_TEST

START_TEST(icmpv6_echo_and_neighbour_discovery)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true, .proto = 58,
		  .port = 128, .port_prefix_len = 16,
		  .precedence = PREC_ALLOW },
	};
	struct dfl_pkt_spec req = { .family = 6, .src = "fd00::a",
				    .dst = "fd00::b", .proto = 58,
				    .icmp_type = 128, .icmp_id = 7 };
	struct dfl_pkt_spec rep = { .family = 6, .src = "fd00::b",
				    .dst = "fd00::a", .proto = 58,
				    .icmp_type = 129, .icmp_id = 7 };
	struct dfl_pkt_spec ns = { .family = 6, .src = "fe80::1",
				   .dst = "ff02::1:ff00:b", .proto = 58,
				   .icmp_type = 135 };
	struct dfl_run r;

	dfl_fx_ipcache("fd00::b/128", ID_PEER);
	dfl_fx_endpoint(fx.if_a, EP_A, ID_SELF, "fd00::a", false);
	dfl_fx_policy(EP_A, p, 1);
	r = dfl_from(fx.if_a, &req);
	dfl_assert_pass(r);
	r = dfl_to(fx.if_a, &rep);
	dfl_assert_pass(r);
	/* Neighbour discovery needs no policy, in either direction. */
	r = dfl_from(fx.if_a, &ns);
	dfl_assert_pass(r);
	r = dfl_to(fx.if_a, &ns);
	dfl_assert_pass(r);
	ck_assert_int_eq(fx.n_ev, 0);
}
END_TEST

/* Errors quoting a tracked connection pass as related, whatever the
 * policy; errors about nothing we know are decided by their type. */
START_TEST(icmp_error_of_tracked_connection_is_related)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_UDP,
		  .port = 53, .port_prefix_len = 16,
		  .precedence = PREC_ALLOW },
	};
	struct dfl_pkt_spec udp = { .src = IP_A, .dst = IP_B,
				    .proto = IPPROTO_UDP, .sport = 5353,
				    .dport = 53 };
	struct dfl_pkt_spec other = udp;
	struct dfl_pkt_spec unreach = { .src = IP_B, .dst = IP_A,
					.proto = IPPROTO_ICMP, .icmp_type = 3,
					.icmp_code = 3, .inner = &udp };
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 1);
	r = dfl_from(fx.if_a, &udp);
	dfl_assert_pass(r);
	r = dfl_to(fx.if_a, &unreach);
	dfl_assert_pass(r);
	ck_assert_int_eq(fx.n_ev, 0);

	other.sport = 6000;
	unreach.inner = &other;
	r = dfl_to(fx.if_a, &unreach);
	dfl_assert_drop(r, DFL_DROP_POLICY);
	ck_assert(dfl_event_of(DFL_EV_DROP)->flags &
		  DFL_EV_F_ICMP_ERROR);
}
END_TEST

/* §3.6: ICMPv4 fragmentation-needed passes before any lookup, unless the
 * knob is off. */
START_TEST(frag_needed_always_allowed)
{
	struct dfl_pkt_spec inner = { .src = IP_A, .dst = "198.51.100.1",
				      .proto = IPPROTO_TCP, .sport = 1,
				      .dport = 2 };
	struct dfl_pkt_spec fn = { .src = "198.51.100.254", .dst = IP_A,
				   .proto = IPPROTO_ICMP, .icmp_type = 3,
				   .icmp_code = 4, .inner = &inner };
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, NULL, 0);
	r = dfl_to(fx.if_a, &fn);
	dfl_assert_pass(r);
	fn.icmp_code = 3;
	r = dfl_to(fx.if_a, &fn);
	dfl_assert_drop(r, DFL_DROP_POLICY);
}
END_TEST

START_TEST(frag_needed_knob_off_applies_policy)
{
	struct dfl_pkt_spec inner = { .src = IP_A, .dst = "198.51.100.1",
				      .proto = IPPROTO_TCP, .sport = 1,
				      .dport = 2 };
	struct dfl_pkt_spec fn = { .src = "198.51.100.254", .dst = IP_A,
				   .proto = IPPROTO_ICMP, .icmp_type = 3,
				   .icmp_code = 4, .inner = &inner };
	DFL_DATAPATH_OPTS(o, .no_icmp_frag_needed = true);
	struct dfl_run r;

	dfl_fx_teardown();
	dfl_fx_setup_opts(&o);
	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, NULL, 0);
	r = dfl_to(fx.if_a, &fn);
	dfl_assert_drop(r, DFL_DROP_POLICY);
}
END_TEST

static Suite *ct_suite(void)
{
	Suite *s = suite_create("bpf_conntrack");
	TCase *tc = tcase_create("conntrack");

	tcase_add_checked_fixture(tc, dfl_fx_setup, dfl_fx_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, reply_passes_without_ingress_policy);
	tcase_add_test(tc, unsolicited_reply_is_a_new_connection);
	tcase_add_test(tc, new_deny_cuts_established_flow);
	tcase_add_test(tc, conntrack_is_per_endpoint);
	tcase_add_test(tc, rst_closes_and_syn_reopens);
	tcase_add_test(tc, icmp_echo_type_in_port_and_reply_via_ct);
	tcase_add_test(tc, icmp_type_zero_allows_every_type);
	tcase_add_test(tc, icmpv6_echo_and_neighbour_discovery);
	tcase_add_test(tc, icmp_error_of_tracked_connection_is_related);
	tcase_add_test(tc, frag_needed_always_allowed);
	tcase_add_test(tc, frag_needed_knob_off_applies_policy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return dfl_test_main(ct_suite);
}
