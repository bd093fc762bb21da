/* The loader: pinning and adoption across restarts, attachment that
 * outlives the process, policy overflow into deny-all, cleanup that leaves
 * nothing, events and counters, the encoding the policy compiler relies on. */
#include <sys/stat.h>
#include <time.h>

#include "tests/bpf/dfl_test.h"
#include "flow/flow.h"

static const struct dfl_policy_spec allow_all_egress[] = {
	{ .egress = true, .precedence = PREC_ALLOW, .cookie = 42 },
};

static const struct dfl_pkt_spec syn = {
	.src = IP_A, .dst = IP_B, .proto = IPPROTO_TCP, .sport = 40000,
	.dport = 80,
};

/* The id of the program attached at <point> of <ifindex>, 0 if none. */
static __u32 attached_prog(__u32 ifindex, enum bpf_tc_attach_point point)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = DFL_TC_HANDLE,
		    .priority = DFL_TC_PRIORITY);

	return bpf_tc_query(&hook, &o) ? 0 : o.prog_id;
}

static __u32 prog_id(enum dfl_prog p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	ck_assert_int_eq(bpf_obj_get_info_by_fd(dfl_datapath__prog_fd(fx.dp,
									 p),
					       &info, &len),
			 0);
	return info.id;
}

static int count_entry(void *ctx, const struct dfl_policy_key *k,
		       const struct dfl_policy_entry *v)
{
	(void)k;
	(void)v;
	++*(int *)ctx;
	return 0;
}

static int policy_entries(__u16 ep_id)
{
	int n = 0, err = dfl_datapath__policy_foreach(fx.dp, ep_id,
						       count_entry, &n);

	return err ? err : n;
}

START_TEST(restart_adopts_pinned_state_and_keeps_enforcing)
{
	DFL_DATAPATH_OPTS(o);
	__u32 old_from, old_to;
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_all_egress, 1);
	ck_assert(!dfl_datapath__adopted(fx.dp));
	old_from = prog_id(DFL_PROG_FROM_ENDPOINT);
	old_to = prog_id(DFL_PROG_TO_ENDPOINT);
	ck_assert_uint_eq(attached_prog(fx.if_a, BPF_TC_INGRESS), old_from);
	ck_assert_uint_eq(attached_prog(fx.if_a, BPF_TC_EGRESS), old_to);

	/* The agent goes away: its programs stay attached. */
	dfl_datapath__close(fx.dp);
	fx.dp = NULL;
	ck_assert_uint_eq(attached_prog(fx.if_a, BPF_TC_INGRESS), old_from);

	/* A new agent adopts the maps: policy, ipcache, endpoints. */
	fx.dp = dfl_fx_open_with(&o);
	ck_assert_ptr_nonnull(fx.dp);
	ck_assert(dfl_datapath__adopted(fx.dp));
	ck_assert_int_eq(policy_entries(EP_A), 1);
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_pass(r);
	ck_assert_uint_eq(dfl_event_of(DFL_EV_POLICY_VERDICT)->cookie, 42);

	/* ...and swaps its programs in. */
	ck_assert_int_eq(dfl_datapath__endpoints_reattach(fx.dp), 2);
	ck_assert_uint_eq(attached_prog(fx.if_a, BPF_TC_INGRESS),
			  prog_id(DFL_PROG_FROM_ENDPOINT));
	ck_assert_uint_ne(attached_prog(fx.if_a, BPF_TC_INGRESS), old_from);
	ck_assert_uint_eq(attached_prog(fx.if_b, BPF_TC_EGRESS),
			  prog_id(DFL_PROG_TO_ENDPOINT));
}
END_TEST

/* Someone deletes the qdisc: reattach restores enforcement, and the qdisc
 * it had to create is removed by the purge. */
