/* policy/: port ranges as masked LPM keys (§8.8, Cilium's
 * PortRangeToMaskedPorts). */
#include <check.h>
#include <stdlib.h>

#include "policy/portrange.h"

START_TEST(single_keys)
{
	struct dfl_masked_port mp[32];

	ck_assert_uint_eq(dfl_port_range_mask(80, 0, mp), 1);
	ck_assert_uint_eq(mp[0].port, 80);
	ck_assert_uint_eq(mp[0].prefix_len, 16);
	ck_assert_uint_eq(dfl_port_range_mask(80, 80, mp), 1);
	ck_assert_uint_eq(dfl_port_range_mask(80, 70, mp), 1);
	ck_assert_uint_eq(mp[0].prefix_len, 16);
	/* aligned power-of-two blocks are one key */
	ck_assert_uint_eq(dfl_port_range_mask(8080, 8095, mp), 1);
	ck_assert_uint_eq(mp[0].port, 8080);
	ck_assert_uint_eq(mp[0].prefix_len, 12);
	ck_assert_uint_eq(dfl_port_range_mask(80, 83, mp), 1);
	ck_assert_uint_eq(mp[0].prefix_len, 14);
	ck_assert_uint_eq(dfl_port_range_mask(0, 65535, mp), 1);
	ck_assert_uint_eq(mp[0].prefix_len, 0);
}
END_TEST

/* Every port of the range is covered exactly once, and nothing else: each
 * block lies inside the range, blocks are pairwise disjoint, and their
 * sizes add up to the range's. */
static void check_cover(unsigned int start, unsigned int end)
{
	struct dfl_masked_port mp[32];
	size_t n = dfl_port_range_mask((uint16_t)start, (uint16_t)end, mp);
	unsigned long total = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned long lo = mp[i].port;
		unsigned long hi = lo + (1ul << (16 - mp[i].prefix_len)) - 1;

		ck_assert_msg(lo >= start && hi <= end,
			      "range %u-%u: block %lu-%lu outside", start, end,
			      lo, hi);
		ck_assert_msg(!(mp[i].port & ((1u << (16 - mp[i].prefix_len)) -
					      1)),
			      "range %u-%u: block %lu not aligned", start, end,
			      lo);
		for (size_t j = 0; j < i; j++) {
			unsigned long lo2 = mp[j].port;
			unsigned long hi2 =
				lo2 + (1ul << (16 - mp[j].prefix_len)) - 1;

			ck_assert_msg(hi < lo2 || hi2 < lo,
				      "range %u-%u: blocks overlap", start,
				      end);
		}
		total += hi - lo + 1;
	}
	ck_assert_uint_eq(total, end - start + 1);
}

START_TEST(ranges_cover_exactly)
{
	struct dfl_masked_port mp[32];

	check_cover(1000, 1999);
	check_cover(1, 65535);
	check_cover(4096, 8191);
	check_cover(1023, 1025);
	check_cover(30000, 32767);
	check_cover(3, 5);
	/* 1000-1999: the key list of Cilium's decomposition */
	ck_assert_uint_eq(dfl_port_range_mask(1000, 1999, mp), 7);
	ck_assert_uint_eq(mp[2].port, 1024);
	ck_assert_uint_eq(mp[2].prefix_len, 7);
	ck_assert_uint_eq(mp[6].port, 1984);
	ck_assert_uint_eq(mp[6].prefix_len, 12);
	ck_assert_uint_eq(mp[0].port, 1000);
	ck_assert_uint_eq(mp[0].prefix_len, 13);
	/* 4096-8191 (the connectivity suite's deny range) is one block */
	ck_assert_uint_eq(dfl_port_range_mask(4096, 8191, mp), 1);
	ck_assert_uint_eq(mp[0].prefix_len, 4);
}
END_TEST

static Suite *portrange_suite(void)
{
	Suite *s = suite_create("policy_portrange");
	TCase *tc = tcase_create("portrange");

	tcase_add_test(tc, single_keys);
	tcase_add_test(tc, ranges_cover_exactly);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(portrange_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
