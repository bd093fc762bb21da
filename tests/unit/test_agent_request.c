/* agent/: decoding the control socket's pod, Service and Deployment
 * descriptions, and image names. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ipam.h"
#include "agent/pod.h"
#include "agent/process.h"

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	ck_assert_msg(j != NULL, "bad test JSON: %s", e.text);
	return j;
}

/* Decodes <text> as a pod; returns the error code and leaves the message
 * in <err>. */
static int pod_from(const char *text, struct dfl_pod_desc *pod, char *err,
		    size_t errlen)
{
	json_t *j = parse(text);
	int ret = dfl_pod_desc__from_json(pod, j, "pod", err, errlen);

	json_decref(j);
	return ret;
}

START_TEST(pod_decodes_with_defaults)
{
	struct dfl_pod_desc pod;
	char err[256];

	ck_assert_int_eq(pod_from("{\"name\":\"tiefighter\",\"labels\":{\"org\":\"empire\","
				  "\"class\":\"tiefighter\"},\"ports\":[{\"port\":80}]}",
				  &pod, err, sizeof(err)), 0);
	ck_assert_str_eq(pod.namespace, "default");
	ck_assert_str_eq(pod.service_account, "default");
	ck_assert_uint_eq(pod.labels.n, 2);
	ck_assert_str_eq(pod.labels.items[0].key, "class"); /* sorted */
	ck_assert_str_eq(pod.labels.items[1].value, "empire");
	ck_assert_uint_eq(pod.n_ports, 1);
	ck_assert_uint_eq(pod.ports[0].port, 80);
	ck_assert_uint_eq(pod.ports[0].proto, DFL_PROTO_TCP);
	ck_assert_ptr_null(pod.image);
	dfl_pod_desc__release(&pod);
}
END_TEST

