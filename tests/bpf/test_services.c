/* ClusterIP services: backend per connection, translation both ways with
 * correct checksums, policy on the backend's identity. */
#include "tests/bpf/dfl_test.h"

#define VIP "10.96.0.10"
#define VIP6 "fd96::10"

static const struct dfl_policy_spec allow_all_egress[] = {
	{ .egress = true, .precedence = PREC_ALLOW },
};

static void service(const char *fe, __u8 proto, const char **be, size_t n)
{
	struct dfl_dp_sockaddr f, b[8];

	ck_assert_int_eq(dfl_dp_sockaddr__parse(fe, &f), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(dfl_dp_sockaddr__parse(be[i], &b[i]), 0);
	ck_assert_int_eq(dfl_datapath__service_upsert(fx.dp, &f, proto, b, n),
			 0);
}

/* Checks the IPv4 and L4 checksums of an output frame and returns its
 * destination (or source, <src>) address and port. */
static void check_v4(const struct dfl_run *r, bool src, __u32 *addr,
		     __u16 *port)
{
	const struct iphdr *ip = (const struct iphdr *)(r->out + ETH_HLEN);
	const __u8 *l4 = r->out + ETH_HLEN + ip->ihl * 4;
	size_t l4len = ntohs(ip->tot_len) - ip->ihl * 4;
	__u32 pseudo;

	ck_assert_uint_eq(dfl_csum(0, ip, ip->ihl * 4), 0);
	pseudo = dfl_csum_add(0, &ip->saddr, 8) + ip->protocol + l4len;
	ck_assert_uint_eq(dfl_csum(pseudo, l4, l4len), 0);
	*addr = src ? ip->saddr : ip->daddr;
	*port = ntohs(*(const __u16 *)(l4 + (src ? 0 : 2)));
}

START_TEST(translates_to_backend_and_back)
{
	const char *be[] = { IP_B ":8080" };
	struct dfl_pkt_spec syn = { .src = IP_A, .dst = VIP,
				    .proto = IPPROTO_TCP, .sport = 41000,
				    .dport = 80 };
	struct dfl_pkt_spec synack = { .src = IP_B, .dst = IP_A,
				       .proto = IPPROTO_TCP, .sport = 8080,
				       .dport = 41000, .tcp_flags = 0x12 };
	const struct dfl_event *v;
	struct dfl_run r;
	__u32 addr;
	__u16 port;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_all_egress, 1);
	service(VIP ":80", IPPROTO_TCP, be, 1);
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_pass(r);
	check_v4(&r, false, &addr, &port);
	ck_assert_uint_eq(addr, dfl_ip4(IP_B));
	ck_assert_uint_eq(port, 8080);
	v = dfl_event_of(DFL_EV_POLICY_VERDICT);
	ck_assert(v->flags & DFL_EV_F_TRANSLATED);
	ck_assert_uint_eq(v->orig_daddr[0], dfl_ip4(VIP));
	ck_assert_uint_eq(v->orig_dport, 80);
	ck_assert_uint_eq(v->daddr[0], dfl_ip4(IP_B));
	ck_assert_uint_eq(v->dport, 8080);
	ck_assert_uint_eq(v->remote_identity, ID_PEER);

	/* The reply reaches A looking like it comes from the service. */
	r = dfl_to(fx.if_a, &synack);
	dfl_assert_pass(r);
	check_v4(&r, true, &addr, &port);
	ck_assert_uint_eq(addr, dfl_ip4(VIP));
	ck_assert_uint_eq(port, 80);
}
END_TEST

START_TEST(udp_service_translates_with_valid_checksums)
{
	const char *be[] = { IP_B ":5353" };
	struct dfl_pkt_spec q = { .src = IP_A, .dst = VIP,
				  .proto = IPPROTO_UDP, .sport = 3000,
				  .dport = 53, .payload = 20 };
	struct dfl_run r;
	__u32 addr;
	__u16 port;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_all_egress, 1);
	service(VIP ":53", IPPROTO_UDP, be, 1);
	r = dfl_from(fx.if_a, &q);
	dfl_assert_pass(r);
	check_v4(&r, false, &addr, &port);
	ck_assert_uint_eq(addr, dfl_ip4(IP_B));
	ck_assert_uint_eq(port, 5353);

	/* IPv4 UDP without a checksum must stay without one. */
	q.udp_no_csum = true;
	q.sport = 3001;
	r = dfl_from(fx.if_a, &q);
	dfl_assert_pass(r);
	ck_assert_uint_eq(*(__u16 *)(r.out + ETH_HLEN + 20 + 6), 0);
	ck_assert_uint_eq(*(__u16 *)(r.out + ETH_HLEN + 20 + 2), htons(5353));
}
END_TEST

