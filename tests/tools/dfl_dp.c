/* dfl_dp: drives the datapath API from shell scripts (tests/netns/,
 * bench/datapath.sh). Run it in the network namespace of the host-side
 * veths (nsenter --net=..., not "ip netns exec", which hides /sys/fs/bpf).
 *
 *   dfl_dp [--root DIR] [--policy-max N] [--ipcache-max N] [--quiet-allowed]
 *          COMMAND ...
 *     attach IFNAME EP_ID IDENTITY [IPV4|-] [audit]
 *     detach IFNAME
 *     audit IFNAME on|off
 *     policy EP_ID [ENTRY...]   ENTRY = DIR,ID,PROTO,PORT[/PLEN],VERDICT[,k=v]
 *            DIR ingress|egress, PROTO any|tcp|udp|icmp|icmpv6|sctp|NUMBER,
 *            VERDICT allow|deny, k=v: proxy=PORT cookie=N prec=N auth=N
 *     policy-file EP_ID FILE    one ENTRY per line
 *     ipcache set PREFIX IDENTITY | ipcache del PREFIX
 *     ipcache-file FILE          one "PREFIX IDENTITY" per line
 *     service set ADDR:PORT tcp|udp [BACKEND:PORT...] | service del ADDR:PORT tcp|udp
 *     events [--follow] [--timeout-ms N]   one line of key=value per event
 *     counters | reattach | purge | node-setup | node-teardown
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include "bpf/datapath.h"
#include "flow/flow.h"
#include "util/log.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dfl_dp: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static __u32 ifindex_of(const char *name)
{
	__u32 idx = if_nametoindex(name);

	if (!idx)
		fprintf(stderr, "dfl_dp: no interface %s here\n", name);
	return idx;
}

static int parse_proto(const char *s, __u8 *proto)
{
	static const struct {
		const char *name;
		__u8 num;
	} names[] = { { "any", 0 },	  { "tcp", IPPROTO_TCP },
		      { "udp", IPPROTO_UDP }, { "icmp", IPPROTO_ICMP },
		      { "icmpv6", 58 },	  { "sctp", 132 } };
	char *end;
	unsigned long n;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*proto = names[i].num;
			return 0;
		}
	}
	n = strtoul(s, &end, 10);
	if (*s == '\0' || *end || n > 255)
		return -EINVAL;
	*proto = n;
	return 0;
}

static int parse_u32(const char *s, __u32 *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 0);
	if (errno || *s == '\0' || *end || n > 0xffffffffull)
		return -EINVAL;
	*out = n;
	return 0;
}

/* DIR,ID,PROTO,PORT[/PLEN],VERDICT[,k=v...] */
static int parse_entry(const char *arg, struct dfl_policy_spec *e)
{
	char buf[256], *save = NULL, *tok;
	__u32 v;
	int field = 0;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	memset(e, 0, sizeof(*e));
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save), field++) {
		char *slash, *eq;

		switch (field) {
		case 0:
			if (strcmp(tok, "ingress") && strcmp(tok, "egress"))
				return -EINVAL;
			e->egress = !strcmp(tok, "egress");
			break;
		case 1:
			if (parse_u32(tok, &e->identity))
				return -EINVAL;
			break;
		case 2:
			if (parse_proto(tok, &e->proto))
				return -EINVAL;
			break;
		case 3:
			slash = strchr(tok, '/');
			e->port_prefix_len = 16;
			if (slash) {
				*slash = '\0';
				if (parse_u32(slash + 1, &v) || v > 16)
					return -EINVAL;
				e->port_prefix_len = v;
			}
			if (parse_u32(tok, &v) || v > 65535)
				return -EINVAL;
			e->port = v;
			if (!e->port || !e->proto)
				e->port_prefix_len = 0;
			break;
		case 4:
			if (strcmp(tok, "allow") && strcmp(tok, "deny"))
				return -EINVAL;
			e->deny = !strcmp(tok, "deny");
			e->precedence = e->deny ? 0xffffffffu : 0xffffff01u;
			break;
		default:
			eq = strchr(tok, '=');
			if (!eq || parse_u32(eq + 1, &v))
				return -EINVAL;
			*eq = '\0';
			if (!strcmp(tok, "proxy") && v <= 65535) {
				e->proxy_port = v;
				if (e->precedence == 0xffffff01u)
					e->precedence = 0xffffff9au;
			} else if (!strcmp(tok, "cookie")) {
				e->cookie = v;
			} else if (!strcmp(tok, "prec")) {
				e->precedence = v;
			} else if (!strcmp(tok, "auth") && v < 128) {
				e->auth_type = v;
			} else {
				return -EINVAL;
			}
		}
	}
	return field >= 5 ? 0 : -EINVAL;
}

