#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent-priv.h"
#include "agent/endpoint.h"
#include "agent/ipam.h"
#include "agent/pod.h"
#include "agent/state.h"
#include "util/mem.h"

const char *dfl_state__pod_dir(const char *state_dir, const char *netns,
			       char *buf, size_t len)
{
	snprintf(buf, len, "%s/pods/%s", state_dir, netns);
	return buf;
}

static const char *ip_str(uint32_t ip, char *buf)
{
	return dfl_ip4__fmt(ip, buf, 16);
}

json_t *dfl_state__endpoint_to_json(const struct dfl_endpoint *ep)
{
	char ip[16];
	json_t *o, *proc;

	o = json_pack("{s:i, s:o, s:s, s:s, s:s, s:s, s:I}", "id", ep->id,
		      "pod", dfl_pod_desc__to_json(&ep->pod), "state",
		      dfl_endpoint_state__name(ep->state), "netns", ep->netns,
		      "ifname", ep->ifname, "ipv4", ip_str(ep->ipv4, ip),
		      "createdAt", (json_int_t)ep->created_at_ms);
	if (!o)
		return NULL;
	if (ep->identity)
		json_object_set_new(o, "identity", json_integer(ep->identity));
	if (ep->policy_ingress)
		json_object_set_new(o, "policyIngress", json_string(ep->policy_ingress));
	if (ep->policy_egress)
		json_object_set_new(o, "policyEgress", json_string(ep->policy_egress));
	if (ep->proc.program) {
		proc = json_pack("{s:s, s:i, s:I, s:i}", "program",
				 ep->proc.program, "pid", (int)ep->proc.pid,
				 "startTime", (json_int_t)ep->proc.start_time,
				 "restarts", (int)ep->proc.restarts);
		json_object_set_new(o, "process", proc);
	}
	return o;
}

static int bad(char *err, size_t errlen, const char *path, const char *what)
{
	snprintf(err, errlen, "%s: %s", path, what);
	return -EINVAL;
}

int dfl_state__endpoint_from_json(struct dfl_endpoint *ep, const json_t *j,
				  const char *path, char *err, size_t errlen)
{
	const char *netns, *ifname, *ip, *state;
	char ppath[128];
	json_t *proc, *v;
	json_int_t id;
	int ret;

	ep->proc.pidfd = -1;
	ep->proc.last_status = -1;
	if (!json_is_object(j))
		return bad(err, errlen, path, "must be an object");
	id = json_integer_value(json_object_get(j, "id"));
	netns = json_string_value(json_object_get(j, "netns"));
	ifname = json_string_value(json_object_get(j, "ifname"));
	ip = json_string_value(json_object_get(j, "ipv4"));
	state = json_string_value(json_object_get(j, "state"));
	if (id < 1 || id > 65535)
		return bad(err, errlen, path, "id must be 1-65535");
	if (!netns || strlen(netns) >= sizeof(ep->netns) || strchr(netns, '/') ||
	    netns[0] == '.')
		return bad(err, errlen, path, "netns is missing or invalid");
	if (!ifname || strlen(ifname) >= sizeof(ep->ifname) || strchr(ifname, '/'))
		return bad(err, errlen, path, "ifname is missing or invalid");
	if (dfl_ip4__parse(ip, &ep->ipv4))
		return bad(err, errlen, path, "ipv4 is missing or invalid");
	ep->id = (uint16_t)id;
	snprintf(ep->netns, sizeof(ep->netns), "%s", netns);
	snprintf(ep->ifname, sizeof(ep->ifname), "%s", ifname);
	ret = state ? dfl_endpoint_state__parse(state) : -EINVAL;
	ep->state = ret < 0 ? DFL_EP_NOT_READY : (enum dfl_endpoint_state)ret;
	ep->created_at_ms = json_integer_value(json_object_get(j, "createdAt"));
	ep->identity = (uint32_t)json_integer_value(json_object_get(j, "identity"));
	v = json_object_get(j, "policyIngress");
	if (json_is_string(v))
		ep->policy_ingress = strdup(json_string_value(v));
	v = json_object_get(j, "policyEgress");
	if (json_is_string(v))
		ep->policy_egress = strdup(json_string_value(v));
	snprintf(ppath, sizeof(ppath), "%s.pod", path);
	ret = dfl_pod_desc__from_json(&ep->pod, json_object_get(j, "pod"), ppath,
				      err, errlen);
	if (ret)
		return ret;
	proc = json_object_get(j, "process");
	if (json_is_object(proc)) {
		v = json_object_get(proc, "program");
		if (json_is_string(v)) {
			ep->proc.program = strdup(json_string_value(v));
			if (!ep->proc.program)
				return -ENOMEM;
		}
		ep->proc.pid = (pid_t)json_integer_value(json_object_get(proc, "pid"));
		ep->proc.start_time = (unsigned long long)json_integer_value(
			json_object_get(proc, "startTime"));
		ep->proc.restarts = (unsigned int)json_integer_value(
			json_object_get(proc, "restarts"));
	}
	return 0;
}

