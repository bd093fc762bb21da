/* Attaching the programs to pods' host-side veths, and forgetting them.
 *
 * Classic tc (clsact qdisc + cls_bpf in direct-action mode) rather than tcx:
 * a tc filter belongs to the interface and keeps the program alive after the
 * loading process exits, so an agent restart never opens a gap, and a new
 * agent swaps programs atomically by replacing the filter with the same
 * handle and priority. (tcx links would need pinning to survive the
 * process, and this libbpf, 1.1, has no tcx API.) */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/internal.h"
#include "util/log.h"
#include "util/mem.h"

static bool dfl_ifindex_exists(__u32 ifindex)
{
	char name[IF_NAMESIZE];

	return if_indextoname(ifindex, name) != NULL;
}

/* Attaches <prog_fd> at <point> of <ifindex>. */
static int dfl_tc_attach(__u32 ifindex, enum bpf_tc_attach_point point,
			 int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = DFL_TC_HANDLE,
		    .priority = DFL_TC_PRIORITY, .prog_fd = prog_fd,
		    .flags = BPF_TC_F_REPLACE);

	return bpf_tc_attach(&hook, &o);
}

/* Removes our filter at <point> (absent filter or interface is fine). */
static int dfl_tc_detach(__u32 ifindex, enum bpf_tc_attach_point point)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = DFL_TC_HANDLE,
		    .priority = DFL_TC_PRIORITY);
	int err = bpf_tc_detach(&hook, &o);

	return err == -ENOENT || err == -ENODEV || err == -EINVAL ? 0 : err;
}

static bool dfl_tc_has_ours(__u32 ifindex, enum bpf_tc_attach_point point)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = DFL_TC_HANDLE,
		    .priority = DFL_TC_PRIORITY);

	return bpf_tc_query(&hook, &o) == 0;
}

/* Takes the programs off <ifindex> and, when the loader created it, the
 * clsact qdisc too. The qdisc goes only if our filter was there: an
 * ifindex looked up in the wrong network namespace may name someone else's
 * interface. */
static int dfl_tc_remove(__u32 ifindex, bool owns_clsact)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	bool ours;
	int err, err2;

	if (!dfl_ifindex_exists(ifindex))
		return 0;
	ours = dfl_tc_has_ours(ifindex, BPF_TC_INGRESS) ||
	       dfl_tc_has_ours(ifindex, BPF_TC_EGRESS);
	err = dfl_tc_detach(ifindex, BPF_TC_INGRESS);
	err2 = dfl_tc_detach(ifindex, BPF_TC_EGRESS);
	if (!err)
		err = err2;
	if (owns_clsact && ours) {
		err2 = bpf_tc_hook_destroy(&hook);
		if (err2 && err2 != -ENOENT && err2 != -EINVAL && !err)
			err = err2;
	}
	if (err)
		pr_warn("datapath: interface %u: cannot detach: %s\n", ifindex,
			dfl_errstr(err));
	return err;
}

int dfl_policy_map_create(struct dfl_datapath *dp, __u16 ep_id)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	char name[16];
	int fd;

	snprintf(name, sizeof(name), "dfl_pol_%u", ep_id);
	fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, name,
			    sizeof(struct dfl_policy_key),
			    sizeof(struct dfl_policy_entry),
			    dp->opts.policy_map_max, &o);
	if (fd < 0) {
		fd = -errno;
		pr_warn("datapath: endpoint %u: cannot create a policy map "
			"of %u entries: %s\n",
			ep_id, dp->opts.policy_map_max, dfl_errstr(fd));
	}
	return fd;
}

/* Attaches both programs; creates the clsact qdisc only when the interface
 * has none (noting in <flags> that it is ours to remove). */
static int dfl_attach_progs(struct dfl_datapath *dp, __u32 ifindex,
			    __u32 *flags)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	int from = dfl_datapath__prog_fd(dp, DFL_PROG_FROM_ENDPOINT);
	int to = dfl_datapath__prog_fd(dp, DFL_PROG_TO_ENDPOINT);
	int err;

	if (from < 0 || to < 0) {
		pr_warn("datapath: programs not loaded (opened maps-only)\n");
		return -ENOENT;
	}
	err = dfl_tc_attach(ifindex, BPF_TC_INGRESS, from);
	if (err) {
		err = bpf_tc_hook_create(&hook);
		if (!err)
			*flags |= DFL_EP_F_OWNS_CLSACT;
		if (!err || err == -EEXIST)
			err = dfl_tc_attach(ifindex, BPF_TC_INGRESS, from);
	}
	if (!err)
		err = dfl_tc_attach(ifindex, BPF_TC_EGRESS, to);
	if (err)
		pr_warn("datapath: interface %u: cannot attach: %s\n", ifindex,
			dfl_errstr(err));
	return err;
}

