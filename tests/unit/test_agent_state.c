/* agent/: the state file a restarted agent adopts endpoints from. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent-priv.h"
#include "agent/pod.h"
#include "agent/state.h"

static char dir[] = "/tmp/dflt-agent-state-XXXXXX";

/* An agent as far as the state file is concerned. */
static void agent_init(struct dfl_agent *a, const char *node, const char *pod_cidr)
{
	char err[256];

	memset(a, 0, sizeof(*a));
	a->node_name = strdup(node);
	a->node_netns = strdup(node);
	a->state_dir = strdup(dir);
	a->pod_cidr = strdup(pod_cidr);
	a->service_cidr = strdup("10.96.0.0/16");
	ck_assert_int_eq(dfl_ipam__init(&a->pod_ipam, pod_cidr, true, err, sizeof(err)), 0);
	ck_assert_int_eq(dfl_ipam__init(&a->svc_ipam, a->service_cidr, false, err, sizeof(err)), 0);
	ck_assert_int_eq(dfl_idpool__init(&a->ep_ids, 1, 4095), 0);
}

static void agent_release(struct dfl_agent *a)
{
	for (size_t i = 0; i < a->n_eps; i++)
		dfl_endpoint__free(a->eps[i]);
	free(a->eps);
	dfl_agent__free_services(a);
	dfl_agent__free_deployments(a);
	dfl_ipam__release(&a->pod_ipam);
	dfl_ipam__release(&a->svc_ipam);
	dfl_idpool__release(&a->ep_ids);
	free(a->node_name);
	free(a->node_netns);
	free(a->state_dir);
	free(a->pod_cidr);
	free(a->service_cidr);
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/state.json", dir);
	unlink(path);
	rmdir(dir);
	strcpy(dir, "/tmp/dflt-agent-state-XXXXXX");
}

static struct dfl_endpoint *add_endpoint(struct dfl_agent *a, uint16_t id,
					 const char *name, const char *ip)
{
	struct dfl_endpoint *ep = calloc(1, sizeof(*ep));
	char err[256];
	json_t *j = json_pack("{s:s, s:{s:s}, s:s}", "name", name, "labels", "app",
			      name, "image", "docker.io/cilium/starwars");

	ck_assert_int_eq(dfl_pod_desc__from_json(&ep->pod, j, "pod", err, sizeof(err)), 0);
	json_decref(j);
	ep->id = id;
	ep->state = DFL_EP_READY;
	ep->proc.pidfd = -1;
	snprintf(ep->netns, sizeof(ep->netns), "dfl-%012x", id);
	snprintf(ep->ifname, sizeof(ep->ifname), "lxc%012x", id);
	dfl_ip4__parse(ip, &ep->ipv4);
	ep->proc.program = strdup("/usr/libexec/deathstar");
	ep->proc.pid = 4242;
	ep->proc.start_time = 123456;
	ep->identity = 14731;
	a->eps = realloc(a->eps, (a->n_eps + 1) * sizeof(*a->eps));
	a->eps[a->n_eps++] = ep;
	return ep;
}