START_TEST(reattach_after_qdisc_loss_restores_and_cleans_up)
{
	struct dfl_run r;

	dfl_fx_two_pods();
	ck_assert_int_eq(system("tc qdisc del dev dflt-bpf-a clsact"), 0);
	ck_assert_uint_eq(attached_prog(fx.if_a, BPF_TC_INGRESS), 0);
	ck_assert_int_eq(dfl_datapath__endpoints_reattach(fx.dp), 2);
	ck_assert_uint_eq(attached_prog(fx.if_a, BPF_TC_INGRESS),
			  prog_id(DFL_PROG_FROM_ENDPOINT));
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_drop(r, DFL_DROP_POLICY);
	dfl_datapath__close(fx.dp);
	fx.dp = NULL;
	ck_assert_int_eq(dfl_datapath__purge(fx.root), 0);
	ck_assert_int_eq(system("tc qdisc show dev dflt-bpf-a | grep -q clsact"),
			 256);
}
END_TEST

START_TEST(adopting_with_other_sizes_fails_loudly)
{
	DFL_DATAPATH_OPTS(o, .ct_max = 1024);

	dfl_datapath__close(fx.dp);
	fx.dp = dfl_fx_open_with(&o);
	ck_assert_ptr_null(fx.dp);
	/* The pinned state is untouched and still usable. */
	o.ct_max = 0;
	fx.dp = dfl_fx_open_with(&o);
	ck_assert_ptr_nonnull(fx.dp);
}
END_TEST

START_TEST(maps_only_open_edits_maps_without_programs)
{
	DFL_DATAPATH_OPTS(o, .maps_only = true);
	struct dfl_datapath *tool;
	struct dfl_datapath *agent = fx.dp;
	struct dfl_run r;

	dfl_fx_two_pods();
	tool = dfl_fx_open_with(&o);
	ck_assert_ptr_nonnull(tool);
	ck_assert_int_lt(dfl_datapath__prog_fd(tool, DFL_PROG_FROM_ENDPOINT),
			 0);
	ck_assert_int_eq(dfl_datapath__policy_replace(tool, EP_A,
						      allow_all_egress, 1),
			 0);
	dfl_datapath__close(tool);
	fx.dp = agent;
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_pass(r);
}
END_TEST

/* Requirement: entries that do not fit put the endpoint into deny-all, with
 * an event, never a partial policy. */
START_TEST(policy_overflow_means_deny_all_and_an_event)
{
	DFL_DATAPATH_OPTS(o, .policy_map_max = 4);
	struct dfl_policy_spec big[5];
	const struct dfl_event *ev;
	struct dfl_run r;

	dfl_fx_teardown();
	dfl_fx_setup_opts(&o);
	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_all_egress, 1);
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_pass(r);

	for (int i = 0; i < 5; i++)
		big[i] = (struct dfl_policy_spec){
			.identity = ID_PEER + i, .egress = true,
			.precedence = PREC_ALLOW };
	ck_assert_int_eq(dfl_datapath__policy_replace(fx.dp, EP_A, big, 5),
			 -E2BIG);
	ck_assert_int_eq(policy_entries(EP_A), 0);
	dfl_drain_events();
	ev = dfl_event_of(DFL_EV_POLICY_OVERFLOW);
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(ev->ep_id, EP_A);
	ck_assert_uint_eq(ev->pkt_len, 5);
	ck_assert_uint_eq(ev->aux, 4);
	/* Even the established connection is cut now. */
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_drop(r, DFL_DROP_POLICY);

	/* A policy that fits lifts it. */
	ck_assert_int_eq(dfl_datapath__policy_replace(fx.dp, EP_A, big, 4), 0);
	ck_assert_int_eq(policy_entries(EP_A), 4);
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_pass(r);
}
END_TEST

START_TEST(invalid_entry_means_deny_all)
{
	struct dfl_policy_spec bad[] = {
		allow_all_egress[0],
		{ .egress = true, .proto = 0, .port = 80 },
	};
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_all_egress, 1);
	ck_assert_int_eq(dfl_datapath__policy_replace(fx.dp, EP_A, bad, 2),
			 -EINVAL);
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_drop(r, DFL_DROP_POLICY);
}
END_TEST