int dfl_datapath__endpoint_attach(struct dfl_datapath *dp,
				  const struct dfl_endpoint_cfg *cfg)
{
	struct dfl_endpoint_info info = {}, old;
	__u32 ep_key = cfg->ep_id, inner_id;
	int err, fd;

	if (!cfg->ep_id || !cfg->ifindex) {
		pr_warn("datapath: endpoint %u on interface %u: endpoint id and "
			"interface must be non-zero\n",
			cfg->ep_id, cfg->ifindex);
		return -EINVAL;
	}
	if (!dfl_ifindex_exists(cfg->ifindex)) {
		pr_warn("datapath: endpoint %u: no interface %u in this network "
			"namespace\n",
			cfg->ep_id, cfg->ifindex);
		return -ENODEV;
	}
	/* A new endpoint starts with an empty policy: deny until told. */
	if (bpf_map_lookup_elem(dp->policy_fd, &ep_key, &inner_id)) {
		fd = dfl_policy_map_create(dp, cfg->ep_id);
		if (fd < 0)
			return fd;
		err = bpf_map_update_elem(dp->policy_fd, &ep_key, &fd, BPF_ANY);
		err = err ? -errno : 0;
		close(fd);
		if (err) {
			pr_warn("datapath: endpoint %u: cannot install its "
				"policy map: %s\n",
				cfg->ep_id, dfl_errstr(err));
			return err;
		}
	}
	info.ep_id = cfg->ep_id;
	info.identity = cfg->identity;
	info.flags = cfg->audit ? DFL_EP_F_AUDIT : 0;
	info.ipv4 = cfg->ipv4;
	memcpy(info.ipv6, cfg->ipv6, sizeof(info.ipv6));
	if (!bpf_map_lookup_elem(dp->endpoints_fd, &cfg->ifindex, &old))
		info.flags |= old.flags & DFL_EP_F_OWNS_CLSACT;
	/* The record comes before the programs: they drop packets of
	 * interfaces they do not know (EP_NOT_READY). */
	if (bpf_map_update_elem(dp->endpoints_fd, &cfg->ifindex, &info,
				BPF_ANY)) {
		err = -errno;
		pr_warn("datapath: endpoint %u: cannot record it (%u endpoints "
			"max): %s\n",
			cfg->ep_id, dp->opts.endpoints_max, dfl_errstr(err));
		return err;
	}
	err = dfl_attach_progs(dp, cfg->ifindex, &info.flags);
	if (info.flags & DFL_EP_F_OWNS_CLSACT)
		bpf_map_update_elem(dp->endpoints_fd, &cfg->ifindex, &info,
				    BPF_ANY);
	return err;
}

struct dfl_ep_user {
	__u16 ep_id;
	__u32 skip_ifindex;
	bool found;
};

static int dfl_find_ep_user(void *ctx, __u32 ifindex,
			    const struct dfl_endpoint_info *ep)
{
	struct dfl_ep_user *u = ctx;

	if (ifindex != u->skip_ifindex && ep->ep_id == u->ep_id)
		u->found = true;
	return 0;
}

int dfl_datapath__endpoint_detach(struct dfl_datapath *dp, __u32 ifindex)
{
	struct dfl_endpoint_info info;
	struct dfl_ep_user user = { .skip_ifindex = ifindex };
	__u32 ep_key;
	int err;

	if (bpf_map_lookup_elem(dp->endpoints_fd, &ifindex, &info)) {
		err = dfl_tc_remove(ifindex, false);
		return err ? err : -ENOENT;
	}
	err = dfl_tc_remove(ifindex, info.flags & DFL_EP_F_OWNS_CLSACT);
	if (err)
		return err;
	bpf_map_delete_elem(dp->endpoints_fd, &ifindex);
	user.ep_id = info.ep_id;
	dfl_datapath__endpoint_foreach(dp, dfl_find_ep_user, &user);
	if (!user.found) {
		ep_key = info.ep_id;
		bpf_map_delete_elem(dp->policy_fd, &ep_key);
		dfl_ct_flush_endpoint(dp, info.ep_id);
	}
	return 0;
}

