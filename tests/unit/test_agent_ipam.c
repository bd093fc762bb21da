/* agent/: IPv4 address management and the id pool behind it. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/idpool.h"
#include "agent/ipam.h"

static uint32_t ip(const char *s)
{
	uint32_t a = 0;

	ck_assert_int_eq(dfl_ip4__parse(s, &a), 0);
	return a;
}

START_TEST(cidr_parse_accepts_canonical_prefixes)
{
	char err[256];
	uint32_t net;
	uint8_t plen;

	ck_assert_int_eq(dfl_cidr4__parse("10.200.0.0/16", &net, &plen, err, sizeof(err)), 0);
	ck_assert_uint_eq(net, ip("10.200.0.0"));
	ck_assert_uint_eq(plen, 16);
	ck_assert_int_eq(dfl_cidr4__parse("0.0.0.0/0", &net, &plen, err, sizeof(err)), 0);
	ck_assert_int_eq(dfl_cidr4__parse("192.168.1.4/30", &net, &plen, err, sizeof(err)), 0);
}
END_TEST

START_TEST(cidr_parse_rejects_with_a_reason)
{
	char err[256];
	uint32_t net;
	uint8_t plen;

	ck_assert_int_eq(dfl_cidr4__parse("10.200.1.0/16", &net, &plen, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "'10.200.1.0/16' has host bits set (did you mean 10.200.0.0/16?)");
	ck_assert_int_eq(dfl_cidr4__parse("10.200.0.0", &net, &plen, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a CIDR"));
	ck_assert_int_eq(dfl_cidr4__parse("10.200.0.0/33", &net, &plen, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "prefix length"));
	ck_assert_int_eq(dfl_cidr4__parse("10.200.0.0/-1", &net, &plen, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(dfl_cidr4__parse("10.200.0.0/", &net, &plen, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(dfl_cidr4__parse("10.300.0.0/16", &net, &plen, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not an IPv4 address"));
	ck_assert_int_eq(dfl_cidr4__parse("010.1.0.0/16", &net, &plen, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(dfl_cidr4__parse(NULL, &net, &plen, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(gateway_is_reserved_and_pods_follow_it)
{
	struct dfl_ipam ipam;
	char err[256];
	uint32_t a, b;

	ck_assert_int_eq(dfl_ipam__init(&ipam, "10.200.0.0/16", true, err, sizeof(err)), 0);
	ck_assert_uint_eq(ipam.gateway, ip("10.200.0.1"));
	ck_assert_int_eq(dfl_ipam__alloc(&ipam, &a), 0);
	ck_assert_int_eq(dfl_ipam__alloc(&ipam, &b), 0);
	ck_assert_uint_eq(a, ip("10.200.0.2"));
	ck_assert_uint_eq(b, ip("10.200.0.3"));
	ck_assert_uint_eq(dfl_ipam__used(&ipam), 2);
	ck_assert_uint_eq(dfl_ipam__capacity(&ipam), 65533);
	ck_assert_int_eq(dfl_ipam__claim(&ipam, ipam.gateway), -ERANGE);
	ck_assert_int_eq(dfl_ipam__free(&ipam, ipam.gateway), -ERANGE);
	dfl_ipam__release(&ipam);
}
END_TEST

START_TEST(freed_address_is_not_reused_at_once)
{
	struct dfl_ipam ipam;
	char err[256];
	uint32_t a, b, c;

	ck_assert_int_eq(dfl_ipam__init(&ipam, "10.1.0.0/24", true, err, sizeof(err)), 0);
	dfl_ipam__alloc(&ipam, &a);
	dfl_ipam__alloc(&ipam, &b);
	ck_assert_int_eq(dfl_ipam__free(&ipam, a), 0);
	ck_assert_int_eq(dfl_ipam__free(&ipam, a), -ENOENT);
	ck_assert_int_eq(dfl_ipam__alloc(&ipam, &c), 0);
	ck_assert_uint_eq(c, ip("10.1.0.4")); /* next-fit, not the freed .2 */
	dfl_ipam__release(&ipam);
}
END_TEST

