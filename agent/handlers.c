/* The agent's socket ops (docs/agent.md lists them with examples). Each
 * checks its arguments, calls the agent, and answers with JSON. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent-priv.h"
#include "agent/agent.h"
#include "agent/endpoint.h"
#include "agent/netns.h"
#include "agent/pod.h"
#include "agent/process.h"

#ifndef DFL_VERSION
#define DFL_VERSION "0.1.0"
#endif

static const char *mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

static json_t *strv_json(char **v)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && v && v[i]; i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static json_t *process_json(const struct dfl_pod_process *p)
{
	char how[96];
	json_t *o;

	if (!p->program)
		return json_null();
	o = json_pack("{s:s, s:i, s:i, s:b}", "program", p->program, "pid",
		      (int)p->pid, "restarts", (int)p->restarts, "running",
		      p->pid > 0);
	if (o && p->last_status != -1)
		json_object_set_new(o, "lastExit",
				    json_string(dfl_wait_status__fmt(
					p->last_status, how, sizeof(how))));
	return o;
}

json_t *dfl_agent__endpoint_json(struct dfl_agent *a,
				 const struct dfl_endpoint *ep)
{
	char ip[16], mac[18], hmac[18], path[128];
	char **labels = dfl_endpoint__labels(ep);
	json_t *o;

	o = json_pack(
	    "{s:i, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:i, s:s, s:s, "
	    "s:s?, s:s?, s:o}",
	    "id", ep->id, "namespace", ep->pod.namespace, "name", ep->pod.name,
	    "pod", dfl_pod_desc__to_json(&ep->pod), "labels", strv_json(labels),
	    "ipv4", dfl_ip4__fmt(ep->ipv4, ip, sizeof(ip)), "netns", ep->netns,
	    "netnsPath", dfl_netns__path(ep->netns, path, sizeof(path)),
	    "ifname", ep->ifname, "ifindex", ep->ifindex, "mac",
	    mac_str(ep->mac, mac), "hostMac", mac_str(ep->host_mac, hmac),
	    "hostsFile", ep->hosts_path, "reason", ep->reason, "process",
	    process_json(&ep->proc));
	strv_free(labels);
	if (!o)
		return NULL;
	json_object_set_new(o, "state",
			    json_string(dfl_endpoint_state__name(ep->state)));
	json_object_set_new(o, "identity",
			    ep->identity ? json_integer(ep->identity)
					 : json_null());
	json_object_set_new(
	    o, "policy",
	    json_pack("{s:s, s:s}", "ingress",
		      ep->policy_ingress ? ep->policy_ingress : "Disabled",
		      "egress",
		      ep->policy_egress ? ep->policy_egress : "Disabled"));
	json_object_set_new(o, "node", json_string(a->node_name));
	if (ep->resolv_path)
		json_object_set_new(o, "resolvFile",
				    json_string(ep->resolv_path));
	return o;
}

/* Argument helpers: a missing or mistyped argument is a clear error. */
static int arg_str(struct dfl_api_call *call, const char *key, bool required,
		   const char **out)
{
	json_t *v = json_object_get(call->req, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return dfl_api_call__fail(call, -EINVAL,
						  "%s: missing argument \"%s\"",
						  call->op, key);
		return 0;
	}
	if (!json_is_string(v))
		return dfl_api_call__fail(
		    call, -EINVAL, "%s: argument \"%s\" must be a string",
		    call->op, key);
	*out = json_string_value(v);
	return 0;
}

static int arg_obj(struct dfl_api_call *call, const char *key, json_t **out)
{
	*out = json_object_get(call->req, key);
	if (!json_is_object(*out))
		return dfl_api_call__fail(
		    call, -EINVAL, "%s: argument \"%s\" must be an object",
		    call->op, key);
	return 0;
}

static int op_status(void *ctx, struct dfl_api_call *call)
{
	struct dfl_agent *a = ctx;
	char gw[16];
	size_t ready = 0;

	for (size_t i = 0; i < a->n_eps; i++)
		ready += a->eps[i]->state == DFL_EP_READY;
	call->result = json_pack(
	    "{s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s, s:{s:i, s:i}, s:i, s:i, "
	    "s:I, s:i, s:i}",
	    "version", DFL_VERSION, "node", a->node_name, "nodeNetns",
	    a->node_netns, "podCIDR", a->pod_cidr, "gateway",
	    dfl_ip4__fmt(a->pod_ipam.gateway, gw, sizeof(gw)), "serviceCIDR",
	    a->service_cidr, "stateDir", a->state_dir, "socket", a->socket_path,
	    "endpoints", "total", (int)a->n_eps, "ready", (int)ready,
	    "services", (int)a->n_svcs, "deployments", (int)a->n_deps,
	    "uptimeMs", (json_int_t)(dfl_now_ms() - a->started_at_ms),
	    "ipsUsed", (int)dfl_ipam__used(&a->pod_ipam), "ipsTotal",
	    (int)dfl_ipam__capacity(&a->pod_ipam));
	return call->result ? 0 : -ENOMEM;
}

