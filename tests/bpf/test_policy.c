/* Policy lookup (reference/cilium-policy.md §8.4, §8.5, §9 items 30-36):
 * one test per lookup rule, run through the real programs. */
#include "tests/bpf/dfl_test.h"

/* Egress TCP from A (ID_SELF) to B (ID_PEER). */
static const struct dfl_pkt_spec tcp_a_b_80 = {
	.src = IP_A, .dst = IP_B, .proto = IPPROTO_TCP,
	.sport = 40000, .dport = 80,
};

static struct dfl_run egress(const struct dfl_pkt_spec *s)
{
	return dfl_from(fx.if_a, s);
}

/* Asserts the policy-verdict event of the last run (a macro, so that a
 * failure names the caller's line). */
#define assert_verdict(verdict_, match_, cookie_)                              \
	do {                                                                   \
		const struct dfl_event *_v =                                   \
			dfl_event_of(DFL_EV_POLICY_VERDICT);                \
		ck_assert_msg(_v, "no policy-verdict event");                  \
		ck_assert_uint_eq(_v->verdict, (verdict_));                    \
		ck_assert_uint_eq(_v->match_type, (match_));                   \
		ck_assert_uint_eq(_v->cookie, (cookie_));                      \
	} while (0)

START_TEST(no_entry_is_default_deny)
{
	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, NULL, 0);
	struct dfl_run r = egress(&tcp_a_b_80);

	dfl_assert_drop(r, DFL_DROP_POLICY);
	assert_verdict(DFL_VERDICT_DROPPED, DFL_POLICY_MATCH_NONE, 0);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_POLICY_VERDICT)->drop_reason,
			  DFL_DROP_POLICY);
}
END_TEST

START_TEST(l3_only_allows_every_port_and_protocol)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true,
		  .precedence = PREC_ALLOW, .cookie = 7 },
	};
	struct dfl_pkt_spec udp = { .src = IP_A, .dst = IP_B,
				    .proto = IPPROTO_UDP, .sport = 5000,
				    .dport = 53 };
	struct dfl_pkt_spec icmp = { .src = IP_A, .dst = IP_B,
				     .proto = IPPROTO_ICMP, .icmp_type = 8,
				     .icmp_id = 1 };
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 1);
	r = egress(&tcp_a_b_80);
	dfl_assert_pass(r);
	assert_verdict(DFL_VERDICT_FORWARDED, DFL_POLICY_MATCH_L3_ONLY, 7);
	r = egress(&udp);
	dfl_assert_pass(r);
	r = egress(&icmp);
	dfl_assert_pass(r);
	/* Another destination identity is not covered. */
	udp.dst = IP_C;
	r = egress(&udp);
	dfl_assert_drop(r, DFL_DROP_POLICY);
}
END_TEST

START_TEST(l3_l4_matches_identity_protocol_and_port)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_TCP,
		  .port = 80, .port_prefix_len = 16, .precedence = PREC_ALLOW,
		  .cookie = 3 },
	};
	struct dfl_pkt_spec s = tcp_a_b_80;
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 1);
	r = egress(&s);
	dfl_assert_pass(r);
	assert_verdict(DFL_VERDICT_FORWARDED, DFL_POLICY_MATCH_L3_L4, 3);
	s.dport = 81;
	r = egress(&s);
	dfl_assert_drop(r, DFL_DROP_POLICY);
	s.dport = 80;
	s.proto = IPPROTO_UDP;
	r = egress(&s);
	dfl_assert_drop(r, DFL_DROP_POLICY);
	s.proto = IPPROTO_TCP;
	s.dst = IP_C;
	r = egress(&s);
	dfl_assert_drop(r, DFL_DROP_POLICY);
}
END_TEST

START_TEST(l4_only_allows_any_identity_including_world)
{
	struct dfl_policy_spec p[] = {
		{ .egress = true, .proto = IPPROTO_TCP, .port = 80,
		  .port_prefix_len = 16, .precedence = PREC_ALLOW,
		  .cookie = 4 },
	};
	struct dfl_pkt_spec s = tcp_a_b_80;
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 1);
	r = egress(&s);
	dfl_assert_pass(r);
	assert_verdict(DFL_VERDICT_FORWARDED, DFL_POLICY_MATCH_L4_ONLY, 4);
	s.dst = IP_WORLD;
	r = egress(&s);
	dfl_assert_pass(r);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_POLICY_VERDICT)->remote_identity,
			  DFL_DP_ID_WORLD);
}
END_TEST