/* Same tuple, same backend; many tuples spread over every backend. */
START_TEST(backend_per_connection_is_stable_and_spread)
{
	const char *be[] = { IP_B ":80", IP_C ":80" };
	struct dfl_pkt_spec syn = { .src = IP_A, .dst = VIP,
				    .proto = IPPROTO_TCP, .dport = 80 };
	int seen_b = 0, seen_c = 0;
	struct dfl_run r;
	__u32 addr, first;
	__u16 port;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_all_egress, 1);
	service(VIP ":80", IPPROTO_TCP, be, 2);
	for (int i = 0; i < 32; i++) {
		syn.sport = 20000 + i;
		r = dfl_from(fx.if_a, &syn);
		dfl_assert_pass(r);
		check_v4(&r, false, &addr, &port);
		seen_b += addr == dfl_ip4(IP_B);
		seen_c += addr == dfl_ip4(IP_C);
		first = addr;
		syn.tcp_flags = 0x10;
		r = dfl_from(fx.if_a, &syn);
		check_v4(&r, false, &addr, &port);
		ck_assert_uint_eq(addr, first);
		syn.tcp_flags = 0;
	}
	ck_assert_int_eq(seen_b + seen_c, 32);
	ck_assert_int_gt(seen_b, 4);
	ck_assert_int_gt(seen_c, 4);
}
END_TEST

/* Policy is decided on the backend, not on the service address. */
START_TEST(policy_applies_to_backend_identity)
{
	const char *be[] = { IP_B ":8080" };
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_TCP,
		  .port = 8080, .port_prefix_len = 16,
		  .precedence = PREC_ALLOW, .cookie = 5 },
	};
	struct dfl_pkt_spec syn = { .src = IP_A, .dst = VIP,
				    .proto = IPPROTO_TCP, .sport = 41000,
				    .dport = 80 };
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 1);
	service(VIP ":80", IPPROTO_TCP, be, 1);
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_pass(r);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_POLICY_VERDICT)->cookie, 5);

	/* Backend C (ID_OTHER) is not allowed. */
	be[0] = IP_C ":8080";
	service(VIP ":80", IPPROTO_TCP, be, 1);
	syn.sport = 41001;
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_drop(r, DFL_DROP_POLICY);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_DROP)->remote_identity,
			  ID_OTHER);
}
END_TEST

START_TEST(no_backend_drops)
{
	struct dfl_pkt_spec syn = { .src = IP_A, .dst = VIP,
				    .proto = IPPROTO_TCP, .sport = 41000,
				    .dport = 80 };
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_all_egress, 1);
	service(VIP ":80", IPPROTO_TCP, NULL, 0);
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_drop(r, DFL_DROP_NO_SERVICE);
	/* Another port of the same address is not the service. */
	syn.dport = 81;
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_pass(r);
}
END_TEST

/* A removed backend's connections move to one that is still listed; a
 * kept backend keeps its connections. */
START_TEST(removed_backend_is_replaced)
{
	const char *both[] = { IP_B ":80", IP_C ":80" };
	const char *only_c[] = { IP_C ":80" };
	struct dfl_pkt_spec s = { .src = IP_A, .dst = VIP,
				  .proto = IPPROTO_TCP, .dport = 80,
				  .tcp_flags = 0x10 };
	struct dfl_run r;
	__u32 addr;
	__u16 port;
	int on_b = -1;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_all_egress, 1);
	service(VIP ":80", IPPROTO_TCP, both, 2);
	for (int i = 0; i < 16 && on_b < 0; i++) {
		s.sport = 30000 + i;
		r = dfl_from(fx.if_a, &s);
		check_v4(&r, false, &addr, &port);
		if (addr == dfl_ip4(IP_B))
			on_b = s.sport;
	}
	ck_assert_int_ge(on_b, 0);
	service(VIP ":80", IPPROTO_TCP, only_c, 1);
	s.sport = on_b;
	r = dfl_from(fx.if_a, &s);
	dfl_assert_pass(r);
	check_v4(&r, false, &addr, &port);
	ck_assert_uint_eq(addr, dfl_ip4(IP_C));
}
END_TEST