struct ct_count {
	__u16 ep_id;
	int n;
};

static int ct_count_ep(void *ctx, const struct dfl_ct_key *k,
		       const struct dfl_ct_entry *v)
{
	struct ct_count *c = ctx;

	(void)v;
	c->n += k->ep_id == c->ep_id;
	return 0;
}

static int endpoints_recorded(void *ctx, __u32 ifindex,
			      const struct dfl_endpoint_info *ep)
{
	(void)ifindex;
	(void)ep;
	++*(int *)ctx;
	return 0;
}

START_TEST(detach_forgets_everything_of_the_endpoint)
{
	struct ct_count ct = { .ep_id = EP_A };
	int n = 0;
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_all_egress, 1);
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_pass(r);
	ck_assert_int_eq(dfl_datapath__ct_foreach(fx.dp, ct_count_ep, &ct), 0);
	ck_assert_int_eq(ct.n, 1);

	ck_assert_int_eq(dfl_datapath__endpoint_detach(fx.dp, fx.if_a), 0);
	ck_assert_uint_eq(attached_prog(fx.if_a, BPF_TC_INGRESS), 0);
	ck_assert_uint_eq(attached_prog(fx.if_a, BPF_TC_EGRESS), 0);
	ck_assert_int_eq(system("tc qdisc show dev dflt-bpf-a | grep -q clsact"),
			 256);
	ck_assert_int_eq(policy_entries(EP_A), -ENOENT);
	ct.n = 0;
	ck_assert_int_eq(dfl_datapath__ct_foreach(fx.dp, ct_count_ep, &ct), 0);
	ck_assert_int_eq(ct.n, 0);
	ck_assert_int_eq(dfl_datapath__endpoint_foreach(fx.dp,
							endpoints_recorded, &n),
			 0);
	ck_assert_int_eq(n, 1); /* B */
	/* The program, if still attached somewhere, knows A no more. */
	r = dfl_from(fx.if_a, &syn);
	dfl_assert_drop(r, DFL_DROP_EP_NOT_READY);
	ck_assert_int_eq(dfl_datapath__endpoint_detach(fx.dp, fx.if_a),
			 -ENOENT);
}
END_TEST

START_TEST(foreign_clsact_is_left_in_place)
{
	ck_assert_int_eq(system("tc qdisc add dev dflt-bpf-b clsact"), 0);
	dfl_fx_two_pods();
	ck_assert_int_eq(dfl_datapath__endpoint_detach(fx.dp, fx.if_b), 0);
	ck_assert_uint_eq(attached_prog(fx.if_b, BPF_TC_INGRESS), 0);
	ck_assert_int_eq(system("tc qdisc show dev dflt-bpf-b | grep -q clsact"),
			 0);
	ck_assert_int_eq(system("tc qdisc del dev dflt-bpf-b clsact"), 0);
}
END_TEST

