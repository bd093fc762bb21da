/* Writing an endpoint's policy: build aside, swap in, never half. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "bpf/internal.h"
#include "util/log.h"

int dfl_policy_spec__encode(const struct dfl_policy_spec *s,
			    struct dfl_policy_key *key,
			    struct dfl_policy_entry *val)
{
	__u32 plen = DFL_POLICY_STATIC_PREFIX;
	__u16 mask;

	if (s->port_prefix_len > 16 || s->auth_type > 0x7f)
		return -EINVAL;
	if (!s->proto && (s->port || s->port_prefix_len))
		return -EINVAL;
	/* Port 0 means every port, whatever prefix came with it (Cilium's
	 * NewKeyFromPolicyKey); otherwise bits beyond the prefix must be 0. */
	if (s->proto) {
		plen += 8;
		if (s->port) {
			mask = s->port_prefix_len ?
				       (__u16)(0xffff << (16 - s->port_prefix_len)) :
				       0;
			if (s->port & ~mask)
				return -EINVAL;
			plen += s->port_prefix_len;
		}
	}
	memset(key, 0, sizeof(*key));
	key->prefixlen = plen;
	key->sec_label = s->identity;
	key->egress = s->egress ? 1 : 0;
	key->protocol = s->proto;
	key->dport = plen > 48 ? htons(s->port) : 0;

	memset(val, 0, sizeof(*val));
	val->proxy_port = htons(s->proxy_port);
	val->flags = (s->deny ? DFL_POLICY_F_DENY : 0) |
		     (__u8)((plen - DFL_POLICY_STATIC_PREFIX)
			    << DFL_POLICY_LPM_SHIFT);
	val->auth = s->auth_type | (s->explicit_auth ? DFL_POLICY_AUTH_EXPLICIT :
						       0);
	val->precedence = s->precedence;
	val->cookie = s->cookie;
	return 0;
}

/* Swaps <fd> in as <ep_id>'s policy. */
static int dfl_policy_swap(struct dfl_datapath *dp, __u16 ep_id, int fd)
{
	__u32 key = ep_id;
	int err;

	if (bpf_map_update_elem(dp->policy_fd, &key, &fd, BPF_ANY)) {
		err = -errno;
		pr_warn("datapath: endpoint %u: cannot install its policy: "
			"%s\n",
			ep_id, dfl_errstr(err));
		return err;
	}
	return 0;
}

/* The endpoint's policy could not be written as asked: deny everything
 * rather than keep a policy that no longer says what the user wants. */
static int dfl_policy_deny_all(struct dfl_datapath *dp, __u16 ep_id,
			       size_t wanted, int why)
{
	struct dfl_event ev = {
		.type = DFL_EV_POLICY_OVERFLOW,
		.verdict = DFL_VERDICT_DROPPED,
		.drop_reason = DFL_DROP_POLICY,
		.ep_id = ep_id,
		.pkt_len = wanted > 0xffffffffu ? 0xffffffffu : (__u32)wanted,
		.aux = dp->opts.policy_map_max,
	};
	struct timespec ts;
	__u32 key = ep_id;
	int fd, err = -1;

	pr_warn("datapath: endpoint %u: policy of %zu entries NOT applied "
		"(%s; the map holds %u): endpoint put into deny-all until a "
		"policy that fits is written\n",
		ep_id, wanted, dfl_errstr(why), dp->opts.policy_map_max);
	clock_gettime(CLOCK_BOOTTIME, &ts);
	ev.ts_ns = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	dfl_datapath__queue_event(dp, &ev);
	fd = dfl_policy_map_create(dp, ep_id);
	if (fd >= 0) {
		err = dfl_policy_swap(dp, ep_id, fd);
		close(fd);
	}
	/* Without a map at all the datapath drops with EP_NOT_READY: still
	 * closed. */
	if (err)
		bpf_map_delete_elem(dp->policy_fd, &key);
	return why;
}

int dfl_datapath__policy_replace(struct dfl_datapath *dp, __u16 ep_id,
				 const struct dfl_policy_spec *entries,
				 size_t n)
{
	struct dfl_policy_key key;
	struct dfl_policy_entry val;
	int fd, err = 0;

	if (!ep_id)
		return -EINVAL;
	if (n > dp->opts.policy_map_max)
		return dfl_policy_deny_all(dp, ep_id, n, -E2BIG);
	fd = dfl_policy_map_create(dp, ep_id);
	if (fd < 0)
		return dfl_policy_deny_all(dp, ep_id, n, fd);
	for (size_t i = 0; i < n; i++) {
		err = dfl_policy_spec__encode(&entries[i], &key, &val);
		if (err) {
			pr_warn("datapath: endpoint %u: policy entry %zu "
				"(identity %u, proto %u, port %u/%u) is "
				"invalid\n",
				ep_id, i, entries[i].identity,
				entries[i].proto, entries[i].port,
				entries[i].port_prefix_len);
			break;
		}
		if (bpf_map_update_elem(fd, &key, &val, BPF_ANY)) {
			err = -errno;
			/* A full trie says ENOSPC; report it as too big. */
			if (err == -ENOSPC || err == -ENOMEM)
				err = -E2BIG;
			break;
		}
	}
	if (!err)
		err = dfl_policy_swap(dp, ep_id, fd);
	close(fd);
	if (err)
		return dfl_policy_deny_all(dp, ep_id, n, err);
	return 0;
}

int dfl_datapath__policy_foreach(struct dfl_datapath *dp, __u16 ep_id,
				 dfl_policy_entry_fn fn, void *ctx)
{
	struct dfl_policy_key key, next, *prev = NULL;
	struct dfl_policy_entry val;
	__u32 ep_key = ep_id, inner_id;
	int fd, ret = 0;

	if (bpf_map_lookup_elem(dp->policy_fd, &ep_key, &inner_id))
		return -ENOENT;
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return -errno;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		ret = fn(ctx, &key, &val);
		if (ret < 0)
			break;
	}
	close(fd);
	return ret < 0 ? ret : 0;
}