START_TEST(allow_all_and_protocol_only_match_types)
{
	struct dfl_policy_spec all[] = {
		{ .egress = true, .precedence = PREC_ALLOW, .cookie = 1 },
	};
	struct dfl_policy_spec proto[] = {
		{ .egress = true, .proto = IPPROTO_UDP,
		  .precedence = PREC_ALLOW, .cookie = 2 },
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_TCP,
		  .precedence = PREC_ALLOW, .cookie = 3 },
	};
	struct dfl_pkt_spec udp = { .src = IP_A, .dst = IP_C,
				    .proto = IPPROTO_UDP, .sport = 1,
				    .dport = 9999 };
	struct dfl_pkt_spec tcp = tcp_a_b_80;
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, all, 1);
	r = egress(&tcp);
	dfl_assert_pass(r);
	assert_verdict(DFL_VERDICT_FORWARDED, DFL_POLICY_MATCH_ALL, 1);

	dfl_fx_policy(EP_A, proto, 2);
	r = egress(&udp);
	dfl_assert_pass(r);
	assert_verdict(DFL_VERDICT_FORWARDED, DFL_POLICY_MATCH_PROTO_ONLY, 2);
	/* A new connection (the first one is established: no event). */
	tcp.sport++;
	r = egress(&tcp);
	dfl_assert_pass(r);
	assert_verdict(DFL_VERDICT_FORWARDED, DFL_POLICY_MATCH_L3_PROTO, 3);
}
END_TEST

/* §9 item 36 (d16): 8080-8095 is one key with a 12-bit port prefix. */
START_TEST(port_range_prefix_matches_inside_only)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_TCP,
		  .port = 8080, .port_prefix_len = 12,
		  .precedence = PREC_ALLOW, .cookie = 9 },
	};
	struct dfl_pkt_spec s = tcp_a_b_80;
	struct dfl_run r;
	__u16 in[] = { 8080, 8090, 8095 }, out[] = { 8079, 8096 };

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 1);
	for (size_t i = 0; i < 3; i++) {
		s.dport = in[i];
		s.sport = 1000 + i;
		r = egress(&s);
		dfl_assert_pass(r);
		assert_verdict(DFL_VERDICT_FORWARDED, DFL_POLICY_MATCH_L3_L4, 9);
	}
	for (size_t i = 0; i < 2; i++) {
		s.dport = out[i];
		r = egress(&s);
		dfl_assert_drop(r, DFL_DROP_POLICY);
	}
}
END_TEST

/* §9 item 33 (d13): a specific deny at MAX precedence decides alone. */
START_TEST(specific_deny_short_circuits)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true, .deny = true,
		  .precedence = PREC_DENY, .cookie = 66 },
		{ .egress = true, .proto = IPPROTO_TCP, .port = 80,
		  .port_prefix_len = 16, .precedence = PREC_ALLOW,
		  .cookie = 5 },
	};
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 2);
	r = egress(&tcp_a_b_80);
	dfl_assert_drop(r, DFL_DROP_POLICY_DENY);
	assert_verdict(DFL_VERDICT_DROPPED, DFL_POLICY_MATCH_L3_ONLY, 66);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_DROP)->cookie, 66);
}
END_TEST

/* A wildcard deny outranks a specific allow by precedence (§3.4). */
START_TEST(wildcard_deny_beats_specific_allow)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true,
		  .precedence = PREC_ALLOW, .cookie = 1 },
		{ .egress = true, .proto = IPPROTO_TCP, .port = 80,
		  .port_prefix_len = 16, .deny = true,
		  .precedence = PREC_DENY, .cookie = 2 },
	};
	struct dfl_pkt_spec s = tcp_a_b_80;
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 2);
	r = egress(&s);
	dfl_assert_drop(r, DFL_DROP_POLICY_DENY);
	assert_verdict(DFL_VERDICT_DROPPED, DFL_POLICY_MATCH_L4_ONLY, 2);
	s.dport = 81;
	r = egress(&s);
	dfl_assert_pass(r);
}
END_TEST

/* §9 item 30 (d09): same precedence, the wildcard entry's longer L4 prefix
 * wins. */
START_TEST(equal_precedence_longer_prefix_wins)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_TCP,
		  .precedence = PREC_ALLOW, .cookie = 1 },
		{ .egress = true, .proto = IPPROTO_TCP, .port = 80,
		  .port_prefix_len = 16, .precedence = PREC_ALLOW,
		  .cookie = 2 },
	};
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 2);
	r = egress(&tcp_a_b_80);
	dfl_assert_pass(r);
	assert_verdict(DFL_VERDICT_FORWARDED, DFL_POLICY_MATCH_L4_ONLY, 2);
}
END_TEST