START_TEST(purge_detaches_and_unpins)
{
	struct stat st;

	dfl_fx_two_pods();
	dfl_datapath__close(fx.dp);
	fx.dp = NULL;
	ck_assert_int_eq(dfl_datapath__purge(fx.root), 0);
	ck_assert_uint_eq(attached_prog(fx.if_a, BPF_TC_INGRESS), 0);
	ck_assert_uint_eq(attached_prog(fx.if_b, BPF_TC_EGRESS), 0);
	ck_assert_int_eq(stat(fx.root, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* Purging nothing is fine (the fixture does it again). */
	ck_assert_int_eq(dfl_datapath__purge(fx.root), 0);
}
END_TEST

START_TEST(attach_rejects_bad_endpoints)
{
	struct dfl_endpoint_cfg cfg = { .ifindex = fx.if_a, .ep_id = 0 };

	ck_assert_int_eq(dfl_datapath__endpoint_attach(fx.dp, &cfg), -EINVAL);
	cfg.ep_id = 5;
	cfg.ifindex = 99999;
	ck_assert_int_eq(dfl_datapath__endpoint_attach(fx.dp, &cfg), -ENODEV);
}
END_TEST

START_TEST(event_carries_every_field)
{
	struct dfl_policy_spec p[] = {
		{ .identity = ID_PEER, .egress = true, .proto = IPPROTO_TCP,
		  .port = 80, .port_prefix_len = 16, .precedence = PREC_ALLOW,
		  .cookie = 0xc0ffee },
	};
	struct dfl_pkt_spec s = syn;
	const struct dfl_event *v;
	struct timespec now;
	struct dfl_run r;

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, p, 1);
	s.tcp_flags = 0x02;
	r = dfl_from(fx.if_a, &s);
	dfl_assert_pass(r);
	ck_assert_int_eq(fx.n_ev, 1);
	v = dfl_event_of(DFL_EV_POLICY_VERDICT);
	clock_gettime(CLOCK_REALTIME, &now);
	ck_assert_int_lt(llabs((long long)v->ts_ns -
			       ((long long)now.tv_sec * 1000000000ll +
				now.tv_nsec)),
			 5000000000ll);
	ck_assert_uint_eq(v->ep_id, EP_A);
	ck_assert_uint_eq(v->ifindex, fx.if_a);
	ck_assert_uint_eq(v->local_identity, ID_SELF);
	ck_assert_uint_eq(v->remote_identity, ID_PEER);
	ck_assert_uint_eq(v->saddr[0], dfl_ip4(IP_A));
	ck_assert_uint_eq(v->daddr[0], dfl_ip4(IP_B));
	ck_assert_uint_eq(v->sport, 40000);
	ck_assert_uint_eq(v->dport, 80);
	ck_assert_uint_eq(v->proto, IPPROTO_TCP);
	ck_assert_uint_eq(v->tcp_flags, 0x02);
	ck_assert_uint_eq(v->dir, DFL_TRAFFIC_EGRESS);
	ck_assert_uint_eq(v->verdict, DFL_VERDICT_FORWARDED);
	ck_assert_uint_eq(v->drop_reason, 0);
	ck_assert_uint_eq(v->match_type, DFL_POLICY_MATCH_L3_L4);
	ck_assert_uint_eq(v->ct_state, DFL_CT_NEW);
	ck_assert_uint_eq(v->cookie, 0xc0ffee);
	ck_assert_uint_eq(v->proxy_port, 0);
	ck_assert_uint_eq(v->pkt_len, 14 + 20 + 20);
}
END_TEST

START_TEST(quiet_allowed_reports_drops_only)
{
	DFL_DATAPATH_OPTS(o, .quiet_allowed = true);
	struct dfl_pkt_spec s = syn;
	struct dfl_run r;

	dfl_fx_teardown();
	dfl_fx_setup_opts(&o);
	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_all_egress, 1);
	r = dfl_from(fx.if_a, &s);
	dfl_assert_pass(r);
	ck_assert_int_eq(fx.n_ev, 0);
	s.dst = IP_A;
	r = dfl_to(fx.if_b, &s); /* wrong interface: B gets it, no policy */
	dfl_assert_drop(r, DFL_DROP_POLICY);
}
END_TEST

struct counts {
	__u64 fwd_egress;
	__u64 fwd_ingress;
	__u64 policy_egress;
	__u64 policy_ingress;
	__u64 bytes_policy_egress;
};