static int cmd_policy(struct dfl_datapath *dp, __u32 ep, char **entries,
		      int n)
{
	struct dfl_policy_spec *specs = calloc(n ? n : 1, sizeof(*specs));
	int err = 0;

	if (!specs)
		return 1;
	for (int i = 0; i < n && !err; i++)
		if (parse_entry(entries[i], &specs[i]))
			err = fail("bad policy entry '%s'", entries[i]);
	if (!err && dfl_datapath__policy_replace(dp, ep, specs, n))
		err = 1;
	free(specs);
	return err;
}

static int cmd_policy_file(struct dfl_datapath *dp, __u32 ep,
			   const char *path)
{
	char line[256], **lines = NULL;
	int n = 0, cap = 0, err;
	FILE *f = fopen(path, "r");

	if (!f)
		return fail("cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			lines = realloc(lines, cap * sizeof(*lines));
			if (!lines)
				return 1;
		}
		lines[n++] = strdup(line);
	}
	fclose(f);
	err = cmd_policy(dp, ep, lines, n);
	for (int i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return err;
}

static const char *proto_name(__u8 p)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case 58:
		return "icmpv6";
	default:
		return "other";
	}
}

static void fmt_addr(char *buf, size_t len, const __u32 *addr, bool v6,
		     __u16 port)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(v6 ? AF_INET6 : AF_INET, addr, ip, sizeof(ip));
	snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", ip, port);
}

static int print_event(void *ctx, const struct dfl_event *ev)
{
	static const char *const types[] = { "?", "policy-verdict", "drop",
					     "overflow" };
	static const char *const dirs[] = { "unknown", "ingress", "egress" };
	static const char *const ct[] = { "new", "established", "reply",
					  "related" };
	bool v6 = ev->flags & DFL_EV_F_IPV6;
	char src[64], dst[64], orig[64] = "-";

	(void)ctx;
	fmt_addr(src, sizeof(src), ev->saddr, v6, ev->sport);
	fmt_addr(dst, sizeof(dst), ev->daddr, v6, ev->dport);
	if (ev->flags & DFL_EV_F_TRANSLATED)
		fmt_addr(orig, sizeof(orig), ev->orig_daddr, v6,
			 ev->orig_dport);
	printf("type=%s dir=%s verdict=%s reason=%u ep=%u ifindex=%u "
	       "local=%u remote=%u proto=%s src=%s dst=%s orig=%s "
	       "tcp_flags=0x%02x icmp=%u/%u match=%s cookie=%u proxy=%u "
	       "ct=%s audited=%u from_proxy=%u to_proxy=%u entries=%u/%u\n",
	       types[ev->type < 4 ? ev->type : 0], dirs[ev->dir < 3 ? ev->dir : 0],
	       dfl_verdict__name(ev->verdict) ? dfl_verdict__name(ev->verdict) :
						"?",
	       ev->drop_reason, ev->ep_id, ev->ifindex, ev->local_identity,
	       ev->remote_identity, proto_name(ev->proto), src, dst, orig,
	       ev->tcp_flags, ev->icmp_type, ev->icmp_code,
	       dfl_policy_match__str(ev->match_type) ?
		       dfl_policy_match__str(ev->match_type) :
		       "?",
	       ev->cookie, ev->proxy_port, ct[ev->ct_state & 3],
	       !!(ev->flags & DFL_EV_F_AUDITED),
	       !!(ev->flags & DFL_EV_F_FROM_PROXY),
	       !!(ev->flags & DFL_EV_F_TO_PROXY),
	       ev->type == DFL_EV_POLICY_OVERFLOW ? ev->pkt_len : 0,
	       ev->type == DFL_EV_POLICY_OVERFLOW ? ev->aux : 0);
	return 0;
}

