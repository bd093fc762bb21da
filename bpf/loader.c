/* Loading the datapath through its skeleton, with maps pinned by name under
 * the pin root so that a restarted agent adopts them. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/datapath.skel.h"
#include "bpf/internal.h"
#include "util/log.h"

#define DFL_BPFFS "/sys/fs/bpf"

const char *dfl_errstr(int err)
{
	return strerror(err < 0 ? -err : err);
}

/* libbpf talks through our logger; its info level is demoted to debug
 * (xdp-tools does the same) so that loading is quiet unless asked. */
__attribute__((format(printf, 2, 0))) static int
dfl_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum dfl_log_level l = level == LIBBPF_WARN ? DFL_LOG_WARN :
						      DFL_LOG_DEBUG;
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* Netlink extack lines come with expected errors too (probing for
	 * a clsact qdisc); failures that matter are reported by us. */
	if (strstr(buf, "Kernel error message"))
		l = DFL_LOG_DEBUG;
	if (l > dfl_log_get_level())
		return 0;
	dfl_log(l, "%s", buf);
	return 0;
}

static bool dfl_on_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/* mkdir -p for <path>. */
static int dfl_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Makes <root> a directory on a bpf filesystem, mounting bpffs on
 * /sys/fs/bpf first when the pin root lives there and nothing is mounted
 * (a fresh machine, as Cilium does). */
static int dfl_prepare_pin_root(const char *root)
{
	int err;

	if (strncmp(root, DFL_BPFFS "/", strlen(DFL_BPFFS "/")) == 0 &&
	    !dfl_on_bpffs(DFL_BPFFS)) {
		if (mount("bpf", DFL_BPFFS, "bpf", 0, "mode=0700")) {
			err = -errno;
			pr_warn("datapath: cannot mount bpffs on %s: %s\n",
				DFL_BPFFS, dfl_errstr(err));
			return err;
		}
	}
	err = dfl_mkdirs(root);
	if (err) {
		pr_warn("datapath: cannot create pin root %s: %s\n", root,
			dfl_errstr(err));
		return err;
	}
	if (!dfl_on_bpffs(root)) {
		pr_warn("datapath: pin root %s is not on a bpf filesystem "
			"(mount -t bpf bpf DIR)\n",
			root);
		return -EINVAL;
	}
	return 0;
}

static __u32 dfl_or(__u32 v, __u32 dflt)
{
	return v ? v : dflt;
}

static void dfl_resolve_opts(struct dfl_datapath_opts *o,
			     const struct dfl_datapath_opts *in)
{
	memset(o, 0, sizeof(*o));
	if (in) {
		size_t n = in->sz < sizeof(*o) ? in->sz : sizeof(*o);

		memcpy(o, in, n);
	}
	o->sz = sizeof(*o);
	if (!o->pin_root)
		o->pin_root = DFL_PIN_ROOT_DEFAULT;
	o->policy_map_max = dfl_or(o->policy_map_max, 16384);
	o->endpoints_max = dfl_or(o->endpoints_max, 1024);
	o->ipcache_max = dfl_or(o->ipcache_max, 65536);
	o->ct_max = dfl_or(o->ct_max, 262144);
	o->services_max = dfl_or(o->services_max, 4096);
	o->events_bytes = dfl_or(o->events_bytes, 4u << 20);
	o->world_id4 = dfl_or(o->world_id4, DFL_DP_ID_WORLD);
	o->world_id6 = dfl_or(o->world_id6, DFL_DP_ID_WORLD);
	o->ct_lifetime_tcp = dfl_or(o->ct_lifetime_tcp, 21600);
	o->ct_lifetime_other = dfl_or(o->ct_lifetime_other, 60);
	o->ct_syn_timeout = dfl_or(o->ct_syn_timeout, 60);
	o->ct_close_timeout = dfl_or(o->ct_close_timeout, 10);
}

static int dfl_size_maps(struct dfl_datapath *dp)
{
	struct datapath_bpf *s = dp->skel;
	const struct dfl_datapath_opts *o = &dp->opts;
	struct {
		struct bpf_map *map;
		__u32 n;
	} sizes[] = {
		{ s->maps.dfl_endpoints, o->endpoints_max },
		{ s->maps.dfl_ipcache, o->ipcache_max },
		{ s->maps.dfl_ct, o->ct_max },
		{ s->maps.dfl_frag4, o->ct_max / 32 ? o->ct_max / 32 : 1 },
		{ s->maps.dfl_services, o->services_max },
		{ s->maps.dfl_events, o->events_bytes },
	};
	int err;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (!sizes[i].map)
			return -ENOENT;
		err = bpf_map__set_max_entries(sizes[i].map, sizes[i].n);
		if (err) {
			pr_warn("datapath: map '%s': cannot size to %u: %s\n",
				bpf_map__name(sizes[i].map), sizes[i].n,
				dfl_errstr(err));
			return err;
		}
	}
	return 0;
}