static int sum_counter(void *ctx, const struct dfl_counter *c)
{
	struct counts *s = ctx;

	if (c->reason == 0 && c->dir == DFL_TRAFFIC_EGRESS)
		s->fwd_egress += c->packets;
	if (c->reason == 0 && c->dir == DFL_TRAFFIC_INGRESS)
		s->fwd_ingress += c->packets;
	if (c->reason == DFL_DROP_POLICY && c->dir == DFL_TRAFFIC_EGRESS) {
		s->policy_egress += c->packets;
		s->bytes_policy_egress += c->bytes;
	}
	if (c->reason == DFL_DROP_POLICY && c->dir == DFL_TRAFFIC_INGRESS)
		s->policy_ingress += c->packets;
	return 0;
}

START_TEST(counters_per_reason_and_direction)
{
	struct dfl_pkt_spec s = syn;
	struct counts c = {};

	dfl_fx_two_pods();
	dfl_fx_policy(EP_A, allow_all_egress, 1);
	dfl_from(fx.if_a, &s);
	dfl_from(fx.if_a, &s);
	dfl_from(fx.if_a, &s);
	dfl_fx_policy(EP_A, NULL, 0);
	s.sport = 1;
	dfl_from(fx.if_a, &s);
	dfl_from(fx.if_a, &s);
	s.src = IP_B;
	s.dst = IP_A;
	dfl_to(fx.if_a, &s);
	ck_assert_int_eq(dfl_datapath__counters_foreach(fx.dp, sum_counter,
							&c),
			 0);
	ck_assert_uint_eq(c.fwd_egress, 3);
	ck_assert_uint_eq(c.policy_egress, 2);
	ck_assert_uint_eq(c.bytes_policy_egress, 2 * 54);
	ck_assert_uint_eq(c.policy_ingress, 1);
	ck_assert_uint_eq(c.fwd_ingress, 0);
}
END_TEST

START_TEST(policy_spec_encodes_cilium_layout)
{
	struct dfl_policy_spec s = {
		.identity = 1234, .egress = true, .proto = IPPROTO_TCP,
		.port = 8080, .port_prefix_len = 12, .proxy_port = 15001,
		.precedence = PREC_HTTP, .auth_type = 1, .explicit_auth = true,
		.cookie = 77,
	};
	struct dfl_policy_key k;
	struct dfl_policy_entry v;

	ck_assert_int_eq(dfl_policy_spec__encode(&s, &k, &v), 0);
	ck_assert_uint_eq(k.prefixlen, 60);
	ck_assert_uint_eq(k.sec_label, 1234);
	ck_assert_uint_eq(k.egress, 1);
	ck_assert_uint_eq(k.protocol, 6);
	ck_assert_uint_eq(k.dport, htons(8080));
	ck_assert_uint_eq(v.proxy_port, htons(15001));
	ck_assert_uint_eq(v.flags, 20 << 3);
	ck_assert_uint_eq(v.auth, 0x81);
	ck_assert_uint_eq(v.precedence, PREC_HTTP);
	ck_assert_uint_eq(v.cookie, 77);

	/* §8.8: L3-only, proto-only, deny, and port 0 meaning "any". */
	s = (struct dfl_policy_spec){ .identity = 1234, .deny = true };
	ck_assert_int_eq(dfl_policy_spec__encode(&s, &k, &v), 0);
	ck_assert_uint_eq(k.prefixlen, 40);
	ck_assert_uint_eq(v.flags, DFL_POLICY_F_DENY);
	s = (struct dfl_policy_spec){ .identity = 1, .proto = 17,
				      .port_prefix_len = 16 };
	ck_assert_int_eq(dfl_policy_spec__encode(&s, &k, &v), 0);
	ck_assert_uint_eq(k.prefixlen, 48);
	ck_assert_uint_eq(k.dport, 0);
	ck_assert_uint_eq(v.flags, 8 << 3);

	s = (struct dfl_policy_spec){ .port = 80 };
	ck_assert_int_eq(dfl_policy_spec__encode(&s, &k, &v), -EINVAL);
	s = (struct dfl_policy_spec){ .proto = 6, .port = 8081,
				      .port_prefix_len = 12 };
	ck_assert_int_eq(dfl_policy_spec__encode(&s, &k, &v), -EINVAL);
	s = (struct dfl_policy_spec){ .proto = 6, .port = 80,
				      .port_prefix_len = 17 };
	ck_assert_int_eq(dfl_policy_spec__encode(&s, &k, &v), -EINVAL);
}
END_TEST