static json_t *state_json(const struct dfl_agent *a)
{
	json_t *root, *node, *eps, *svcs, *deps;
	char gw[16];

	node = json_pack("{s:s, s:s?, s:b, s:s, s:s, s:s, s:s, s:{s:I, s:I}}",
			 "name", a->node_name, "netns", a->node_netns,
			 "createdNetns", a->node_netns_created, "prevIpForward",
			 a->prev_forward, "podCIDR", a->pod_cidr, "serviceCIDR",
			 a->service_cidr, "gateway",
			 ip_str(a->pod_ipam.gateway, gw), "ipamCursor", "pod",
			 (json_int_t)a->pod_ipam.pool.cursor, "service",
			 (json_int_t)a->svc_ipam.pool.cursor);
	eps = json_array();
	svcs = json_array();
	deps = json_array();
	root = json_pack("{s:i, s:o, s:o, s:o, s:o}", "version",
			 DFL_STATE_VERSION, "node", node, "endpoints", eps,
			 "services", svcs, "deployments", deps);
	if (!root)
		return NULL;
	for (size_t i = 0; i < a->n_eps; i++)
		if (json_array_append_new(eps, dfl_state__endpoint_to_json(a->eps[i])))
			goto nomem;
	for (size_t i = 0; i < a->n_svcs; i++)
		if (json_array_append_new(svcs, dfl_service_desc__to_json(a->svcs[i])))
			goto nomem;
	for (size_t i = 0; i < a->n_deps; i++)
		if (json_array_append_new(deps, dfl_deployment_desc__to_json(a->deps[i])))
			goto nomem;
	return root;
nomem:
	json_decref(root);
	return NULL;
}

int dfl_state__save(const struct dfl_agent *a)
{
	char path[4096], tmp[4200];
	json_t *root;
	char *text;
	size_t len, off = 0;
	int fd, ret = 0;

	/* Chained pods come back from the API server after a restart. */
	if (a->chaining)
		return 0;
	root = state_json(a);
	text = root ? json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
	json_decref(root);
	if (!text)
		return -ENOMEM;
	/* One write: json_dumpfd would issue one per token. */
	len = strlen(text);
	text[len++] = '\n'; /* over the NUL, which json_dumps allocated */
	snprintf(path, sizeof(path), "%s/state.json", a->state_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
out:
	free(text);
	return ret;
}

static void restore_cursor(struct dfl_ipam *ipam, const json_t *v)
{
	json_int_t c = json_integer_value(v);

	if (json_is_integer(v) && c >= 0 &&
	    c <= (json_int_t)(ipam->pool.hi - ipam->pool.lo))
		ipam->pool.cursor = (uint32_t)c;
}

/* The state must describe the node this agent serves: names and
 * addresses derive from these settings. */
static int check_node(struct dfl_agent *a, const json_t *node, const char *file,
		      char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(node, "name"));
	const char *netns = json_string_value(json_object_get(node, "netns"));
	const char *pod = json_string_value(json_object_get(node, "podCIDR"));
	const char *svc = json_string_value(json_object_get(node, "serviceCIDR"));
	const char *fwd = json_string_value(json_object_get(node, "prevIpForward"));
	const char *want_netns = a->node_netns ? a->node_netns : "";

	if (!name || strcmp(name, a->node_name)) {
		snprintf(err, errlen, "%s was written for node '%s', not '%s' (use another --state-dir, or remove it with `deflector agent --cleanup`)",
			 file, name ? name : "?", a->node_name);
		return -EINVAL;
	}
	if (strcmp(netns ? netns : "", want_netns)) {
		snprintf(err, errlen, "%s was written for node netns '%s', not '%s' (use another --state-dir, or `deflector agent --cleanup` first)",
			 file, netns ? netns : "(host)", a->node_netns ? a->node_netns : "(host)");
		return -EINVAL;
	}
	if (!pod || strcmp(pod, a->pod_cidr)) {
		snprintf(err, errlen, "%s was written with --pod-cidr %s, not %s (restart with --pod-cidr %s, or `deflector agent --cleanup` first)",
			 file, pod ? pod : "?", a->pod_cidr, pod ? pod : "?");
		return -EINVAL;
	}
	if (!svc || strcmp(svc, a->service_cidr)) {
		snprintf(err, errlen, "%s was written with --service-cidr %s, not %s",
			 file, svc ? svc : "?", a->service_cidr);
		return -EINVAL;
	}
	a->node_netns_created = json_is_true(json_object_get(node, "createdNetns"));
	/* Next-fit continues where it was: addresses freed just before the
	 * restart are not handed out first. */
	restore_cursor(&a->pod_ipam,
		       json_object_get(json_object_get(node, "ipamCursor"), "pod"));
	restore_cursor(&a->svc_ipam,
		       json_object_get(json_object_get(node, "ipamCursor"), "service"));
	snprintf(a->prev_forward, sizeof(a->prev_forward), "%s", fwd ? fwd : "");
	return 0;
}