static int op_endpoint_list(void *ctx, struct dfl_api_call *call)
{
	struct dfl_agent *a = ctx;
	json_t *arr = json_array();

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < a->n_eps; i++)
		json_array_append_new(arr,
				      dfl_agent__endpoint_json(a, a->eps[i]));
	call->result = arr;
	return 0;
}

static struct dfl_endpoint *lookup(struct dfl_agent *a,
				   struct dfl_api_call *call, int *err)
{
	struct dfl_endpoint *ep;
	const char *ref, *ns;

	*err = arg_str(call, "endpoint", true, &ref);
	if (!*err)
		*err = arg_str(call, "namespace", false, &ns);
	if (*err)
		return NULL;
	ep = dfl_agent__endpoint_lookup(a, ref, ns);
	if (!ep)
		*err = dfl_api_call__fail(
		    call, -ENOENT,
		    "endpoint '%s' not found (give an id, NAMESPACE/NAME, or a "
		    "pod name in namespace %s)",
		    ref, ns ? ns : "default");
	return ep;
}

static int op_endpoint_get(void *ctx, struct dfl_api_call *call)
{
	struct dfl_agent *a = ctx;
	int err;
	struct dfl_endpoint *ep = lookup(a, call, &err);

	if (!ep)
		return err;
	call->result = dfl_agent__endpoint_json(a, ep);
	return call->result ? 0 : -ENOMEM;
}

static int apply_pod(struct dfl_agent *a, struct dfl_api_call *call,
		     bool create_only)
{
	struct dfl_pod_desc pod;
	struct dfl_endpoint *ep = NULL;
	char msg[512];
	json_t *j;
	int err;

	err = arg_obj(call, "pod", &j);
	if (err)
		return err;
	err = dfl_pod_desc__from_json(&pod, j, "pod", msg, sizeof(msg));
	if (!err && create_only &&
	    dfl_agent__endpoint_by_name(a, pod.namespace, pod.name)) {
		snprintf(msg, sizeof(msg), "pod %s/%s already exists",
			 pod.namespace, pod.name);
		err = -EEXIST;
	}
	if (!err)
		err = dfl_agent__pod_apply(a, &pod, &ep, msg, sizeof(msg));
	dfl_pod_desc__release(&pod);
	if (err)
		return dfl_api_call__fail(call, err, "%s", msg);
	call->result = dfl_agent__endpoint_json(a, ep);
	return call->result ? 0 : -ENOMEM;
}

static int op_endpoint_create(void *ctx, struct dfl_api_call *call)
{
	return apply_pod(ctx, call, true);
}

static int op_pod_apply(void *ctx, struct dfl_api_call *call)
{
	return apply_pod(ctx, call, false);
}

static int op_endpoint_delete(void *ctx, struct dfl_api_call *call)
{
	struct dfl_agent *a = ctx;
	int err;
	struct dfl_endpoint *ep = lookup(a, call, &err);
	json_t *gone;

	if (!ep)
		return err;
	gone = json_pack("{s:i, s:s, s:s}", "id", ep->id, "namespace",
			 ep->pod.namespace, "name", ep->pod.name);
	err = dfl_agent__endpoint_delete(a, ep);
	if (err) {
		json_decref(gone);
		return dfl_api_call__fail(
		    call, err,
		    "endpoint deleted with errors: %s (see the agent's log)",
		    strerror(-err));
	}
	call->result = gone;
	return 0;
}

static int op_service_apply(void *ctx, struct dfl_api_call *call)
{
	struct dfl_agent *a = ctx;
	const struct dfl_service_desc *stored;
	struct dfl_service_desc svc;
	char msg[512];
	json_t *j;
	int err;

	err = arg_obj(call, "service", &j);
	if (err)
		return err;
	err = dfl_service_desc__from_json(&svc, j, "service", msg, sizeof(msg));
	if (!err)
		err = dfl_agent__service_apply(a, &svc, &stored, msg,
					       sizeof(msg));
	dfl_service_desc__release(&svc);
	if (err)
		return dfl_api_call__fail(call, err, "%s", msg);
	call->result = dfl_service_desc__to_json(stored);
	return call->result ? 0 : -ENOMEM;
}

static int ns_name(struct dfl_api_call *call, const char **ns,
		   const char **name)
{
	int err = arg_str(call, "name", true, name);

	if (!err)
		err = arg_str(call, "namespace", false, ns);
	if (!err && !*ns)
		*ns = "default";
	return err;
}

static int op_service_delete(void *ctx, struct dfl_api_call *call)
{
	const char *ns, *name;
	char msg[512];
	int err = ns_name(call, &ns, &name);

	if (!err &&
	    (err = dfl_agent__service_delete(ctx, ns, name, msg, sizeof(msg))))
		return dfl_api_call__fail(call, err, "%s", msg);
	return err;
}