START_TEST(pod_errors_name_the_field)
{
	static const struct {
		const char *json, *msg;
	} cases[] = {
		{ "{\"labels\":{}}", "pod.name: required field is missing" },
		{ "{\"name\":\"Tie\"}", "pod.name: invalid name 'Tie': must be lower case" },
		{ "{\"name\":\"t\",\"labels\":{\"org\":1}}",
		  "pod.labels.org: must be a string, not an integer" },
		{ "{\"name\":\"t\",\"labels\":{\"org\":\"em pire\"}}",
		  "pod.labels.org: invalid label value 'em pire': may only contain A-Z, a-z, 0-9, '-', '_' and '.'" },
		{ "{\"name\":\"t\",\"ports\":[{\"port\":70000}]}",
		  "pod.ports[0].port: 70000 is out of range 1-65535" },
		{ "{\"name\":\"t\",\"ports\":[{\"port\":80,\"protocol\":\"ICMP\"}]}",
		  "pod.ports[0].protocol: 'ICMP' is not one of TCP, UDP, SCTP" },
		{ "{\"name\":\"t\",\"lables\":{}}", "pod.lables: unknown field" },
		{ "{\"name\":\"t\",\"namespace\":\"a/b\"}",
		  "pod.namespace: invalid namespace 'a/b': may only contain a-z, 0-9 and '-'" },
		{ "{\"name\":\"t\",\"command\":[\"sleep\",1]}",
		  "pod.command[1]: must be a string, not an integer" },
		{ "[1]", "pod: must be an object, not an array" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dfl_pod_desc pod;
		char err[256] = "";

		ck_assert_int_eq(pod_from(cases[i].json, &pod, err, sizeof(err)), -EINVAL);
		ck_assert_str_eq(err, cases[i].msg);
		dfl_pod_desc__release(&pod);
	}
}
END_TEST

START_TEST(pod_round_trips_through_json)
{
	struct dfl_pod_desc pod, again, copy;
	char err[256];
	json_t *j;

	ck_assert_int_eq(pod_from("{\"namespace\":\"galaxy\",\"name\":\"deathstar-1\","
				  "\"labels\":{\"org\":\"empire\"},\"image\":\"docker.io/cilium/starwars\","
				  "\"ports\":[{\"port\":53,\"protocol\":\"udp\",\"name\":\"dns\"}],"
				  "\"command\":[\"a\",\"b\"],\"workload\":{\"name\":\"deathstar\",\"kind\":\"Deployment\"}}",
				  &pod, err, sizeof(err)), 0);
	j = dfl_pod_desc__to_json(&pod);
	ck_assert_int_eq(dfl_pod_desc__from_json(&again, j, "pod", err, sizeof(err)), 0);
	json_decref(j);
	ck_assert_str_eq(again.namespace, "galaxy");
	ck_assert_str_eq(again.ports[0].name, "dns");
	ck_assert_uint_eq(again.ports[0].proto, DFL_PROTO_UDP);
	ck_assert_str_eq(again.command[1], "b");
	ck_assert_str_eq(again.workload_kind, "Deployment");
	ck_assert_int_eq(dfl_pod_desc__copy(&copy, &again), 0);
	ck_assert_str_eq(copy.image, "docker.io/cilium/starwars");
	ck_assert_str_eq(copy.labels.items[0].value, "empire");
	dfl_pod_desc__release(&pod);
	dfl_pod_desc__release(&again);
	dfl_pod_desc__release(&copy);
}
END_TEST

START_TEST(selector_matching)
{
	struct dfl_kv l[] = { { "class", "deathstar", { 0 } }, { "org", "empire", { 0 } } };
	struct dfl_kv one[] = { { "org", "empire", { 0 } } };
	struct dfl_kv bad[] = { { "org", "alliance", { 0 } } };
	struct dfl_pod_desc pod = { .labels = { l, 2 } };
	struct dfl_kvs sel1 = { one, 1 }, sel2 = { bad, 1 }, none = { NULL, 0 };

	ck_assert(dfl_pod_desc__selected_by(&pod, &sel1));
	ck_assert(!dfl_pod_desc__selected_by(&pod, &sel2));
	ck_assert(!dfl_pod_desc__selected_by(&pod, &none));
}
END_TEST

START_TEST(service_decodes)
{
	struct dfl_service_desc svc;
	char err[256], ip[16];
	json_t *j;

	j = parse("{\"name\":\"deathstar\",\"selector\":{\"org\":\"empire\",\"class\":\"deathstar\"},"
		  "\"ports\":[{\"port\":80}],\"clusterIP\":\"10.96.0.10\"}");
	ck_assert_int_eq(dfl_service_desc__from_json(&svc, j, "service", err, sizeof(err)), 0);
	json_decref(j);
	ck_assert_str_eq(dfl_ip4__fmt(svc.cluster_ip, ip, sizeof(ip)), "10.96.0.10");
	ck_assert_uint_eq(svc.ports[0].target_port, 80);
	ck_assert_uint_eq(svc.selector.n, 2);
	dfl_service_desc__release(&svc);

	j = parse("{\"name\":\"db\",\"clusterIP\":\"None\"}");
	ck_assert_int_eq(dfl_service_desc__from_json(&svc, j, "service", err, sizeof(err)), 0);
	ck_assert(svc.headless);
	json_decref(j);
	dfl_service_desc__release(&svc);

	j = parse("{\"name\":\"db\",\"clusterIP\":\"10.96.0.300\"}");
	ck_assert_int_eq(dfl_service_desc__from_json(&svc, j, "service", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "service.clusterIP: '10.96.0.300' is not an IPv4 address or \"None\"");
	json_decref(j);
	dfl_service_desc__release(&svc);
}
END_TEST

START_TEST(deployment_needs_template_labels)
{
	struct dfl_deployment_desc d;
	char err[256];
	json_t *j;

	j = parse("{\"name\":\"deathstar\",\"replicas\":2,\"template\":{\"labels\":{\"org\":\"empire\"},"
		  "\"image\":\"docker.io/cilium/starwars\"}}");
	ck_assert_int_eq(dfl_deployment_desc__from_json(&d, j, "deployment", err, sizeof(err)), 0);
	ck_assert_uint_eq(d.replicas, 2);
	ck_assert_str_eq(d.template.image, "docker.io/cilium/starwars");
	json_decref(j);
	dfl_deployment_desc__release(&d);

	j = parse("{\"name\":\"x\",\"template\":{}}");
	ck_assert_int_eq(dfl_deployment_desc__from_json(&d, j, "deployment", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "deployment.template.labels: a Deployment's pods need labels (its selector)");
	json_decref(j);
	dfl_deployment_desc__release(&d);

	j = parse("{\"name\":\"x\",\"replicas\":-1,\"template\":{\"labels\":{\"a\":\"b\"}}}");
	ck_assert_int_eq(dfl_deployment_desc__from_json(&d, j, "deployment", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "deployment.replicas: must be an integer in 0-1000");
	json_decref(j);
	dfl_deployment_desc__release(&d);
}
END_TEST

START_TEST(images_map_to_programs)
{
	char path[4096], err[512];

	/* A directory without the program: the image is known, the program
	 * missing, and the message says how to get it. */
	ck_assert_int_eq(dfl_image__resolve("/nonexistent", "docker.io/cilium/starwars",
					    path, sizeof(path), err, sizeof(err)), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "make tools"));
	ck_assert_int_eq(dfl_image__resolve("/nonexistent", "cilium/starwars:v1.0",
					    path, sizeof(path), err, sizeof(err)), -ENOEXEC);
	ck_assert_int_eq(dfl_image__resolve("/nonexistent",
					    "quay.io/cilium/starwars@sha256:abc", path,
					    sizeof(path), err, sizeof(err)), -ENOEXEC);
	ck_assert_int_eq(dfl_image__resolve("/bin", "quay.io/cilium/json-mock:v1.3.8",
					    path, sizeof(path), err, sizeof(err)), -ENOENT);
	ck_assert_int_eq(dfl_image__resolve("/bin", "starwars", path, sizeof(path),
					    err, sizeof(err)), -ENOENT);
	ck_assert_int_eq(dfl_image__resolve("/bin", NULL, path, sizeof(path), err,
					    sizeof(err)), -ENOENT);
}
END_TEST

static Suite *request_suite(void)
{
	Suite *s = suite_create("agent_request");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, pod_decodes_with_defaults);
	tcase_add_test(tc, pod_errors_name_the_field);
	tcase_add_test(tc, pod_round_trips_through_json);
	tcase_add_test(tc, selector_matching);
	tcase_add_test(tc, service_decodes);
	tcase_add_test(tc, deployment_needs_template_labels);
	tcase_add_test(tc, images_map_to_programs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(request_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
