/* agent/: a real agent in this process, in a node namespace of its own
 * (root needed), with hooks that record what the integrator's components
 * would be told: endpoints created, updated, deleted and restored, Services
 * and their backends, hook failures. Runs under ASan/UBSan with the rest. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/netns.h"
#include "agent/pod.h"

static char node[64], state[128], sock[160];
static char log_buf[4096];
static int fail_create; /* errno the endpoint_created hook returns */

static void note(const char *what, const char *name, const char *extra)
{
	size_t len = strlen(log_buf);

	snprintf(log_buf + len, sizeof(log_buf) - len, "%s %s%s;", what, name,
		 extra);
}

static int on_created(void *ctx, struct dfl_agent *agent,
		      struct dfl_endpoint *ep, bool restored)
{
	/* The BPF loader attaches here: the veth must exist in the node. */
	ck_assert_int_gt(ep->ifindex, 0);
	note(restored ? "restored" : "created", ep->pod.name, "");
	return -fail_create;
}

static void on_updated(void *ctx, struct dfl_agent *agent,
		       struct dfl_endpoint *ep)
{
	note("updated", ep->pod.name, "");
}

static void on_deleted(void *ctx, struct dfl_agent *agent,
		       const struct dfl_endpoint *ep)
{
	note("deleted", ep->pod.name, "");
}

static int by_name(const void *x, const void *y)
{
	return strcmp((*(struct dfl_endpoint *const *)x)->pod.name,
		      (*(struct dfl_endpoint *const *)y)->pod.name);
}

static void on_service(void *ctx, struct dfl_agent *agent,
		       const struct dfl_service_desc *svc, bool deleted)
{
	struct dfl_endpoint *b[8];
	size_t n = dfl_agent__service_backends(agent, svc, b, 8);
	char backends[256] = "[";

	/* Ids are random, so is the backends' order. */
	qsort(b, n < 8 ? n : 8, sizeof(*b), by_name);
	for (size_t i = 0; i < n && i < 8; i++)
		snprintf(backends + strlen(backends),
			 sizeof(backends) - strlen(backends), "%s%s:%u",
			 i ? "," : "", b[i]->pod.name,
			 dfl_agent__backend_port(b[i], &svc->ports[0]));
	strcat(backends, "]");
	note(deleted ? "svc-deleted" : "svc", svc->name, backends);
}

static const struct dfl_agent_hooks hooks = {
    .endpoint_created = on_created,
    .endpoint_updated = on_updated,
    .endpoint_deleted = on_deleted,
    .service_changed = on_service,
};

static struct dfl_agent_config config(void)
{
	return (struct dfl_agent_config){
	    .node_netns = node, .state_dir = state, .socket_path = sock};
}

/* Unchecked teardown: it runs in the parent after the tests, also after a
 * failed one (a failed test's own process exits at the assertion). Each
 * test starts from a clean node too. */
static void clean(void)
{
	struct dfl_agent_config cfg = config();
	char err[512], dir[128];

	dfl_agent__cleanup(&cfg, err, sizeof(err));
	if (dfl_netns__exists(node))
		dfl_netns__delete(node);
	snprintf(dir, sizeof(dir), "/tmp/%s", node);
	rmdir(dir);
}

static void setup(void)
{
	snprintf(node, sizeof(node), "dflt-agent-u%d", getpid());
	snprintf(state, sizeof(state), "/tmp/%s/state", node);
	snprintf(sock, sizeof(sock), "/tmp/%s/sock", node);
}

static void test_setup(void)
{
	ck_assert_msg(geteuid() == 0,
		      "test_agent_daemon needs root (network namespaces)");
	clean();
	log_buf[0] = '\0';
	fail_create = 0;
}

static struct dfl_pod_desc pod(const char *json)
{
	struct dfl_pod_desc p;
	char err[256];
	json_t *j = json_loads(json, 0, NULL);

	ck_assert_int_eq(
	    dfl_pod_desc__from_json(&p, j, "pod", err, sizeof(err)), 0);
	json_decref(j);
	return p;
}

static void apply(struct dfl_agent *a, const char *json)
{
	struct dfl_pod_desc p = pod(json);
	char err[512];

	ck_assert_msg(dfl_agent__pod_apply(a, &p, NULL, err, sizeof(err)) == 0,
		      "%s", err);
	dfl_pod_desc__release(&p);
}

static void service(struct dfl_agent *a, const char *json)
{
	struct dfl_service_desc svc;
	char err[512];
	json_t *j = json_loads(json, 0, NULL);

	ck_assert_int_eq(
	    dfl_service_desc__from_json(&svc, j, "service", err, sizeof(err)),
	    0);
	ck_assert_msg(
	    dfl_agent__service_apply(a, &svc, NULL, err, sizeof(err)) == 0,
	    "%s", err);
	dfl_service_desc__release(&svc);
	json_decref(j);
}