/* §9 item 31 (d11): equal prefix and precedence, the specific entry wins. */
START_TEST(full_tie_goes_to_specific_identity)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_TCP,
		  .port = 80, .port_prefix_len = 16, .precedence = PREC_ALLOW,
		  .cookie = 1 },
		{ .egress = true, .proto = IPPROTO_TCP, .port = 80,
		  .port_prefix_len = 16, .precedence = PREC_ALLOW,
		  .cookie = 2 },
	};
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 2);
	r = egress(&tcp_a_b_80);
	dfl_assert_pass(r);
	assert_verdict(DFL_VERDICT_FORWARDED, DFL_POLICY_MATCH_L3_L4, 1);
}
END_TEST

/* §9 item 32 (d12): a wildcard allow-all with a higher precedence (a
 * redirect) wins over a specific L3/L4 allow and brings its proxy port. */
START_TEST(higher_precedence_wildcard_redirect_wins)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_TCP,
		  .port = 80, .port_prefix_len = 16, .precedence = PREC_ALLOW,
		  .cookie = 1 },
		{ .egress = true, .proxy_port = 15001,
		  .precedence = PREC_HTTP, .cookie = 2 },
	};
	const struct dfl_event *v;
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 2);
	r = egress(&tcp_a_b_80);
	v = dfl_event_of(DFL_EV_POLICY_VERDICT);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(v->verdict, DFL_VERDICT_REDIRECTED);
	ck_assert_uint_eq(v->proxy_port, 15001);
	ck_assert_uint_eq(v->match_type, DFL_POLICY_MATCH_ALL);
	ck_assert_uint_eq(v->cookie, 2);
	/* Nobody listens on 15001 here: never let it through unfiltered. */
	dfl_assert_drop(r, DFL_DROP_PROXY_LOOKUP_FAILED);
}
END_TEST

/* §9 item 34 (d14): two non-MAX denies, the wildcard one has the longer
 * prefix: its cookie and match type are reported. */
START_TEST(two_denies_longer_prefix_reported)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_TCP,
		  .deny = true, .precedence = 0xfffffe00u, .cookie = 1 },
		{ .egress = true, .proto = IPPROTO_TCP, .port = 80,
		  .port_prefix_len = 16, .deny = true,
		  .precedence = 0xfffffe00u, .cookie = 2 },
	};
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 2);
	r = egress(&tcp_a_b_80);
	dfl_assert_drop(r, DFL_DROP_POLICY_DENY);
	assert_verdict(DFL_VERDICT_DROPPED, DFL_POLICY_MATCH_L4_ONLY, 2);
}
END_TEST

/* Without aggregates (§8.4) the identity-0 entry is always the second
 * lookup, so a higher-precedence wildcard deny beats a specific allow. */
START_TEST(id0_deny_beats_specific_allow_without_aggregates)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true,
		  .precedence = PREC_ALLOW, .cookie = 1 },
		{ .egress = true, .deny = true, .precedence = PREC_DENY,
		  .cookie = 2 },
	};
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 2);
	r = egress(&tcp_a_b_80);
	dfl_assert_drop(r, DFL_DROP_POLICY_DENY);
}
END_TEST

START_TEST(auth_required_drops_and_inherits_at_equal_precedence)
{
	struct dfl_policy_spec own[] = {
		{ .identity = ID_PEER, .egress = true,
		  .precedence = PREC_ALLOW, .auth_type = 1, .cookie = 1 },
	};
	struct dfl_policy_spec inherit[] = {
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_TCP,
		  .port = 80, .port_prefix_len = 16, .precedence = PREC_ALLOW,
		  .cookie = 1 },
		{ .egress = true, .proto = IPPROTO_TCP, .port = 80,
		  .port_prefix_len = 16, .precedence = PREC_ALLOW,
		  .auth_type = 1, .cookie = 2 },
	};
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, own, 1);
	r = egress(&tcp_a_b_80);
	dfl_assert_drop(r, DFL_DROP_POLICY_AUTH_REQUIRED);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_DROP)->auth_type, 1);

	dfl_fx_policy(EP_A, inherit, 2);
	r = egress(&tcp_a_b_80);
	dfl_assert_drop(r, DFL_DROP_POLICY_AUTH_REQUIRED);
	assert_verdict(DFL_VERDICT_DROPPED, DFL_POLICY_MATCH_L3_L4, 1);

	/* An explicit "no auth" on the specific entry does not inherit. */
	inherit[0].explicit_auth = true;
	dfl_fx_policy(EP_A, inherit, 2);
	r = egress(&tcp_a_b_80);
	dfl_assert_pass(r);
}
END_TEST

