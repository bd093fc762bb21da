/* The Kubernetes source against a replayed API server: list pages, watch
 * events, bookmarks, dropped connections, 410 Gone (as an event and as an HTTP
 * status), relists that delete what vanished, and credentials. */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/k8s_client.h"
#include "agent/k8s_config.h"
#include "agent/k8s_source.h"
#include "tests/unit/helpers/http_replay.h"
#include "util/strbuf.h"
#include "util/strmap.h"

#define CNP(name, rv)                                                          \
	"{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"default\","      \
	"\"resourceVersion\":\"" rv "\"},\"spec\":{}}"
#define EVENT(type, obj) "{\"type\":\"" type "\",\"object\":" obj "}\n"
#define LIST(rv, cont, ...)                                                    \
	"{\"kind\":\"CiliumNetworkPolicyList\",\"metadata\":{\"resourceVersion\":\"" rv \
	"\"" cont "},\"items\":[" __VA_ARGS__ "]}"
#define CNP_PATH "GET /apis/cilium.io/v2/ciliumnetworkpolicies?"

/* What the consumer sees: a store (key -> resourceVersion) and the events. */
struct consumer {
	struct dfl_strmap store;
	struct dfl_strbuf log; /* "U default/a 5;D default/b;S;" */
	size_t events;
	bool kinds_ok;
};

static void on_event(const struct dfl_k8s_event *ev, void *arg)
{
	struct consumer *c = arg;
	const char *rv;
	void *old = NULL;

	c->events++;
	switch (ev->type) {
	case DFL_K8S_UPSERT:
		rv = json_string_value(json_object_get(
			json_object_get(ev->object, "metadata"), "resourceVersion"));
		dfl_strbuf__printf(&c->log, "U %s %s;", ev->key, rv);
		dfl_strmap__set(&c->store, ev->key, strdup(rv), &old);
		free(old);
		if (strcmp(json_string_value(json_object_get(ev->object, "kind")) ?: "",
			   "CiliumNetworkPolicy") ||
		    strcmp(json_string_value(json_object_get(ev->object, "apiVersion")) ?: "",
			   "cilium.io/v2"))
			c->kinds_ok = false;
		break;
	case DFL_K8S_DELETE:
		dfl_strbuf__printf(&c->log, "D %s;", ev->key);
		free(dfl_strmap__del(&c->store, ev->key));
		break;
	case DFL_K8S_SYNCED:
		dfl_strbuf__puts(&c->log, "S;");
		break;
	}
}

static void consumer_release(struct consumer *c)
{
	const char *k;
	void *v;
	size_t it = 0;

	while (dfl_strmap__next(&c->store, &it, &k, &v))
		free(v);
	dfl_strmap__release(&c->store);
	dfl_strbuf__release(&c->log);
}

/* Drains events until <done> holds or 10 s pass. */
static bool pump_until(struct dfl_k8s_source *src, struct consumer *c,
		       struct dfl_replay *r, size_t steps, size_t events)
{
	for (int i = 0; i < 1000; i++) {
		struct pollfd p = { dfl_k8s_source__fd(src), POLLIN, 0 };

		poll(&p, 1, 10);
		dfl_k8s_source__drain(src, on_event, c);
		if (dfl_replay__served(r) >= steps && c->events >= events)
			return true;
	}
	return false;
}

static struct dfl_k8s_source *start_source(struct dfl_replay *r, unsigned int resources)
{
	char server[64];
	struct dfl_k8s_creds creds = { .server = server, .token = "t0ken" };
	struct dfl_k8s_source_opts opts = {
		.resources = resources, .page_size = 2,
		.backoff_min_ms = 10, .backoff_max_ms = 40,
	};

	snprintf(server, sizeof(server), "http://127.0.0.1:%d", dfl_replay__port(r));
	return dfl_k8s_source__start(&creds, &opts);
}