int dfl_datapath__endpoint_set_audit(struct dfl_datapath *dp, __u32 ifindex,
				     bool audit)
{
	struct dfl_endpoint_info info;
	int err;

	if (bpf_map_lookup_elem(dp->endpoints_fd, &ifindex, &info))
		return -ENOENT;
	info.flags = audit ? info.flags | DFL_EP_F_AUDIT :
			     info.flags & ~DFL_EP_F_AUDIT;
	if (bpf_map_update_elem(dp->endpoints_fd, &ifindex, &info, BPF_EXIST)) {
		err = -errno;
		pr_warn("datapath: interface %u: cannot set audit mode: %s\n",
			ifindex, dfl_errstr(err));
		return err;
	}
	return 0;
}

static int dfl_endpoints_foreach_fd(int fd, dfl_endpoint_fn fn, void *ctx)
{
	__u32 key, next, *prev = NULL;
	struct dfl_endpoint_info info;
	int ret;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &info))
			continue;
		ret = fn(ctx, key, &info);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int dfl_datapath__endpoint_foreach(struct dfl_datapath *dp,
				   dfl_endpoint_fn fn, void *ctx)
{
	return dfl_endpoints_foreach_fd(dp->endpoints_fd, fn, ctx);
}

struct dfl_reattach {
	struct dfl_datapath *dp;
	__u32 *gone; /* interfaces that disappeared meanwhile */
	size_t n_gone;
	size_t cap_gone;
	int n;
	int err;
};

static int dfl_reattach_one(void *ctx, __u32 ifindex,
			    const struct dfl_endpoint_info *ep)
{
	struct dfl_reattach *r = ctx;
	__u32 flags = ep->flags, *slot;
	int err;

	if (!dfl_ifindex_exists(ifindex)) {
		slot = DFL_PUSH(r->gone, r->n_gone, r->cap_gone);
		if (!slot)
			return -ENOMEM;
		*slot = ifindex;
		return 0;
	}
	err = dfl_attach_progs(r->dp, ifindex, &flags);
	if (flags != ep->flags) {
		struct dfl_endpoint_info info = *ep;

		info.flags = flags;
		bpf_map_update_elem(r->dp->endpoints_fd, &ifindex, &info,
				    BPF_EXIST);
	}
	if (err && !r->err)
		r->err = err;
	if (!err)
		r->n++;
	return 0;
}

int dfl_datapath__endpoints_reattach(struct dfl_datapath *dp)
{
	struct dfl_reattach r = { .dp = dp };
	int err;

	err = dfl_datapath__endpoint_foreach(dp, dfl_reattach_one, &r);
	for (size_t i = 0; i < r.n_gone; i++)
		dfl_datapath__endpoint_detach(dp, r.gone[i]);
	free(r.gone);
	if (err)
		return err;
	return r.err ? r.err : r.n;
}

static int dfl_purge_endpoint(void *ctx, __u32 ifindex,
			      const struct dfl_endpoint_info *ep)
{
	int *err = ctx;
	int e = dfl_tc_remove(ifindex, ep->flags & DFL_EP_F_OWNS_CLSACT);

	if (e && !*err)
		*err = e;
	return 0;
}

int dfl_datapath__purge(const char *pin_root)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int fd, err = 0;

	if (!pin_root)
		pin_root = DFL_PIN_ROOT_DEFAULT;
	snprintf(path, sizeof(path), "%s/dfl_endpoints", pin_root);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		dfl_endpoints_foreach_fd(fd, dfl_purge_endpoint, &err);
		close(fd);
	}
	if (err)
		return err;
	dir = opendir(pin_root);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "dfl_", 4))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_root, de->d_name);
		if (unlink(path) && !err)
			err = -errno;
	}
	closedir(dir);
	if (rmdir(pin_root) && errno != ENOENT && errno != ENOTEMPTY && !err)
		err = -errno;
	if (err)
		pr_warn("datapath: cannot remove %s: %s\n", pin_root,
			dfl_errstr(err));
	return err;
}