START_TEST(directions_are_separate)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = false,
		  .precedence = PREC_ALLOW, .cookie = 1 },
	};
	struct dfl_pkt_spec in = { .src = IP_B, .dst = IP_A,
				   .proto = IPPROTO_TCP, .sport = 40000,
				   .dport = 80 };
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 1);
	r = egress(&tcp_a_b_80);
	dfl_assert_drop(r, DFL_DROP_POLICY);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_DROP)->dir, DFL_TRAFFIC_EGRESS);
	r = dfl_to(fx.if_a, &in);
	dfl_assert_pass(r);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_POLICY_VERDICT)->dir,
			  DFL_TRAFFIC_INGRESS);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_POLICY_VERDICT)->remote_identity,
			  ID_PEER);
}
END_TEST

/* CIDR identities: a longer ipcache prefix (an "except") carves its own
 * identity out of a shorter one. */
START_TEST(cidr_except_gets_its_own_identity)
{
	struct dfl_policy_spec p[] = {
		{ .identity = 0x01000001, .egress = true,
		  .precedence = PREC_ALLOW, .cookie = 1 },
		{ .identity = 0x01000002, .egress = true, .deny = true,
		  .precedence = PREC_DENY, .cookie = 2 },
	};
	struct dfl_pkt_spec s = tcp_a_b_80;
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_ipcache("198.51.100.0/24", 0x01000001);
	dfl_fx_ipcache("198.51.100.128/25", 0x01000002);
	dfl_fx_policy(EP_A, p, 2);
	s.dst = "198.51.100.7";
	r = egress(&s);
	dfl_assert_pass(r);
	s.dst = "198.51.100.200";
	r = egress(&s);
	dfl_assert_drop(r, DFL_DROP_POLICY_DENY);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_DROP)->remote_identity,
			  0x01000002);
	s.dst = "198.51.101.1";
	r = egress(&s);
	dfl_assert_drop(r, DFL_DROP_POLICY);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_DROP)->remote_identity,
			  DFL_DP_ID_WORLD);
}
END_TEST

START_TEST(ipv6_policy_and_world)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_TCP,
		  .port = 443, .port_prefix_len = 16,
		  .precedence = PREC_ALLOW, .cookie = 1 },
	};
	struct dfl_pkt_spec s = { .family = 6, .src = "fd00::a",
				  .dst = "fd00::b", .proto = IPPROTO_TCP,
				  .sport = 40000, .dport = 443 };
	struct dfl_run r;

	dfl_fx_ipcache("fd00::b/128", ID_PEER);
	dfl_fx_endpoint(fx.if_a, EP_A, ID_SELF, "fd00::a", false);
	dfl_fx_policy(EP_A, p, 1);
	r = egress(&s);
	dfl_assert_pass(r);
	ck_assert(dfl_event_of(DFL_EV_POLICY_VERDICT)->flags &
		  DFL_EV_F_IPV6);
	s.dst = "2001:db8::1";
	r = egress(&s);
	dfl_assert_drop(r, DFL_DROP_POLICY);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_DROP)->remote_identity,
			  DFL_DP_ID_WORLD);
}
END_TEST

/* A later IPv4 fragment whose first fragment never passed has no ports:
 * only L3 entries can match it, otherwise FRAG_NOSUPPORT. */
START_TEST(untracked_fragment_is_frag_nosupport)
{
	struct dfl_policy_spec l4[] = {
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_UDP,
		  .port = 53, .port_prefix_len = 16,
		  .precedence = PREC_ALLOW },
	};
	struct dfl_policy_spec l3[] = {
		{ .identity = ID_PEER, .egress = true,
		  .precedence = PREC_ALLOW },
	};
	struct dfl_pkt_spec later = { .src = IP_A, .dst = IP_B,
				      .proto = IPPROTO_UDP, .ip_id = 77,
				      .frag_off = 100, .payload = 64 };
	struct dfl_pkt_spec first = { .src = IP_A, .dst = IP_B,
				      .proto = IPPROTO_UDP, .sport = 5353,
				      .dport = 53, .ip_id = 78,
				      .frag_off = 0x2000, .payload = 64 };
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, l4, 1);
	r = egress(&later);
	dfl_assert_drop(r, DFL_DROP_FRAG_NOSUPPORT);
	/* The first fragment records its ports; the next one follows. */
	r = egress(&first);
	dfl_assert_pass(r);
	later.ip_id = 78;
	r = egress(&later);
	dfl_assert_pass(r);

	later.ip_id = 79;
	dfl_fx_policy(EP_A, l3, 1);
	r = egress(&later);
	dfl_assert_pass(r);
}
END_TEST