static int op_service_list(void *ctx, struct dfl_api_call *call)
{
	struct dfl_agent *a = ctx;
	json_t *arr = json_array();
	struct dfl_endpoint *backends[64];

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < a->n_svcs; i++) {
		json_t *s = dfl_service_desc__to_json(a->svcs[i]),
		       *b = json_array();
		size_t n =
		    dfl_agent__service_backends(a, a->svcs[i], backends, 64);
		char ip[16];

		for (size_t k = 0; k < n && k < 64; k++)
			json_array_append_new(
			    b, json_string(dfl_ip4__fmt(backends[k]->ipv4, ip,
							sizeof(ip))));
		json_object_set_new(s, "backends", b);
		json_array_append_new(arr, s);
	}
	call->result = arr;
	return 0;
}

static int op_deployment_apply(void *ctx, struct dfl_api_call *call)
{
	struct dfl_agent *a = ctx;
	struct dfl_deployment_desc d;
	char msg[512];
	json_t *j, *pods;
	int err;

	err = arg_obj(call, "deployment", &j);
	if (err)
		return err;
	err = dfl_deployment_desc__from_json(&d, j, "deployment", msg,
					     sizeof(msg));
	if (!err)
		err = dfl_agent__deployment_apply(a, &d, msg, sizeof(msg));
	if (err) {
		dfl_deployment_desc__release(&d);
		return dfl_api_call__fail(call, err, "%s", msg);
	}
	pods = json_array();
	for (size_t i = 0; pods && i < a->n_eps; i++) {
		const struct dfl_pod_desc *p = &a->eps[i]->pod;

		if (p->workload_name && !strcmp(p->workload_name, d.name) &&
		    !strcmp(p->namespace, d.namespace))
			json_array_append_new(
			    pods, dfl_agent__endpoint_json(a, a->eps[i]));
	}
	call->result =
	    json_pack("{s:o, s:o}", "deployment",
		      dfl_deployment_desc__to_json(&d), "endpoints", pods);
	dfl_deployment_desc__release(&d);
	return call->result ? 0 : -ENOMEM;
}

static int op_deployment_delete(void *ctx, struct dfl_api_call *call)
{
	const char *ns, *name;
	char msg[512];
	int err = ns_name(call, &ns, &name);

	if (!err && (err = dfl_agent__deployment_delete(ctx, ns, name, msg,
							sizeof(msg))))
		return dfl_api_call__fail(call, err, "%s", msg);
	return err;
}

static int op_deployment_list(void *ctx, struct dfl_api_call *call)
{
	struct dfl_agent *a = ctx;
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < a->n_deps; i++)
		json_array_append_new(arr,
				      dfl_deployment_desc__to_json(a->deps[i]));
	call->result = arr;
	return arr ? 0 : -ENOMEM;
}

static int op_subscribe(void *ctx, struct dfl_api_call *call)
{
	const char *topic;
	int err = arg_str(call, "topic", true, &topic);

	if (err)
		return err;
	err = dfl_api_conn__follow(call->conn, topic);
	if (err)
		return err;
	call->result = json_pack("{s:s}", "following", topic);
	return call->result ? 0 : -ENOMEM;
}

int dfl_agent__register_handlers(struct dfl_agent *a)
{
	static const struct {
		const char *op;
		const char *summary;
		dfl_api_fn fn;
		bool makes_pods; /* not served in chaining mode */
	} ops[] = {
		{ "status", "node, CIDRs, counts, uptime", op_status },
		{ "endpoint.list", "every endpoint", op_endpoint_list },
		{ "endpoint.get", "one endpoint: {\"endpoint\": ID|NS/NAME|NAME}",
		  op_endpoint_get },
		{ "endpoint.create", "new pod: {\"pod\": {...}}", op_endpoint_create, true },
		{ "endpoint.delete", "{\"endpoint\": ID|NS/NAME|NAME}",
		  op_endpoint_delete, true },
		{ "pod.apply", "create a pod or update its labels: {\"pod\": {...}}",
		  op_pod_apply, true },
		{ "service.apply", "{\"service\": {...}}", op_service_apply, true },
		{ "service.delete", "{\"namespace\", \"name\"}", op_service_delete, true },
		{ "service.list", "every Service with its backends", op_service_list },
		{ "deployment.apply", "{\"deployment\": {...}}", op_deployment_apply, true },
		{ "deployment.delete", "{\"namespace\", \"name\"}",
		  op_deployment_delete, true },
		{ "deployment.list", "every Deployment", op_deployment_list },
		{ "subscribe",
		  "follow a topic: {\"topic\": \"agent\"} streams endpoint/service events",
		  op_subscribe },
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		int err;

		if (a->chaining && ops[i].makes_pods)
			continue;
		err = dfl_api__register(a->api, ops[i].op, ops[i].summary,
					ops[i].fn, a);
		if (err)
			return err;
	}
	return 0;
}