static int cmd_events(struct dfl_datapath *dp, int argc, char **argv)
{
	bool follow = false;
	int timeout = 0, n;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--follow"))
			follow = true;
		else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc)
			timeout = atoi(argv[++i]);
		else
			return fail("events: unknown option %s", argv[i]);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	do {
		n = dfl_datapath__events_poll(dp, follow ? 100 : timeout,
					      print_event, NULL);
		if (n < 0 && n != -EINTR)
			return fail("events: %s", strerror(-n));
	} while (follow && !stop);
	return 0;
}

static int print_counter(void *ctx, const struct dfl_counter *c)
{
	(void)ctx;
	printf("reason=%u name=%s dir=%s packets=%llu bytes=%llu\n",
	       c->reason,
	       c->reason ? (dfl_drop_reason__name(c->reason) ?
				    dfl_drop_reason__name(c->reason) :
				    "?") :
			   "FORWARDED",
	       c->dir == DFL_TRAFFIC_INGRESS ? "ingress" : "egress",
	       (unsigned long long)c->packets, (unsigned long long)c->bytes);
	return 0;
}

static int cmd_service(struct dfl_datapath *dp, int argc, char **argv)
{
	struct dfl_dp_sockaddr fe, be[DFL_LB_MAX_BACKENDS];
	__u8 proto;
	int n = argc - 3;

	if (argc < 3 || dfl_dp_sockaddr__parse(argv[1], &fe) ||
	    parse_proto(argv[2], &proto))
		return fail("service: usage: set|del ADDR:PORT tcp|udp "
			    "[BACKEND:PORT...]");
	if (!strcmp(argv[0], "del"))
		return dfl_datapath__service_delete(dp, &fe, proto) ? 1 : 0;
	if (n > DFL_LB_MAX_BACKENDS)
		return fail("service: too many backends");
	for (int i = 0; i < n; i++)
		if (dfl_dp_sockaddr__parse(argv[3 + i], &be[i]))
			return fail("service: bad backend %s", argv[3 + i]);
	return dfl_datapath__service_upsert(dp, &fe, proto, be, n) ? 1 : 0;
}

static int cmd_ipcache(struct dfl_datapath *dp, int argc, char **argv)
{
	struct dfl_ipcache_entry e = {};
	struct dfl_dp_prefix p;

	if (argc < 2 || dfl_dp_prefix__parse(argv[1], &p))
		return fail("ipcache: usage: set PREFIX ID | del PREFIX");
	if (!strcmp(argv[0], "del"))
		return dfl_datapath__ipcache_delete(dp, &p) ? 1 : 0;
	if (argc < 3 || parse_u32(argv[2], &e.identity))
		return fail("ipcache: bad identity");
	return dfl_datapath__ipcache_upsert(dp, &p, &e) ? 1 : 0;
}

static int cmd_ipcache_file(struct dfl_datapath *dp, const char *path)
{
	struct dfl_ipcache_entry e = {};
	char line[128], pfx[96];
	struct dfl_dp_prefix p;
	FILE *f = fopen(path, "r");
	int err = 0, lineno = 0;

	if (!f)
		return fail("cannot open %s", path);
	while (!err && fgets(line, sizeof(line), f)) {
		lineno++;
		if (sscanf(line, "%95s %u", pfx, &e.identity) != 2 ||
		    dfl_dp_prefix__parse(pfx, &p))
			err = fail("%s:%d: want PREFIX IDENTITY", path, lineno);
		else if (dfl_datapath__ipcache_upsert(dp, &p, &e))
			err = 1;
	}
	fclose(f);
	return err;
}