START_TEST(unknown_interface_is_ep_not_ready)
{
	struct dfl_run r = dfl_from(fx.if_b, &tcp_a_b_80);

	dfl_assert_drop(r, DFL_DROP_EP_NOT_READY);
}
END_TEST

START_TEST(spoofed_source_is_invalid_sip)
{
	struct dfl_policy_spec all[] = {
		{ .egress = true, .precedence = PREC_ALLOW },
	};
	struct dfl_pkt_spec s = tcp_a_b_80;
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, all, 1);
	s.src = IP_C;
	r = egress(&s);
	dfl_assert_drop(r, DFL_DROP_INVALID_SIP);
}
END_TEST

START_TEST(arp_passes_other_l3_drops)
{
	struct dfl_pkt_spec arp = { .eth_proto = 0x0806 };
	struct dfl_pkt_spec ipx = { .eth_proto = 0x8137 };
	struct dfl_run r;

	dfl_fx_two_pods();
	r = egress(&arp);
	dfl_assert_pass(r);
	r = egress(&ipx);
	dfl_assert_drop(r, DFL_DROP_UNKNOWN_L3);
}
END_TEST

START_TEST(malformed_packets_are_dropped_with_their_reason)
{
	struct dfl_pkt_spec tcp = tcp_a_b_80;
	struct dfl_pkt_spec icmp = { .src = IP_A, .dst = IP_B,
				     .proto = IPPROTO_ICMP, .icmp_type = 8 };
	struct dfl_pkt_spec ip = tcp_a_b_80;
	struct dfl_pkt_spec v6 = { .family = 6, .src = "fd00::a",
				   .dst = "fd00::b", .proto = IPPROTO_TCP,
				   .sport = 1, .dport = 2 };
	struct dfl_run r;

	dfl_fx_two_pods();
	tcp.truncate = 14 + 20 + 10; /* half a TCP header */
	r = egress(&tcp);
	dfl_assert_drop(r, DFL_DROP_CT_INVALID_HDR);
	icmp.truncate = 14 + 20 + 4;
	r = egress(&icmp);
	dfl_assert_drop(r, DFL_DROP_INVALID);
	ip.ihl = 4; /* an IPv4 header shorter than its fixed part */
	r = egress(&ip);
	dfl_assert_drop(r, DFL_DROP_INVALID);
	/* More extension headers than the datapath walks. */
	v6.v6_exthdrs = 5;
	r = egress(&v6);
	dfl_assert_drop(r, DFL_DROP_INVALID_EXTHDR);
	v6.v6_exthdrs = 2; /* within the limit: parsed, then decided */
	r = egress(&v6);
	dfl_assert_drop(r, DFL_DROP_POLICY);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_DROP)->dport, 2);
}
END_TEST

START_TEST(audit_mode_turns_drops_into_audited_allows)
{
	const struct dfl_event *v;
	struct dfl_run r;

	dfl_fx_ipcache(IP_B "/32", ID_PEER);
	dfl_fx_endpoint(fx.if_a, EP_A, ID_SELF, IP_A, true);
	dfl_fx_policy(EP_A, NULL, 0);
	r = egress(&tcp_a_b_80);
	dfl_assert_pass(r);
	v = dfl_event_of(DFL_EV_POLICY_VERDICT);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(v->verdict, DFL_VERDICT_AUDIT);
	ck_assert(v->flags & DFL_EV_F_AUDITED);
	ck_assert_uint_eq(v->drop_reason, DFL_DROP_POLICY);

	/* Audit off again: the same (now established) flow is cut. */
	ck_assert_int_eq(dfl_datapath__endpoint_set_audit(fx.dp, fx.if_a,
							  false),
			 0);
	r = egress(&tcp_a_b_80);
	dfl_assert_drop(r, DFL_DROP_POLICY);
}
END_TEST

/* ---- the V20 aggregate generation (§8.5, cfg_aggregate_lookup) ---- */

