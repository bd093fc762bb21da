/* ClusterIP services: one map entry per frontend with its backends inline. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "bpf/internal.h"
#include "util/log.h"

static int dfl_lb_key(const struct dfl_dp_sockaddr *fe, __u8 proto,
		      struct dfl_lb_key *key)
{
	if ((fe->family != 4 && fe->family != 6) ||
	    (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return -EINVAL;
	memset(key, 0, sizeof(*key));
	memcpy(key->addr, fe->addr, sizeof(key->addr));
	key->port = htons(fe->port);
	key->proto = proto;
	key->family = fe->family;
	return 0;
}

/* Keeps dfl_lb_state.services equal to the number of services, which lets
 * the datapath skip the service lookup on nodes without any. */
static int dfl_lb_recount(struct dfl_datapath *dp)
{
	struct dfl_lb_key key, next, *prev = NULL;
	struct dfl_lb_state st = {};
	__u32 zero = 0;

	while (!bpf_map_get_next_key(dp->services_fd, prev, &next)) {
		key = next;
		prev = &key;
		st.services++;
	}
	if (bpf_map_update_elem(dp->lb_state_fd, &zero, &st, BPF_ANY))
		return -errno;
	return 0;
}

int dfl_datapath__service_upsert(struct dfl_datapath *dp,
				 const struct dfl_dp_sockaddr *frontend,
				 __u8 proto,
				 const struct dfl_dp_sockaddr *backends, size_t n)
{
	struct dfl_lb_service *svc, old;
	struct dfl_lb_key key;
	int err;

	if (dfl_lb_key(frontend, proto, &key))
		return -EINVAL;
	if (n > DFL_LB_MAX_BACKENDS) {
		pr_warn("datapath: service with %zu backends: at most %d are "
			"supported\n",
			n, DFL_LB_MAX_BACKENDS);
		return -E2BIG;
	}
	svc = calloc(1, sizeof(*svc));
	if (!svc)
		return -ENOMEM;
	/* A new generation tells conntrack to check that established
	 * connections' backends are still listed. */
	if (!bpf_map_lookup_elem(dp->services_fd, &key, &old))
		svc->generation = old.generation + 1;
	svc->count = n;
	for (size_t i = 0; i < n; i++) {
		if (backends[i].family != frontend->family) {
			err = -EINVAL;
			pr_warn("datapath: service backend %zu: address family "
				"differs from the service's\n",
				i);
			goto out;
		}
		memcpy(svc->backends[i].addr, backends[i].addr,
		       sizeof(svc->backends[i].addr));
		svc->backends[i].port = htons(backends[i].port);
	}
	err = bpf_map_update_elem(dp->services_fd, &key, svc, BPF_ANY) ? -errno :
									 0;
	if (!err)
		err = dfl_lb_recount(dp);
	if (err)
		pr_warn("datapath: cannot write service (%u services max): "
			"%s\n",
			dp->opts.services_max, dfl_errstr(err));
out:
	free(svc);
	return err;
}

int dfl_datapath__service_delete(struct dfl_datapath *dp,
				 const struct dfl_dp_sockaddr *frontend,
				 __u8 proto)
{
	struct dfl_lb_key key;

	if (dfl_lb_key(frontend, proto, &key))
		return -EINVAL;
	if (bpf_map_delete_elem(dp->services_fd, &key))
		return -errno;
	return dfl_lb_recount(dp);
}