static int cmd_attach(struct dfl_datapath *dp, int argc, char **argv)
{
	struct dfl_endpoint_cfg cfg = {};
	__u32 v;

	if (argc < 3 || parse_u32(argv[1], &v) || !v || v > 65535)
		return fail("attach: usage: IFNAME EP_ID IDENTITY [IPV4|-] "
			    "[audit]");
	cfg.ep_id = v;
	cfg.ifindex = ifindex_of(argv[0]);
	if (!cfg.ifindex || parse_u32(argv[2], &cfg.identity))
		return 1;
	if (argc > 3 && strcmp(argv[3], "-") &&
	    inet_pton(AF_INET, argv[3], &cfg.ipv4) != 1)
		return fail("attach: bad IPv4 address %s", argv[3]);
	cfg.audit = argc > 4 && !strcmp(argv[4], "audit");
	return dfl_datapath__endpoint_attach(dp, &cfg) ? 1 : 0;
}

int main(int argc, char **argv)
{
	DFL_DATAPATH_OPTS(o);
	struct dfl_datapath *dp;
	const char *cmd;
	__u32 v;
	int i = 1, ret = 1;

	dfl_log_set_prefix("dfl_dp");
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--root") && i + 1 < argc)
			o.pin_root = argv[++i];
		else if (!strcmp(argv[i], "--policy-max") && i + 1 < argc)
			o.policy_map_max = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--ipcache-max") && i + 1 < argc)
			o.ipcache_max = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--quiet-allowed"))
			o.quiet_allowed = true;
		else if (!strcmp(argv[i], "--debug"))
			dfl_log_set_level(DFL_LOG_DEBUG);
		else
			return fail("unknown option %s", argv[i]);
	}
	if (i >= argc)
		return fail("usage: dfl_dp [--root DIR] COMMAND ...");
	cmd = argv[i++];
	if (!strcmp(cmd, "purge"))
		return dfl_datapath__purge(o.pin_root) ? 1 : 0;
	if (!strcmp(cmd, "node-setup"))
		return dfl_node__proxy_setup() ? 1 : 0;
	if (!strcmp(cmd, "node-teardown"))
		return dfl_node__proxy_teardown() ? 1 : 0;
	o.maps_only = strcmp(cmd, "attach") && strcmp(cmd, "reattach");
	dp = dfl_datapath__open(&o);
	if (!dp)
		return fail("cannot open the datapath: %s", strerror(errno));

	if (!strcmp(cmd, "attach")) {
		ret = cmd_attach(dp, argc - i, argv + i);
	} else if (!strcmp(cmd, "detach") && i < argc) {
		v = ifindex_of(argv[i]);
		ret = !v || dfl_datapath__endpoint_detach(dp, v);
	} else if (!strcmp(cmd, "audit") && i + 1 < argc) {
		v = ifindex_of(argv[i]);
		ret = !v || dfl_datapath__endpoint_set_audit(
				    dp, v, !strcmp(argv[i + 1], "on"));
	} else if (!strcmp(cmd, "policy") && i < argc && !parse_u32(argv[i], &v)) {
		ret = cmd_policy(dp, v, argv + i + 1, argc - i - 1);
	} else if (!strcmp(cmd, "policy-file") && i + 1 < argc &&
		   !parse_u32(argv[i], &v)) {
		ret = cmd_policy_file(dp, v, argv[i + 1]);
	} else if (!strcmp(cmd, "ipcache-file") && i < argc) {
		ret = cmd_ipcache_file(dp, argv[i]);
	} else if (!strcmp(cmd, "ipcache")) {
		ret = cmd_ipcache(dp, argc - i, argv + i);
	} else if (!strcmp(cmd, "service")) {
		ret = cmd_service(dp, argc - i, argv + i);
	} else if (!strcmp(cmd, "events")) {
		ret = cmd_events(dp, argc - i, argv + i);
	} else if (!strcmp(cmd, "counters")) {
		ret = dfl_datapath__counters_foreach(dp, print_counter, NULL) ?
			      1 :
			      0;
	} else if (!strcmp(cmd, "reattach")) {
		ret = dfl_datapath__endpoints_reattach(dp) < 0;
	} else {
		fail("unknown command or missing arguments: %s", cmd);
	}
	dfl_datapath__close(dp);
	return ret;
}