START_TEST(hooks_follow_endpoints_and_backends)
{
	struct dfl_agent_config cfg = config();
	struct dfl_agent *a;
	char err[512];

	a = dfl_agent__new(&cfg, &hooks, err, sizeof(err));
	ck_assert_msg(a != NULL, "%s", err);
	apply(a, "{\"name\":\"ds-1\",\"labels\":{\"class\":\"deathstar\"},"
		 "\"ports\":[{\"port\":8080,\"name\":\"http\"}]}");
	apply(
	    a,
	    "{\"name\":\"tiefighter\",\"labels\":{\"class\":\"tiefighter\"}}");
	service(
	    a, "{\"name\":\"deathstar\",\"selector\":{\"class\":\"deathstar\"},"
	       "\"ports\":[{\"port\":80,\"targetPort\":\"http\"}]}");
	/* tiefighter becomes a deathstar: a backend without the named port. */
	apply(a,
	      "{\"name\":\"tiefighter\",\"labels\":{\"class\":\"deathstar\"}}");
	ck_assert_int_eq(dfl_agent__endpoint_delete(
			     a, dfl_agent__endpoint_lookup(a, "ds-1", NULL)),
			 0);
	ck_assert_str_eq(
	    log_buf, "created ds-1;created tiefighter;svc deathstar[ds-1:8080];"
		     "updated tiefighter;svc deathstar[ds-1:8080,tiefighter:0];"
		     "svc deathstar[tiefighter:0];deleted ds-1;");
	ck_assert_ptr_null(dfl_agent__endpoint_by_name(a, "default", "ds-1"));
	dfl_agent__free(a);
}
END_TEST

START_TEST(failing_hook_fails_the_creation)
{
	struct dfl_agent_config cfg = config();
	struct dfl_pod_desc p = pod("{\"name\":\"xwing\"}");
	struct dfl_endpoint *const *eps;
	struct dfl_agent *a;
	char err[512];

	a = dfl_agent__new(&cfg, &hooks, err, sizeof(err));
	ck_assert_msg(a != NULL, "%s", err);
	fail_create = EPERM;
	ck_assert_int_eq(dfl_agent__pod_apply(a, &p, NULL, err, sizeof(err)),
			 -EPERM);
	ck_assert_str_eq(err, "endpoint hook failed: Operation not permitted");
	ck_assert_uint_eq(dfl_agent__endpoints(a, &eps), 0);
	fail_create = 0;
	/* Nothing left behind: the same pod can be created again. */
	ck_assert_int_eq(dfl_agent__pod_apply(a, &p, NULL, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(dfl_agent__endpoints(a, &eps), 1);
	ck_assert_str_eq(eps[0]->pod.name, "xwing");
	dfl_pod_desc__release(&p);
	dfl_agent__free(a);
}
END_TEST

START_TEST(restart_restores_endpoints_through_the_hooks)
{
	struct dfl_agent_config cfg = config();
	struct dfl_endpoint *const *eps;
	struct dfl_agent *a;
	char err[512], netns[DFL_NETNS_NAME_MAX];
	uint32_t ip;
	uint16_t id;

	a = dfl_agent__new(&cfg, &hooks, err, sizeof(err));
	ck_assert_msg(a != NULL, "%s", err);
	apply(a, "{\"name\":\"ds-1\",\"labels\":{\"class\":\"deathstar\"},"
		 "\"ports\":[{\"port\":80}]}");
	service(a, "{\"name\":\"deathstar\",\"selector\":{\"class\":"
		   "\"deathstar\"},\"ports\":[{\"port\":80}]}");
	dfl_agent__endpoints(a, &eps);
	id = eps[0]->id;
	ip = eps[0]->ipv4;
	memcpy(netns, eps[0]->netns, sizeof(netns));
	dfl_agent__free(a); /* as after SIGTERM: kernel objects stay */
	ck_assert(dfl_netns__exists(netns));

	log_buf[0] = '\0';
	a = dfl_agent__new(&cfg, &hooks, err, sizeof(err));
	ck_assert_msg(a != NULL, "%s", err);
	ck_assert_str_eq(log_buf, "restored ds-1;svc deathstar[ds-1:80];");
	ck_assert_uint_eq(dfl_agent__endpoints(a, &eps), 1);
	ck_assert_uint_eq(eps[0]->id, id);
	ck_assert_uint_eq(eps[0]->ipv4, ip);
	ck_assert_int_eq(eps[0]->state, DFL_EP_READY);
	dfl_agent__free(a);

	ck_assert_int_eq(dfl_agent__cleanup(&cfg, err, sizeof(err)), 0);
	ck_assert(!dfl_netns__exists(netns));
	ck_assert(!dfl_netns__exists(node));
	ck_assert_int_ne(access(state, F_OK), 0);
}
END_TEST

static Suite *daemon_suite(void)
{
	Suite *s = suite_create("agent_daemon");
	TCase *tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, setup, clean);
	tcase_add_checked_fixture(tc, test_setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, hooks_follow_endpoints_and_backends);
	tcase_add_test(tc, failing_hook_fails_the_creation);
	tcase_add_test(tc, restart_restores_endpoints_through_the_hooks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(daemon_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