START_TEST(small_cidr_fills_up_then_wraps_to_freed)
{
	struct dfl_ipam ipam;
	char err[256];
	uint32_t a, b, c;

	/* /30: network, gateway, one pod, broadcast. */
	ck_assert_int_eq(dfl_ipam__init(&ipam, "10.9.9.0/30", true, err, sizeof(err)), 0);
	ck_assert_uint_eq(dfl_ipam__capacity(&ipam), 1);
	ck_assert_int_eq(dfl_ipam__alloc(&ipam, &a), 0);
	ck_assert_uint_eq(a, ip("10.9.9.2"));
	ck_assert_int_eq(dfl_ipam__alloc(&ipam, &b), -ENOSPC);
	ck_assert_int_eq(dfl_ipam__free(&ipam, a), 0);
	ck_assert_int_eq(dfl_ipam__alloc(&ipam, &c), 0);
	ck_assert_uint_eq(c, a);
	ck_assert_int_eq(dfl_ipam__claim(&ipam, ip("10.9.9.3")), -ERANGE); /* broadcast */
	ck_assert_int_eq(dfl_ipam__claim(&ipam, ip("10.9.9.0")), -ERANGE); /* network */
	dfl_ipam__release(&ipam);
}
END_TEST

START_TEST(claim_restores_addresses)
{
	struct dfl_ipam ipam;
	char err[256];
	uint32_t a;

	ck_assert_int_eq(dfl_ipam__init(&ipam, "10.200.0.0/16", true, err, sizeof(err)), 0);
	ck_assert_int_eq(dfl_ipam__claim(&ipam, ip("10.200.0.2")), 0);
	ck_assert_int_eq(dfl_ipam__claim(&ipam, ip("10.200.0.2")), -EEXIST);
	ck_assert_int_eq(dfl_ipam__claim(&ipam, ip("10.201.0.2")), -ERANGE);
	ck_assert_int_eq(dfl_ipam__alloc(&ipam, &a), 0);
	ck_assert_uint_eq(a, ip("10.200.0.3"));
	dfl_ipam__release(&ipam);
}
END_TEST

START_TEST(prefix_limits)
{
	struct dfl_ipam ipam;
	char err[256];

	ck_assert_int_eq(dfl_ipam__init(&ipam, "10.0.0.0/31", true, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "8-30"));
	ck_assert_int_eq(dfl_ipam__init(&ipam, "10.0.0.0/7", true, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(dfl_ipam__init(&ipam, "10.0.0.0/8", true, err, sizeof(err)), 0);
	ck_assert_uint_eq(dfl_ipam__capacity(&ipam), (1u << 24) - 3);
	dfl_ipam__release(&ipam);
}
END_TEST

START_TEST(idpool_random_ids_are_unique_and_exhaust)
{
	struct dfl_idpool p;
	bool seen[4096] = { false };
	uint32_t id;

	ck_assert_int_eq(dfl_idpool__init(&p, 1, 4095), 0);
	for (int i = 0; i < 4095; i++) {
		ck_assert_int_eq(dfl_idpool__alloc_random(&p, &id), 0);
		ck_assert(id >= 1 && id <= 4095);
		ck_assert(!seen[id]);
		seen[id] = true;
	}
	ck_assert_int_eq(dfl_idpool__alloc_random(&p, &id), -ENOSPC);
	ck_assert_int_eq(dfl_idpool__free(&p, 77), 0);
	ck_assert_int_eq(dfl_idpool__alloc_random(&p, &id), 0);
	ck_assert_uint_eq(id, 77);
	ck_assert_int_eq(dfl_idpool__claim(&p, 0), -ERANGE);
	ck_assert_int_eq(dfl_idpool__claim(&p, 4096), -ERANGE);
	dfl_idpool__release(&p);
}
END_TEST

static Suite *ipam_suite(void)
{
	Suite *s = suite_create("agent_ipam");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, cidr_parse_accepts_canonical_prefixes);
	tcase_add_test(tc, cidr_parse_rejects_with_a_reason);
	tcase_add_test(tc, gateway_is_reserved_and_pods_follow_it);
	tcase_add_test(tc, freed_address_is_not_reused_at_once);
	tcase_add_test(tc, small_cidr_fills_up_then_wraps_to_freed);
	tcase_add_test(tc, claim_restores_addresses);
	tcase_add_test(tc, prefix_limits);
	tcase_add_test(tc, idpool_random_ids_are_unique_and_exhaust);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ipam_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
