/* agent/: the control socket's framing, errors and follower streams, with a
 * real unix socket served by the agent's event loop in this process. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/api.h"
#include "agent/evloop.h"
#include "util/strbuf.h"

static char dir[] = "/tmp/dflt-agent-api-XXXXXX";
static char path[128];
static struct dfl_evloop *loop;
static struct dfl_api *api;

static int op_echo(void *ctx, struct dfl_api_call *call)
{
	call->result = json_deep_copy(call->req);
	return 0;
}

static int op_fail(void *ctx, struct dfl_api_call *call)
{
	return dfl_api_call__fail(call, -ENOENT, "pod %s not found", "x");
}

static int op_plain_errno(void *ctx, struct dfl_api_call *call)
{
	return -EBUSY;
}

static int op_follow(void *ctx, struct dfl_api_call *call)
{
	return dfl_api_conn__follow(call->conn, "flows");
}

static void setup(void)
{
	char err[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/agent.sock", dir);
	loop = dfl_evloop__new();
	api = dfl_api__new(loop, path, err, sizeof(err));
	ck_assert_msg(api != NULL, "%s", err);
	dfl_api__register(api, "echo", "echo", op_echo, NULL);
	dfl_api__register(api, "fail", "fail", op_fail, NULL);
	dfl_api__register(api, "busy", "busy", op_plain_errno, NULL);
	dfl_api__register(api, "follow", "follow", op_follow, NULL);
}

static void teardown(void)
{
	dfl_api__free(api);
	dfl_evloop__free(loop);
	rmdir(strcat(strcpy((char[160]){ 0 }, dir), "/sub"));
	rmdir(dir);
	strcpy(dir, "/tmp/dflt-agent-api-XXXXXX");
}

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	dfl_evloop__run_once(loop, 100); /* accept */
	return fd;
}

static void send_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = send(fd, s, len, 0);

		if (n < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			dfl_evloop__run_once(loop, 10);
			continue;
		}
		s += n;
		len -= (size_t)n;
	}
}

/* Runs the loop until <want> lines arrived (or 2 s passed); returns them. */
static char *read_lines(int fd, int want)
{
	struct dfl_strbuf sb = { 0 };
	char buf[65536];

	for (int round = 0; round < 200; round++) {
		int lines = 0;
		ssize_t n;

		dfl_evloop__run_once(loop, 10);
		while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
			dfl_strbuf__append(&sb, buf, (size_t)n);
		for (size_t i = 0; i < sb.len; i++)
			lines += sb.buf[i] == '\n';
		if (lines >= want || n == 0)
			break;
	}
	return dfl_strbuf__detach(&sb);
}

START_TEST(requests_are_answered_in_order_with_ids)
{
	int fd = client();
	const char *req = "{\"op\":\"echo\",\"id\":1,\"x\":\"a\"}\n\n  \n"
			  "{\"op\":\"fail\",\"id\":\"two\"}\n{\"op\":\"busy\"}\n";
	char *out;

	send_all(fd, req, strlen(req));
	out = read_lines(fd, 3);
	ck_assert_str_eq(out,
			 "{\"result\":{\"op\":\"echo\",\"id\":1,\"x\":\"a\"},\"id\":1}\n"
			 "{\"error\":\"pod x not found\",\"id\":\"two\"}\n"
			 "{\"error\":\"Device or resource busy\"}\n");
	free(out);
	close(fd);
}
END_TEST

START_TEST(bad_requests_get_clear_errors)
{
	int fd = client();
	const char *req = "{\"op\":\n{\"nop\":1}\n[1]\n{\"op\":\"nope\"}\n"
			  "{\"op\":\"echo\",\"op\":\"x\"}\n";
	char *out;

	send_all(fd, req, strlen(req));
	out = read_lines(fd, 5);
	ck_assert_str_eq(out,
			 "{\"error\":\"request is not JSON: unexpected token near end of file (column 6)\"}\n"
			 "{\"error\":\"request has no \\\"op\\\" string; {\\\"op\\\": \\\"help\\\"} lists the ops\"}\n"
			 "{\"error\":\"request must be a JSON object like {\\\"op\\\": \\\"status\\\"}\"}\n"
			 "{\"error\":\"unknown op 'nope'; {\\\"op\\\": \\\"help\\\"} lists the ops\"}\n"
			 "{\"error\":\"request is not JSON: duplicate object key near '\\\"op\\\"' (column 17)\"}\n");
	free(out);
	close(fd);
}
END_TEST