static void dfl_set_knobs(struct dfl_datapath *dp)
{
	struct datapath_bpf *s = dp->skel;
	const struct dfl_datapath_opts *o = &dp->opts;

	s->rodata->cfg_world_id4 = o->world_id4;
	s->rodata->cfg_world_id6 = o->world_id6;
	s->rodata->cfg_enable_icmp_rule = !o->no_icmp_rules;
	s->rodata->cfg_allow_icmp_frag_needed = !o->no_icmp_frag_needed;
	s->rodata->cfg_aggregate_lookup = o->aggregate_lookup;
	s->rodata->cfg_report_allowed = !o->quiet_allowed;
	s->rodata->cfg_ct_lifetime_tcp = o->ct_lifetime_tcp;
	s->rodata->cfg_ct_lifetime_other = o->ct_lifetime_other;
	s->rodata->cfg_ct_syn_timeout = o->ct_syn_timeout;
	s->rodata->cfg_ct_close_timeout = o->ct_close_timeout;
}

struct dfl_datapath *dfl_datapath__open(const struct dfl_datapath_opts *in)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts);
	struct dfl_datapath *dp;
	char probe[PATH_MAX];
	int inner_fd = -1, err;

	libbpf_set_print(dfl_libbpf_print);
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return NULL;
	dfl_resolve_opts(&dp->opts, in);
	dp->pin_root = strdup(dp->opts.pin_root);
	if (!dp->pin_root) {
		err = -ENOMEM;
		goto err_out;
	}
	dp->opts.pin_root = dp->pin_root;
	dp->ncpus = libbpf_num_possible_cpus();
	if (dp->ncpus <= 0) {
		err = dp->ncpus ? dp->ncpus : -EINVAL;
		goto err_out;
	}
	err = dfl_prepare_pin_root(dp->pin_root);
	if (err)
		goto err_out;
	snprintf(probe, sizeof(probe), "%s/dfl_policy", dp->pin_root);
	dp->adopted = access(probe, F_OK) == 0;

	oopts.pin_root_path = dp->pin_root;
	dp->skel = datapath_bpf__open_opts(&oopts);
	if (!dp->skel) {
		err = -errno;
		pr_warn("datapath: cannot open the BPF object: %s\n",
			dfl_errstr(err));
		goto err_out;
	}
	err = dfl_size_maps(dp);
	if (err)
		goto err_out;
	/* The inner map template is ours, sized as configured (libbpf 1.1
	 * cannot resize the one it derives from the BTF definition). */
	inner_fd = dfl_policy_map_create(dp, 0);
	if (inner_fd < 0) {
		err = inner_fd;
		goto err_out;
	}
	err = bpf_map__set_inner_map_fd(dp->skel->maps.dfl_policy, inner_fd);
	if (err)
		goto err_out;
	dfl_set_knobs(dp);
	if (dp->opts.maps_only) {
		bpf_program__set_autoload(dp->skel->progs.dfl_from_endpoint,
					  false);
		bpf_program__set_autoload(dp->skel->progs.dfl_to_endpoint,
					  false);
	}
	err = datapath_bpf__load(dp->skel);
	close(inner_fd);
	inner_fd = -1;
	if (err) {
		pr_warn("datapath: cannot load into the kernel: %s%s%s%s\n",
			dfl_errstr(err),
			dp->adopted ? " (if the maps pinned under " : "",
			dp->adopted ? dp->pin_root : "",
			dp->adopted ? " were created with other sizes, use "
				      "the same sizes or purge them)" :
				      "");
		goto err_out;
	}
	dp->policy_fd = bpf_map__fd(dp->skel->maps.dfl_policy);
	dp->endpoints_fd = bpf_map__fd(dp->skel->maps.dfl_endpoints);
	dp->ipcache_fd = bpf_map__fd(dp->skel->maps.dfl_ipcache);
	dp->ct_fd = bpf_map__fd(dp->skel->maps.dfl_ct);
	dp->services_fd = bpf_map__fd(dp->skel->maps.dfl_services);
	dp->lb_state_fd = bpf_map__fd(dp->skel->maps.dfl_lb_state);
	dp->metrics_fd = bpf_map__fd(dp->skel->maps.dfl_metrics);
	dp->ev_lost_fd = bpf_map__fd(dp->skel->maps.dfl_ev_lost);
	pr_debug("datapath: %s maps under %s\n",
		 dp->adopted ? "adopted" : "created", dp->pin_root);
	return dp;

err_out:
	if (inner_fd >= 0)
		close(inner_fd);
	dfl_datapath__close(dp);
	errno = -err;
	return NULL;
}

void dfl_datapath__close(struct dfl_datapath *dp)
{
	if (!dp)
		return;
	ring_buffer__free(dp->rb);
	datapath_bpf__destroy(dp->skel);
	free(dp->pending);
	free(dp->pin_root);
	free(dp);
}

bool dfl_datapath__adopted(const struct dfl_datapath *dp)
{
	return dp->adopted;
}

int dfl_datapath__prog_fd(const struct dfl_datapath *dp, enum dfl_prog prog)
{
	const struct bpf_program *p;
	int fd;

	switch (prog) {
	case DFL_PROG_FROM_ENDPOINT:
		p = dp->skel->progs.dfl_from_endpoint;
		break;
	case DFL_PROG_TO_ENDPOINT:
		p = dp->skel->progs.dfl_to_endpoint;
		break;
	default:
		return -EINVAL;
	}
	fd = bpf_program__fd(p);
	return fd >= 0 ? fd : -ENOENT;
}