static void aggregate_setup(void)
{
	DFL_DATAPATH_OPTS(o, .aggregate_lookup = true);

	dfl_fx_setup_opts(&o);
	dfl_fx_two_pods();
}

/* d09 with aggregates: a pod identity (>= 256) meets the aggregate-cluster
 * entry (11) of a wildcard rule. */
START_TEST(aggregate_entry_matches_pod_identities)
{
	struct dfl_policy_spec p[] = {
		{ .identity = DFL_DP_ID_AGG_CLUSTER, .egress = true,
		  .proto = IPPROTO_TCP, .port = 80, .port_prefix_len = 16,
		  .precedence = PREC_ALLOW, .cookie = 11 },
	};
	struct dfl_pkt_spec world = tcp_a_b_80;
	struct dfl_run r;

	dfl_fx_policy(EP_A, p, 1);
	r = egress(&tcp_a_b_80);
	dfl_assert_pass(r);
	assert_verdict(DFL_VERDICT_FORWARDED, DFL_POLICY_MATCH_L4_ONLY, 11);
	/* The world (reserved id 2) aggregates to 0, not to 11. */
	world.dst = IP_WORLD;
	r = egress(&world);
	dfl_assert_drop(r, DFL_DROP_POLICY);
}
END_TEST

/* §9 item 35 (d15): specific allow + identity-0 deny of higher precedence
 * and no aggregate entry: allowed, identity 0 is not consulted. */
START_TEST(aggregate_no_id0_fallback_when_specific_matched)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true,
		  .precedence = PREC_ALLOW, .cookie = 1 },
		{ .egress = true, .deny = true, .precedence = 0xfffffffeu,
		  .cookie = 2 },
	};
	struct dfl_pkt_spec other = tcp_a_b_80;
	struct dfl_run r;

	dfl_fx_policy(EP_A, p, 2);
	r = egress(&tcp_a_b_80);
	dfl_assert_pass(r);
	assert_verdict(DFL_VERDICT_FORWARDED, DFL_POLICY_MATCH_L3_ONLY, 1);
	/* d08: neither specific nor aggregate matched: identity 0 decides. */
	other.dst = IP_C;
	r = egress(&other);
	dfl_assert_drop(r, DFL_DROP_POLICY_DENY);
	assert_verdict(DFL_VERDICT_DROPPED, DFL_POLICY_MATCH_ALL, 2);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("bpf_policy");
	TCase *tc = tcase_create("lookup");

	tcase_add_checked_fixture(tc, dfl_fx_setup, dfl_fx_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, no_entry_is_default_deny);
	tcase_add_test(tc, l3_only_allows_every_port_and_protocol);
	tcase_add_test(tc, l3_l4_matches_identity_protocol_and_port);
	tcase_add_test(tc, l4_only_allows_any_identity_including_world);
	tcase_add_test(tc, allow_all_and_protocol_only_match_types);
	tcase_add_test(tc, port_range_prefix_matches_inside_only);
	tcase_add_test(tc, specific_deny_short_circuits);
	tcase_add_test(tc, wildcard_deny_beats_specific_allow);
	tcase_add_test(tc, equal_precedence_longer_prefix_wins);
	tcase_add_test(tc, full_tie_goes_to_specific_identity);
	tcase_add_test(tc, higher_precedence_wildcard_redirect_wins);
	tcase_add_test(tc, two_denies_longer_prefix_reported);
	tcase_add_test(tc, id0_deny_beats_specific_allow_without_aggregates);
	tcase_add_test(tc, auth_required_drops_and_inherits_at_equal_precedence);
	tcase_add_test(tc, directions_are_separate);
	tcase_add_test(tc, cidr_except_gets_its_own_identity);
	tcase_add_test(tc, ipv6_policy_and_world);
	tcase_add_test(tc, untracked_fragment_is_frag_nosupport);
	tcase_add_test(tc, unknown_interface_is_ep_not_ready);
	tcase_add_test(tc, spoofed_source_is_invalid_sip);
	tcase_add_test(tc, arp_passes_other_l3_drops);
	tcase_add_test(tc, malformed_packets_are_dropped_with_their_reason);
	tcase_add_test(tc, audit_mode_turns_drops_into_audited_allows);
	suite_add_tcase(s, tc);

	tc = tcase_create("aggregates");
	tcase_add_checked_fixture(tc, aggregate_setup, dfl_fx_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, aggregate_entry_matches_pod_identities);
	tcase_add_test(tc, aggregate_no_id0_fallback_when_specific_matched);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return dfl_test_main(policy_suite);
}