static int load_endpoints(struct dfl_agent *a, const json_t *arr,
			  const char *file, char *err, size_t errlen)
{
	char path[4200], ip[16];
	const json_t *j;
	size_t i;
	int ret;

	json_array_foreach(arr, i, j) {
		struct dfl_endpoint *ep = calloc(1, sizeof(*ep)), **slot;

		if (!ep)
			return -ENOMEM;
		snprintf(path, sizeof(path), "%s: endpoints[%zu]", file, i);
		ret = dfl_state__endpoint_from_json(ep, j, path, err, errlen);
		if (!ret && dfl_idpool__claim(&a->ep_ids, ep->id))
			ret = bad(err, errlen, path, "endpoint id is duplicated or out of range");
		if (!ret && dfl_ipam__claim(&a->pod_ipam, ep->ipv4)) {
			snprintf(err, errlen, "%s: address %s is duplicated or outside %s",
				 path, ip_str(ep->ipv4, ip), a->pod_cidr);
			ret = -EINVAL;
		}
		slot = ret ? NULL : DFL_PUSH(a->eps, a->n_eps, a->cap_eps);
		if (!slot) {
			dfl_endpoint__free(ep);
			return ret ? ret : -ENOMEM;
		}
		*slot = ep;
	}
	return 0;
}

static int load_services(struct dfl_agent *a, const json_t *arr,
			 const char *file, char *err, size_t errlen)
{
	char path[4200];
	const json_t *j;
	size_t i;
	int ret;

	json_array_foreach(arr, i, j) {
		struct dfl_service_desc *svc = calloc(1, sizeof(*svc)), **slot;

		if (!svc)
			return -ENOMEM;
		snprintf(path, sizeof(path), "%s: services[%zu]", file, i);
		ret = dfl_service_desc__from_json(svc, j, path, err, errlen);
		/* A ClusterIP outside the service CIDR was given explicitly
		 * and is not ours to track. */
		if (!ret && !svc->headless &&
		    dfl_ipam__claim(&a->svc_ipam, svc->cluster_ip) == -EEXIST)
			ret = bad(err, errlen, path, "ClusterIP is duplicated");
		slot = ret ? NULL : DFL_PUSH(a->svcs, a->n_svcs, a->cap_svcs);
		if (!slot) {
			dfl_service_desc__release(svc);
			free(svc);
			return ret ? ret : -ENOMEM;
		}
		*slot = svc;
	}
	return 0;
}

static int load_deployments(struct dfl_agent *a, const json_t *arr,
			    const char *file, char *err, size_t errlen)
{
	char path[4200];
	const json_t *j;
	size_t i;
	int ret;

	json_array_foreach(arr, i, j) {
		struct dfl_deployment_desc *d = calloc(1, sizeof(*d)), **slot;

		if (!d)
			return -ENOMEM;
		snprintf(path, sizeof(path), "%s: deployments[%zu]", file, i);
		ret = dfl_deployment_desc__from_json(d, j, path, err, errlen);
		slot = ret ? NULL : DFL_PUSH(a->deps, a->n_deps, a->cap_deps);
		if (!slot) {
			dfl_deployment_desc__release(d);
			free(d);
			return ret ? ret : -ENOMEM;
		}
		*slot = d;
	}
	return 0;
}

int dfl_state__load(struct dfl_agent *a, char *err, size_t errlen)
{
	char file[4096];
	json_error_t jerr;
	json_t *root;
	int ret;

	snprintf(file, sizeof(file), "%s/state.json", a->state_dir);
	root = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (access(file, F_OK) && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s:%d:%d: %s (move it away to start afresh)",
			 file, jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	if (json_integer_value(json_object_get(root, "version")) != DFL_STATE_VERSION) {
		snprintf(err, errlen, "%s: unsupported state version (want %d)",
			 file, DFL_STATE_VERSION);
		ret = -EINVAL;
		goto out;
	}
	ret = check_node(a, json_object_get(root, "node"), file, err, errlen);
	if (!ret)
		ret = load_endpoints(a, json_object_get(root, "endpoints"), file,
				     err, errlen);
	if (!ret)
		ret = load_services(a, json_object_get(root, "services"), file,
				    err, errlen);
	if (!ret)
		ret = load_deployments(a, json_object_get(root, "deployments"),
				       file, err, errlen);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	a->loaded = !ret;
out:
	json_decref(root);
	return ret;
}
