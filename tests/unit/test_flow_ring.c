/* flow/: the in-memory ring and its followers. */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow/flow.h"
#include "flow/ring.h"

static void push_seq(struct dfl_ring *r, uint64_t seq)
{
	struct dfl_flow f = { 0 };

	f.time_ns = (int64_t)seq + 1; /* 0 would mean "no time" */
	f.node_name = "node";
	f.verdict = DFL_VERDICT_FORWARDED;
	ck_assert_int_eq(dfl_ring__push(r, &f), 0);
}

START_TEST(reader_is_told_what_it_lost)
{
	struct dfl_ring *r = dfl_ring__new(4);
	struct dfl_ring_reader *rd = dfl_ring_reader__new(r, DFL_RING_OLDEST, 0);
	const struct dfl_flow *f;
	uint64_t lost;

	for (uint64_t i = 0; i < 10; i++)
		push_seq(r, i);
	ck_assert_int_eq(dfl_ring_reader__next(rd, &f, &lost, 0), 1);
	/* the reader existed before the pushes: 6 were overwritten */
	ck_assert_uint_eq(lost, 6);
	ck_assert_int_eq(f->time_ns, 7);
	for (uint64_t i = 0; i < 7; i++)
		push_seq(r, 10 + i);
	ck_assert_int_eq(dfl_ring_reader__next(rd, &f, &lost, 0), 1);
	ck_assert_uint_eq(lost, 6); /* records 8..13 were overwritten */
	ck_assert_int_eq(f->time_ns, 14);
	ck_assert_str_eq(f->node_name, "node");
	for (int64_t want = 15; want <= 17; want++) {
		ck_assert_int_eq(dfl_ring_reader__next(rd, &f, &lost, 0), 1);
		ck_assert_uint_eq(lost, 0);
		ck_assert_int_eq(f->time_ns, want);
	}
	ck_assert_int_eq(dfl_ring_reader__next(rd, &f, &lost, 0), 0);
	ck_assert_uint_eq(dfl_ring__written(r), 17);
	dfl_ring_reader__free(rd);
	dfl_ring__free(r);
}
END_TEST

START_TEST(readers_start_where_asked)
{
	struct dfl_ring *r = dfl_ring__new(0);
	struct dfl_ring_reader *last, *newest;
	const struct dfl_flow *f;
	uint64_t lost;

	ck_assert_uint_eq(dfl_ring__capacity(r), 4095);
	for (uint64_t i = 0; i < 100; i++)
		push_seq(r, i);
	last = dfl_ring_reader__new(r, DFL_RING_LAST, 20);
	newest = dfl_ring_reader__new(r, DFL_RING_NEWEST, 0);
	ck_assert_int_eq(dfl_ring_reader__next(last, &f, &lost, 0), 1);
	ck_assert_int_eq(f->time_ns, 81);
	ck_assert_int_eq(dfl_ring_reader__next(newest, &f, &lost, 0), 0);
	push_seq(r, 100);
	ck_assert_int_eq(dfl_ring_reader__next(newest, &f, &lost, 0), 1);
	ck_assert_int_eq(f->time_ns, 101);
	dfl_ring_reader__free(last);
	dfl_ring_reader__free(newest);
	dfl_ring__free(r);
}
END_TEST

START_TEST(held_record_outlives_its_slot)
{
	struct dfl_ring *r = dfl_ring__new(2);
	struct dfl_ring_reader *rd = dfl_ring_reader__new(r, DFL_RING_OLDEST, 0);
	const struct dfl_flow *f;
	uint64_t lost;

	push_seq(r, 0);
	ck_assert_int_eq(dfl_ring_reader__next(rd, &f, &lost, 0), 1);
	for (uint64_t i = 1; i < 10; i++)
		push_seq(r, i); /* slot 0 overwritten several times */
	ck_assert_str_eq(f->node_name, "node"); /* still ours (ASan checks) */
	ck_assert_int_eq(f->time_ns, 1);
	dfl_ring_reader__free(rd);
	dfl_ring__free(r);
}
END_TEST

enum { TOTAL = 200000 };

static atomic_bool producer_done;

struct follower {
	struct dfl_ring *ring;
	struct dfl_ring_reader *rd;
	int mode; /* 0 blocking, 1 stalled until the producer is done, 2 event fd */
	uint64_t got, lost;
	bool ordered;
};

static void *follow(void *arg)
{
	struct follower *fl = arg;
	int64_t last = 0;
	const struct dfl_flow *f;
	uint64_t lost;
	int ret, efd = fl->mode == 2 ? dfl_ring__event_fd(fl->ring) : -1;

	fl->ordered = true;
	while (fl->mode == 1 && !atomic_load(&producer_done))
		usleep(1000);
	for (;;) {
		ret = dfl_ring_reader__next(fl->rd, &f, &lost,
					    fl->mode == 2 ? 0 : -1);
		if (ret == -ESHUTDOWN)
			break;
		if (ret == 0) {
			struct pollfd p = { .fd = efd, .events = POLLIN };
			uint64_t v;

			poll(&p, 1, 1000);
			if (read(efd, &v, sizeof(v)) < 0) {
				/* nothing to clear */
			}
			continue;
		}
		fl->lost += lost;
		fl->got++;
		/* every record is accounted for: the gap equals the loss */
		if (f->time_ns != last + 1 + (int64_t)lost)
			fl->ordered = false;
		last = f->time_ns;
	}
	return NULL;
}

START_TEST(slow_followers_never_block_the_producer)
{
	struct dfl_ring *r = dfl_ring__new(1024);
	struct follower fl[3];
	pthread_t th[3];

	for (int i = 0; i < 3; i++) {
		fl[i] = (struct follower){ .ring = r, .mode = i };
		fl[i].rd = dfl_ring_reader__new(r, DFL_RING_NEWEST, 0);
		pthread_create(&th[i], NULL, follow, &fl[i]);
	}
	for (uint64_t i = 0; i < TOTAL; i++)
		push_seq(r, i);
	/* the producer finished although one follower read nothing */
	atomic_store(&producer_done, true);
	dfl_ring__shutdown(r);
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(fl[i].ordered, "follower %d saw records out of order", i);
		ck_assert_uint_eq(fl[i].got + fl[i].lost, TOTAL);
		dfl_ring_reader__free(fl[i].rd);
	}
	/* the stalled follower gets the last 1024 and is told of the rest */
	ck_assert_uint_eq(fl[1].got, 1024);
	ck_assert_uint_eq(fl[1].lost, TOTAL - 1024);
	dfl_ring__free(r);
}
END_TEST

START_TEST(timed_wait_returns_zero)
{
	struct dfl_ring *r = dfl_ring__new(8);
	struct dfl_ring_reader *rd = dfl_ring_reader__new(r, DFL_RING_NEWEST, 0);
	const struct dfl_flow *f;
	uint64_t lost;

	ck_assert_int_eq(dfl_ring_reader__next(rd, &f, &lost, 20), 0);
	ck_assert_ptr_null(f);
	dfl_ring__shutdown(r);
	ck_assert_int_eq(dfl_ring_reader__next(rd, &f, &lost, -1), -ESHUTDOWN);
	dfl_ring_reader__free(rd);
	dfl_ring__free(r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_ring");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, reader_is_told_what_it_lost);
	tcase_add_test(tc, readers_start_where_asked);
	tcase_add_test(tc, held_record_outlives_its_slot);
	tcase_add_test(tc, slow_followers_never_block_the_producer);
	tcase_add_test(tc, timed_wait_returns_zero);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