START_TEST(help_lists_ops)
{
	int fd = client();
	char *out;

	send_all(fd, "{\"op\":\"help\"}\n", 14);
	out = read_lines(fd, 1);
	ck_assert_ptr_nonnull(strstr(out, "\"echo\":\"echo\""));
	ck_assert_ptr_nonnull(strstr(out, "\"help\":\"list the ops\""));
	free(out);
	close(fd);
}
END_TEST

START_TEST(overlong_request_closes_the_connection)
{
	size_t len = DFL_API_MAX_LINE + 2;
	char *big = malloc(len), *out;
	int fd = client();

	memset(big, 'x', len);
	send_all(fd, big, len);
	out = read_lines(fd, 1);
	ck_assert_str_eq(out, "{\"error\":\"request longer than 16777216 bytes\"}\n");
	free(out);
	/* Closed: the next read sees EOF. */
	out = read_lines(fd, 1);
	ck_assert_str_eq(out, "");
	free(out);
	free(big);
	close(fd);
}
END_TEST

START_TEST(followers_receive_published_messages)
{
	int fd = client(), other = client();
	json_t *msg = json_pack("{s:i}", "n", 7);
	char *out;

	send_all(fd, "{\"op\":\"follow\"}\n", 16);
	out = read_lines(fd, 1);
	ck_assert_str_eq(out, "{\"result\":{}}\n");
	free(out);
	ck_assert_uint_eq(dfl_api__followers(api, "flows"), 1);
	ck_assert_uint_eq(dfl_api__publish(api, "flows", msg), 1);
	ck_assert_uint_eq(dfl_api__publish(api, "other", msg), 0);
	out = read_lines(fd, 1);
	ck_assert_str_eq(out, "{\"n\":7}\n");
	free(out);
	/* The non-follower still gets answers, and no stream. */
	send_all(other, "{\"op\":\"echo\"}\n", 14);
	out = read_lines(other, 1);
	ck_assert_str_eq(out, "{\"result\":{\"op\":\"echo\"}}\n");
	free(out);
	close(fd);
	dfl_evloop__run_once(loop, 50);
	ck_assert_uint_eq(dfl_api__followers(api, "flows"), 0);
	json_decref(msg);
	close(other);
}
END_TEST

START_TEST(slow_followers_lose_messages_and_are_told)
{
	int fd = client();
	char pad[4097], *out, *lost;
	size_t queued = 0;
	json_t *msg;

	memset(pad, 'p', 4096);
	pad[4096] = '\0';
	msg = json_pack("{s:s}", "pad", pad);
	send_all(fd, "{\"op\":\"follow\"}\n", 16);
	free(read_lines(fd, 1));
	/* The client reads nothing while ~12 MiB are published. */
	for (int i = 0; i < 3000; i++)
		queued += dfl_api__publish(api, "flows", msg);
	ck_assert_uint_lt(queued, 3000);
	out = read_lines(fd, 100000);
	lost = strstr(out, "{\"lost_events\":{\"source\":\"DEFLECTOR_AGENT\",\"num_events_lost\":");
	ck_assert_ptr_nonnull(lost);
	ck_assert_int_eq(atoi(lost + strlen("{\"lost_events\":{\"source\":\"DEFLECTOR_AGENT\",\"num_events_lost\":")),
			 (int)(3000 - queued));
	free(out);
	json_decref(msg);
	close(fd);
}
END_TEST

START_TEST(a_live_socket_is_not_stolen)
{
	struct dfl_evloop *l2 = dfl_evloop__new();
	char err[256];

	ck_assert_ptr_null(dfl_api__new(l2, path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "another agent is serving /tmp/dflt-agent-api-"));
	dfl_evloop__free(l2);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("agent_api");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, requests_are_answered_in_order_with_ids);
	tcase_add_test(tc, bad_requests_get_clear_errors);
	tcase_add_test(tc, help_lists_ops);
	tcase_add_test(tc, overlong_request_closes_the_connection);
	tcase_add_test(tc, followers_receive_published_messages);
	tcase_add_test(tc, slow_followers_lose_messages_and_are_told);
	tcase_add_test(tc, a_live_socket_is_not_stolen);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(api_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