START_TEST(state_round_trips)
{
	struct dfl_agent a, b;
	struct dfl_service_desc *svc = calloc(1, sizeof(*svc));
	char err[512];
	json_t *j;

	agent_init(&a, "node-1", "10.200.0.0/16");
	add_endpoint(&a, 7, "tiefighter", "10.200.0.2");
	add_endpoint(&a, 3000, "xwing", "10.200.0.3")->state = DFL_EP_CREATING;
	j = json_pack("{s:s, s:s, s:{s:s}}", "name", "deathstar", "clusterIP",
		      "10.96.0.1", "selector", "class", "deathstar");
	ck_assert_int_eq(dfl_service_desc__from_json(svc, j, "service", err, sizeof(err)), 0);
	json_decref(j);
	a.svcs = calloc(1, sizeof(*a.svcs));
	a.svcs[a.n_svcs++] = svc;
	a.node_netns_created = true;
	strcpy(a.prev_forward, "0");
	ck_assert_int_eq(dfl_state__save(&a), 0);

	agent_init(&b, "node-1", "10.200.0.0/16");
	ck_assert_int_eq(dfl_state__load(&b, err, sizeof(err)), 0);
	ck_assert(b.loaded);
	ck_assert(b.node_netns_created);
	ck_assert_str_eq(b.prev_forward, "0");
	ck_assert_uint_eq(b.n_eps, 2);
	ck_assert_uint_eq(b.eps[0]->id, 7);
	ck_assert_str_eq(b.eps[0]->pod.name, "tiefighter");
	ck_assert_str_eq(b.eps[0]->netns, a.eps[0]->netns);
	ck_assert_uint_eq(b.eps[0]->ipv4, a.eps[0]->ipv4);
	ck_assert_int_eq(b.eps[0]->state, DFL_EP_READY);
	ck_assert_int_eq(b.eps[1]->state, DFL_EP_CREATING);
	ck_assert_str_eq(b.eps[0]->proc.program, "/usr/libexec/deathstar");
	ck_assert_int_eq(b.eps[0]->proc.pid, 4242);
	ck_assert_uint_eq(b.eps[0]->proc.start_time, 123456);
	ck_assert_uint_eq(b.eps[0]->identity, 14731);
	/* Ids and addresses are taken again: nothing is handed out twice. */
	ck_assert(dfl_idpool__taken(&b.ep_ids, 7));
	ck_assert_int_eq(dfl_ipam__claim(&b.pod_ipam, a.eps[1]->ipv4), -EEXIST);
	ck_assert_int_eq(dfl_ipam__claim(&b.svc_ipam, svc->cluster_ip), -EEXIST);
	ck_assert_uint_eq(b.n_svcs, 1);
	agent_release(&a);
	agent_release(&b);
}
END_TEST

START_TEST(state_of_another_node_or_cidr_is_refused)
{
	struct dfl_agent a, b;
	char err[512];

	agent_init(&a, "node-1", "10.200.0.0/16");
	ck_assert_int_eq(dfl_state__save(&a), 0);
	agent_init(&b, "node-2", "10.200.0.0/16");
	ck_assert_int_eq(dfl_state__load(&b, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "was written for node 'node-1', not 'node-2'"));
	agent_release(&b);
	agent_init(&b, "node-1", "10.201.0.0/16");
	ck_assert_int_eq(dfl_state__load(&b, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "was written with --pod-cidr 10.200.0.0/16, not 10.201.0.0/16"));
	agent_release(&a);
	agent_release(&b);
}
END_TEST

START_TEST(corrupt_state_is_reported_with_position)
{
	struct dfl_agent a;
	char err[512], path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/state.json", dir);
	f = fopen(path, "w");
	fputs("{\"version\": 1,\n \"node\": ", f);
	fclose(f);
	agent_init(&a, "node-1", "10.200.0.0/16");
	ck_assert_int_eq(dfl_state__load(&a, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "state.json:2:"));
	ck_assert_ptr_nonnull(strstr(err, "move it away"));
	agent_release(&a);
	/* A missing file is a fresh start. */
	unlink(path);
	agent_init(&a, "node-1", "10.200.0.0/16");
	ck_assert_int_eq(dfl_state__load(&a, err, sizeof(err)), 0);
	ck_assert(!a.loaded);
	agent_release(&a);
}
END_TEST

START_TEST(duplicate_addresses_in_state_are_refused)
{
	struct dfl_agent a, b;
	char err[512];

	agent_init(&a, "node-1", "10.200.0.0/16");
	add_endpoint(&a, 1, "a", "10.200.0.2");
	add_endpoint(&a, 2, "b", "10.200.0.2");
	ck_assert_int_eq(dfl_state__save(&a), 0);
	agent_init(&b, "node-1", "10.200.0.0/16");
	ck_assert_int_eq(dfl_state__load(&b, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "endpoints[1]: address 10.200.0.2 is duplicated"));
	agent_release(&a);
	agent_release(&b);
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("agent_state");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, state_round_trips);
	tcase_add_test(tc, state_of_another_node_or_cidr_is_refused);
	tcase_add_test(tc, corrupt_state_is_reported_with_position);
	tcase_add_test(tc, duplicate_addresses_in_state_are_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(state_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