START_TEST(list_watch_bookmark_drop_gone_relist)
{
	static const struct dfl_replay_step steps[] = {
		/* 0, 1: a list in two pages */
		{ CNP_PATH "limit=2 |Authorization: Bearer t0ken", 200,
		  LIST("10", ",\"continue\":\"tok\"", CNP("a", "5")) },
		{ CNP_PATH "limit=2&continue=tok ", 200, LIST("10", "", CNP("b", "6")) },
		/* 2: watch from the list's version; the connection drops */
		{ CNP_PATH "watch=1|allowWatchBookmarks=true|resourceVersion=10 ", 200,
		  EVENT("ADDED", CNP("c", "11")) EVENT("MODIFIED", CNP("a", "12"))
		  "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"15\"}}}\n",
		  true, DFL_REPLAY_DROP },
		/* 3: resumed from the bookmark; 410 arrives as an ERROR event */
		{ CNP_PATH "watch=1|resourceVersion=15 ", 200,
		  EVENT("DELETED", CNP("b", "16"))
		  "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}}\n",
		  true, DFL_REPLAY_END },
		/* 4: relist: c vanished while we were away, d appeared */
		{ CNP_PATH "limit=2 ", 200, LIST("20", "", CNP("a", "12") "," CNP("d", "20")) },
		/* 5: the watch is refused with HTTP 410 */
		{ CNP_PATH "watch=1|resourceVersion=20 ", 410,
		  "{\"kind\":\"Status\",\"code\":410}" },
		/* 6: a failing list is retried */
		{ CNP_PATH "limit=2 ", 500, "oops" },
		/* 7: relist: d changed */
		{ CNP_PATH "limit=2 ", 200, LIST("21", "", CNP("a", "12") "," CNP("d", "21")) },
		/* 8: a quiet watch */
		{ CNP_PATH "watch=1|resourceVersion=21 ", 200, "", true, DFL_REPLAY_HOLD },
	};
	struct dfl_replay *r = dfl_replay__start(steps, 9);
	struct dfl_k8s_source *src = start_source(r, 1u << DFL_K8S_CNP);
	struct consumer c = { .kinds_ok = true };
	struct dfl_k8s_source_stats st;

	ck_assert_ptr_nonnull(src);
	ck_assert(pump_until(src, &c, r, 9, 11));
	ck_assert_str_eq(dfl_strbuf__str(&c.log),
			 "U default/a 5;U default/b 6;S;"
			 "U default/c 11;U default/a 12;D default/b;"
			 "U default/d 20;D default/c;S;"
			 "U default/d 21;S;");
	ck_assert_uint_eq(c.store.n, 2);
	ck_assert_str_eq(dfl_strmap__get(&c.store, "default/a"), "12");
	ck_assert_str_eq(dfl_strmap__get(&c.store, "default/d"), "21");
	ck_assert(c.kinds_ok);
	ck_assert_uint_eq(dfl_replay__mismatches(r), 0);
	dfl_k8s_source__stats(src, &st);
	ck_assert_uint_eq(st.relists, 2);
	ck_assert_uint_ge(st.errors, 2); /* the drop and the 500 */
	dfl_k8s_source__stop(src);
	dfl_replay__stop(r);
	consumer_release(&c);
}
END_TEST

START_TEST(unreachable_server_backs_off_and_stops_promptly)
{
	struct dfl_k8s_creds creds = { .server = "http://127.0.0.1:1", .token = "x" };
	struct dfl_k8s_source_opts opts = { .resources = 1u << DFL_K8S_POD,
					    .backoff_min_ms = 5, .backoff_max_ms = 20 };
	struct dfl_k8s_source *src = dfl_k8s_source__start(&creds, &opts);
	struct dfl_k8s_source_stats st;
	struct timespec t0, t1;

	ck_assert_ptr_nonnull(src);
	usleep(300 * 1000);
	dfl_k8s_source__stats(src, &st);
	ck_assert_uint_ge(st.errors, 3);
	ck_assert_uint_eq(st.events, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dfl_k8s_source__stop(src);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000, 1000);
}
END_TEST

START_TEST(status_patch_reaches_the_server)
{
	static const struct dfl_replay_step steps[] = {
		{ "PATCH /apis/cilium.io/v2/namespaces/default/ciliumnetworkpolicies/rule1/status"
		  "|Content-Type: application/merge-patch+json|\"Valid\"", 200, "{}" },
	};
	struct dfl_replay *r = dfl_replay__start(steps, 1);
	char server[64];
	struct dfl_k8s_creds creds = { .server = server };
	struct dfl_k8s_client *cl;
	struct dfl_strbuf body = { 0 }, err = { 0 };
	long status;

	snprintf(server, sizeof(server), "http://127.0.0.1:%d", dfl_replay__port(r));
	cl = dfl_k8s_client__new(&creds);
	ck_assert_ptr_nonnull(cl);
	ck_assert_int_eq(dfl_k8s_client__patch(cl,
		"/apis/cilium.io/v2/namespaces/default/ciliumnetworkpolicies/rule1/status",
		"application/merge-patch+json",
		"{\"status\":{\"conditions\":[{\"type\":\"Valid\",\"status\":\"True\"}]}}",
		&status, &body, &err), 0);
	ck_assert_int_eq(status, 200);
	ck_assert_uint_eq(dfl_replay__mismatches(r), 0);
	dfl_k8s_client__free(cl);
	dfl_strbuf__release(&body);
	dfl_strbuf__release(&err);
	dfl_replay__stop(r);
}
END_TEST