START_TEST(prefixes_parse_strictly)
{
	struct dfl_dp_prefix p;

	ck_assert_int_eq(dfl_dp_prefix__parse("10.0.0.0/8", &p), 0);
	ck_assert_uint_eq(p.family, 4);
	ck_assert_uint_eq(p.len, 8);
	ck_assert_int_eq(dfl_dp_prefix__parse("10.1.2.3", &p), 0);
	ck_assert_uint_eq(p.len, 32);
	ck_assert_int_eq(dfl_dp_prefix__parse("fd00::/64", &p), 0);
	ck_assert_uint_eq(p.family, 6);
	ck_assert_int_eq(dfl_dp_prefix__parse("0.0.0.0/0", &p), 0);
	ck_assert_int_eq(dfl_dp_prefix__parse("10.0.0.1/8", &p), -EINVAL);
	ck_assert_int_eq(dfl_dp_prefix__parse("10.0.0.0/33", &p), -EINVAL);
	ck_assert_int_eq(dfl_dp_prefix__parse("10.0.0.0/", &p), -EINVAL);
	ck_assert_int_eq(dfl_dp_prefix__parse("web", &p), -EINVAL);
}
END_TEST

START_TEST(reason_and_verdict_names)
{
	ck_assert_str_eq(dfl_drop_reason__text(133), "Policy denied");
	ck_assert_str_eq(dfl_drop_reason__name(133), "POLICY_DENIED");
	ck_assert_str_eq(dfl_drop_reason__text(181),
			 "Policy denied by denylist");
	ck_assert_str_eq(dfl_drop_reason__name(181), "POLICY_DENY");
	ck_assert_str_eq(dfl_drop_reason__name(203), "DROP_EP_NOT_READY");
	ck_assert_ptr_null(dfl_drop_reason__text(1));
	ck_assert_str_eq(dfl_verdict__name(DFL_VERDICT_AUDIT), "AUDIT");
	ck_assert_str_eq(dfl_policy_match__str(DFL_POLICY_MATCH_L3_L4),
			 "L3-L4");
	ck_assert_ptr_null(dfl_policy_match__str(9));
}
END_TEST

static Suite *loader_suite(void)
{
	Suite *s = suite_create("bpf_loader");
	TCase *tc = tcase_create("loader");

	tcase_add_checked_fixture(tc, dfl_fx_setup, dfl_fx_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, restart_adopts_pinned_state_and_keeps_enforcing);
	tcase_add_test(tc, reattach_after_qdisc_loss_restores_and_cleans_up);
	tcase_add_test(tc, adopting_with_other_sizes_fails_loudly);
	tcase_add_test(tc, maps_only_open_edits_maps_without_programs);
	tcase_add_test(tc, policy_overflow_means_deny_all_and_an_event);
	tcase_add_test(tc, invalid_entry_means_deny_all);
	tcase_add_test(tc, detach_forgets_everything_of_the_endpoint);
	tcase_add_test(tc, foreign_clsact_is_left_in_place);
	tcase_add_test(tc, purge_detaches_and_unpins);
	tcase_add_test(tc, attach_rejects_bad_endpoints);
	tcase_add_test(tc, event_carries_every_field);
	tcase_add_test(tc, quiet_allowed_reports_drops_only);
	tcase_add_test(tc, counters_per_reason_and_direction);
	tcase_add_test(tc, policy_spec_encodes_cilium_layout);
	tcase_add_test(tc, prefixes_parse_strictly);
	tcase_add_test(tc, reason_and_verdict_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return dfl_test_main(loader_suite);
}