START_TEST(ipv6_service)
{
	const char *be[] = { "[fd00::b]:8080" };
	struct dfl_pkt_spec syn = { .family = 6, .src = "fd00::a",
				    .dst = VIP6, .proto = IPPROTO_TCP,
				    .sport = 41000, .dport = 80 };
	struct dfl_pkt_spec synack = { .family = 6, .src = "fd00::b",
				       .dst = "fd00::a", .proto = IPPROTO_TCP,
				       .sport = 8080, .dport = 41000,
				       .tcp_flags = 0x12 };
	const struct ipv6hdr *ip6;
	const __u8 *l4;
	struct in6_addr want;
	struct dfl_run r;
	__u32 pseudo;

	dfl_fx_ipcache("fd00::b/128", ID_PEER);
	dfl_fx_endpoint(fx.if_a, EP_A, ID_SELF, "fd00::a", false);
	dfl_fx_policy(EP_A, allow_all_egress, 1);
	service("[" VIP6 "]:80", IPPROTO_TCP, be, 1);

	r = dfl_from(fx.if_a, &syn);
	dfl_assert_pass(r);
	ip6 = (const struct ipv6hdr *)(r.out + ETH_HLEN);
	l4 = (const __u8 *)(ip6 + 1);
	inet_pton(AF_INET6, "fd00::b", &want);
	ck_assert_mem_eq(&ip6->daddr, &want, 16);
	ck_assert_uint_eq(ntohs(*(const __u16 *)(l4 + 2)), 8080);
	pseudo = dfl_csum_add(0, &ip6->saddr, 32) + IPPROTO_TCP +
		 ntohs(ip6->payload_len);
	ck_assert_uint_eq(dfl_csum(pseudo, l4, ntohs(ip6->payload_len)), 0);

	r = dfl_to(fx.if_a, &synack);
	dfl_assert_pass(r);
	ip6 = (const struct ipv6hdr *)(r.out + ETH_HLEN);
	l4 = (const __u8 *)(ip6 + 1);
	inet_pton(AF_INET6, VIP6, &want);
	ck_assert_mem_eq(&ip6->saddr, &want, 16);
	ck_assert_uint_eq(ntohs(*(const __u16 *)l4), 80);
	pseudo = dfl_csum_add(0, &ip6->saddr, 32) + IPPROTO_TCP +
		 ntohs(ip6->payload_len);
	ck_assert_uint_eq(dfl_csum(pseudo, l4, ntohs(ip6->payload_len)), 0);
}
END_TEST

START_TEST(service_api_rejects_bad_input)
{
	struct dfl_dp_sockaddr fe, b[DFL_LB_MAX_BACKENDS + 1] = {};

	ck_assert_int_eq(dfl_dp_sockaddr__parse(VIP ":80", &fe), 0);
	ck_assert_int_eq(dfl_datapath__service_upsert(fx.dp, &fe, 1, b, 0),
			 -EINVAL);
	ck_assert_int_eq(dfl_datapath__service_upsert(fx.dp, &fe, IPPROTO_TCP,
						      b,
						      DFL_LB_MAX_BACKENDS + 1),
			 -E2BIG);
	ck_assert_int_eq(dfl_dp_sockaddr__parse("[fd00::1]:80", &b[0]), 0);
	ck_assert_int_eq(dfl_datapath__service_upsert(fx.dp, &fe, IPPROTO_TCP,
						      b, 1),
			 -EINVAL);
	ck_assert_int_eq(dfl_dp_sockaddr__parse("10.0.0.1", &fe), -EINVAL);
	ck_assert_int_eq(dfl_dp_sockaddr__parse("10.0.0.1:70000", &fe), -EINVAL);
	ck_assert_int_eq(dfl_dp_sockaddr__parse("fd00::1:80", &fe), -EINVAL);
	ck_assert_int_eq(dfl_datapath__service_delete(fx.dp, &b[0],
						      IPPROTO_TCP),
			 -ENOENT);
}
END_TEST

static Suite *svc_suite(void)
{
	Suite *s = suite_create("bpf_services");
	TCase *tc = tcase_create("services");

	tcase_add_checked_fixture(tc, dfl_fx_setup, dfl_fx_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, translates_to_backend_and_back);
	tcase_add_test(tc, udp_service_translates_with_valid_checksums);
	tcase_add_test(tc, backend_per_connection_is_stable_and_spread);
	tcase_add_test(tc, policy_applies_to_backend_identity);
	tcase_add_test(tc, no_backend_drops);
	tcase_add_test(tc, removed_backend_is_replaced);
	tcase_add_test(tc, ipv6_service);
	tcase_add_test(tc, service_api_rejects_bad_input);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return dfl_test_main(svc_suite);
}