static char *write_tmp(const char *content)
{
	char *path = strdup("/tmp/dfl-kubeconfig-XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

START_TEST(kubeconfig_context_and_data_fields)
{
	/* "aGVsbG8=" is "hello", "Y2VydA==" is "cert". */
	char *path = write_tmp(
		"apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
		"preferences: {}\n"
		"clusters:\n"
		"- name: c1\n  cluster:\n    server: https://10.0.0.1:6443\n"
		"    certificate-authority-data: aGVsbG8=\n"
		"- name: c2\n  cluster:\n    server: https://c2:443\n    insecure-skip-tls-verify: true\n"
		"users:\n- name: u1\n  user:\n    token: abc\n"
		"- name: u2\n  user:\n    client-certificate-data: Y2VydA==\n    client-key: /k.pem\n"
		"contexts:\n- name: dev\n  context: {cluster: c1, user: u1}\n"
		"- name: prod\n  context: {cluster: c2, user: u2}\n");
	struct dfl_k8s_creds c;
	struct dfl_strbuf err = { 0 };

	ck_assert_int_eq(dfl_k8s_creds__from_kubeconfig(&c, path, NULL, &err), 0);
	ck_assert_str_eq(c.server, "https://10.0.0.1:6443");
	ck_assert_str_eq(c.ca_pem, "hello");
	ck_assert_str_eq(c.token, "abc");
	ck_assert(!c.insecure);
	dfl_k8s_creds__release(&c);

	ck_assert_int_eq(dfl_k8s_creds__from_kubeconfig(&c, path, "prod", &err), 0);
	ck_assert_str_eq(c.server, "https://c2:443");
	ck_assert(c.insecure);
	ck_assert_str_eq(c.cert_pem, "cert");
	ck_assert_str_eq(c.key_file, "/k.pem");
	ck_assert_ptr_null(c.token);
	dfl_k8s_creds__release(&c);

	ck_assert_int_eq(dfl_k8s_creds__from_kubeconfig(&c, path, "nope", &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(dfl_strbuf__str(&err), "context \"nope\" not found"));
	dfl_strbuf__release(&err);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(kubeconfig_errors_name_the_file)
{
	char *path = write_tmp("clusters: [ {name: c1, cluster: {server: x}\n");
	struct dfl_k8s_creds c;
	struct dfl_strbuf err = { 0 };

	ck_assert_int_lt(dfl_k8s_creds__from_kubeconfig(&c, path, NULL, &err), 0);
	ck_assert_ptr_nonnull(strstr(dfl_strbuf__str(&err), path));
	dfl_strbuf__release(&err);
	ck_assert_int_eq(dfl_k8s_creds__from_kubeconfig(&c, "/nonexistent/kc", NULL, &err),
			 -ENOENT);
	dfl_strbuf__release(&err);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(in_cluster_uses_service_env)
{
	struct dfl_k8s_creds c;
	struct dfl_strbuf err = { 0 };

	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	ck_assert_int_eq(dfl_k8s_creds__in_cluster(&c, "/sa", &err), 0);
	ck_assert_str_eq(c.server, "https://10.96.0.1:443");
	ck_assert_str_eq(c.token_file, "/sa/token");
	ck_assert_str_eq(c.ca_file, "/sa/ca.crt");
	dfl_k8s_creds__release(&c);
	unsetenv("KUBERNETES_SERVICE_HOST");
	ck_assert_int_eq(dfl_k8s_creds__in_cluster(&c, NULL, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(dfl_strbuf__str(&err), "--kubeconfig"));
	dfl_strbuf__release(&err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("agent_k8s_source");
	TCase *tc = tcase_create("k8s");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, list_watch_bookmark_drop_gone_relist);
	tcase_add_test(tc, unreachable_server_backs_off_and_stops_promptly);
	tcase_add_test(tc, status_patch_reaches_the_server);
	tcase_add_test(tc, kubeconfig_context_and_data_fields);
	tcase_add_test(tc, kubeconfig_errors_name_the_file);
	tcase_add_test(tc, in_cluster_uses_service_env);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
