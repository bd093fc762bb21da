/* dfl-proxyd: runs deflector's L7 proxy on loopback without BPF, for the
 * proxy test tier and the benchmarks. Rules come from the command line;
 * every redirected request is sent to --upstream instead of its original
 * destination (the "injectable resolver"). Events and learned names are
 * written as JSON lines.
 *
 *   dfl-proxyd [--http ADDR] [--dns ADDR] --upstream ADDR [--dns-upstream ADDR]
 *              [--http-rule 'method=RE path=RE host=RE header=H ...']...
 *              [--http-rules-file FILE (one such spec per line)]
 *              [--dns-rules-file FILE ("name N" or "pattern P" per line)]
 *              [--dns-name NAME]... [--dns-pattern PATTERN]...
 *              [--events FILE] [--learned FILE] [--state FILE]
 *              [--nxdomain] [--min-ttl S] [--no-rules] [--quiet]
 *
 * Prints "ready http=PORT dns=PORT restored=N" once listening (N: learned
 * names loaded from --state); stops on SIGINT/SIGTERM
 * (saving --state). Exit 0 on a clean stop, 1 on errors, 2 on bad usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/l7_match.h"
#include "proxy/fqdn_cache.h"
#include "proxy/proxy.h"
#include "proxy/sock.h"
#include "util/diag.h"
#include "util/mem.h"

struct cfg {
	struct dfl_sockaddr upstream, dns_upstream;
	bool have_dns_upstream;
	struct dfl_http_matcher *http;
	struct dfl_dns_matcher *dns;
	bool no_rules;
	FILE *events;
	FILE *learned;
};

static struct dfl_proxy *proxy;

static void on_signal(int sig)
{
	(void)sig;
	dfl_proxy__stop(proxy);
}

static int resolve(void *ctx, const struct dfl_proxy_conn_info *ci,
		   struct dfl_proxy_policy *out)
{
	struct cfg *c = ctx;

	out->known = !c->no_rules;
	out->http = c->http;
	out->dns = c->dns;
	out->src_identity = 50046;
	out->dst_identity = 14731;
	out->endpoint_id = 1;
	out->direction = DFL_DIR_EGRESS;
	out->upstream = ci->l7 == DFL_L7_PROTO_DNS && c->have_dns_upstream
			    ? c->dns_upstream
			    : c->upstream;
	return 0;
}

static json_t *ips_json(const struct dfl_ip *ips, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		char s[INET6_ADDRSTRLEN];

		inet_ntop(ips[i].family, ips[i].addr, s, sizeof(s));
		json_array_append_new(a, json_string(s));
	}
	return a;
}

static void print_json(FILE *f, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	if (s) {
		fprintf(f, "%s\n", s);
		fflush(f);
	}
	free(s);
	json_decref(o);
}

static void on_event(void *ctx, const struct dfl_l7_event *ev)
{
	static const char *const verdicts[] = {"", "FORWARDED", "DROPPED",
					       "ERROR"};
	struct cfg *c = ctx;
	char src[64], dst[64];
	json_t *o;

	if (!c->events)
		return;
	o = json_pack(
	    "{s:s, s:s, s:i, s:s, s:s, s:I, s:I, s:s}", "type",
	    ev->type == DFL_L7_REQUEST ? "REQUEST" : "RESPONSE", "verdict",
	    verdicts[ev->verdict], "rule", ev->rule, "client",
	    dfl_sockaddr__fmt(&ev->client, src, sizeof(src)), "server",
	    dfl_sockaddr__fmt(&ev->server, dst, sizeof(dst)), "src_identity",
	    (json_int_t)ev->src_identity, "latency_ns",
	    (json_int_t)ev->latency_ns, "reason", ev->reason ? ev->reason : "");
	if (ev->proto == DFL_L7_PROTO_HTTP) {
		json_object_set_new(
		    o, "http",
		    json_pack("{s:s, s:s, s:s, s:i}", "method", ev->http.method,
			      "url", ev->http.url, "protocol",
			      ev->http.protocol, "code", ev->http.code));
	} else {
		json_t *d = json_pack(
		    "{s:s, s:s, s:i, s:i}", "query", ev->dns.query, "qtype",
		    ev->dns.n_qtypes ? ev->dns.qtypes[0] : "", "rcode",
		    ev->dns.rcode, "ttl", ev->dns.ttl);

		json_object_set_new(d, "ips",
				    ips_json(ev->dns.ips, ev->dns.n_ips));
		json_object_set_new(o, "dns", d);
	}
	print_json(c->events, o);
}

static int on_dns(void *ctx, const struct dfl_dns_learned *l)
{
	struct cfg *c = ctx;
	json_t *o;

	if (!c->learned)
		return 0;
	o = json_pack("{s:s, s:i, s:I}", "name", l->name, "ttl", l->ttl,
		      "endpoint", (json_int_t)l->endpoint_id);
	json_object_set_new(o, "ips", ips_json(l->ips, l->n_ips));
	print_json(c->learned, o);
	return 0;
}

/* "method=RE path=RE host=RE header=Name[:value]": one rules.http entry.
 * Values run to the next " key=" so that regexes may contain spaces only
 * when quoted by the shell as a whole argument. */
static int parse_http_rule(char *spec, struct dfl_http_rule *r)
{
	memset(r, 0, sizeof(*r));
	for (char *tok = strtok(spec, " "); tok; tok = strtok(NULL, " ")) {
		char *eq = strchr(tok, '=');

		if (!eq)
			return -EINVAL;
		*eq++ = '\0';
		if (!strcmp(tok, "method")) {
			r->method = eq;
		} else if (!strcmp(tok, "path")) {
			r->path = eq;
		} else if (!strcmp(tok, "host")) {
			r->host = eq;
		} else if (!strcmp(tok, "header")) {
			char **h = realloc(r->headers,
					   (r->n_headers + 1) * sizeof(*h));
			char *colon = strchr(eq, ':');

			if (!h)
				return -ENOMEM;
			r->headers = h;
			if (colon)
				*colon = ' '; /* "Name value" form */
			r->headers[r->n_headers++] = eq;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

/* One rule spec per line; the lines stay allocated until exit. */
static int read_rules(const char *path, struct dfl_http_rule **rules, size_t *n,
		      size_t *cap)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t len = 0;
	ssize_t got;

	if (!f)
		return -errno;
	while ((got = getline(&line, &len, f)) > 0) {
		struct dfl_http_rule *r;

		if (line[got - 1] == '\n')
			line[got - 1] = '\0';
		if (!*line)
			continue;
		r = DFL_PUSH(*rules, *n, *cap);
		if (!r || parse_http_rule(line, r))
			break;
		line = NULL; /* owned by the rule now */
		len = 0;
	}
	free(line);
	fclose(f);
	return got > 0 ? -EINVAL : 0;
}

static int read_dns_rules(const char *path, struct dfl_fqdn_selector **sels,
			  size_t *n, size_t *cap)
{
	FILE *f = fopen(path, "r");
	char kind[16], value[300];
	int err = 0;

	if (!f)
		return -errno;
	while (fscanf(f, "%15s %299s", kind, value) == 2) {
		struct dfl_fqdn_selector *s = DFL_PUSH(*sels, *n, *cap);
		char *v = strdup(value);

		if (!s || !v ||
		    (strcmp(kind, "name") && strcmp(kind, "pattern"))) {
			free(v);
			err = -EINVAL;
			break;
		}
		if (kind[0] == 'n')
			s->match_name = v;
		else
			s->match_pattern = v;
	}
	fclose(f);
	return err;
}

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: dfl-proxyd [--http ADDR] [--dns ADDR] --upstream ADDR\n"
	    "       [--dns-upstream ADDR] [--http-rule SPEC]... "
	    "[--http-rules-file F]\n"
	    "       [--dns-rules-file F] [--dns-name N]...\n"
	    "       [--dns-pattern P]... [--events FILE] [--learned FILE]\n"
	    "       [--state FILE] [--nxdomain] [--min-ttl S] [--no-rules]\n");
}

int main(int argc, char **argv)
{
	struct dfl_http_rule *rules = NULL;
	struct dfl_fqdn_selector *sels = NULL;
	size_t n_rules = 0, n_sels = 0, cap = 0, cap_s = 0;
	struct dfl_sockaddr http = {0}, dns = {0};
	bool want_http = false, want_dns = false, have_up = false;
	const char *state = NULL;
	struct dfl_fqdn_cache *cache = NULL;
	struct dfl_diags diags = {0};
	struct dfl_proxy_opts o = {0};
	struct cfg c = {0};
	int ret = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;

		if (!strcmp(a, "--nxdomain")) {
			o.dns_deny_nxdomain = true;
			continue;
		}
		if (!strcmp(a, "--no-rules")) {
			c.no_rules = true;
			continue;
		}
		if (!v) {
			usage();
			return 2;
		}
		i++;
		if (!strcmp(a, "--http")) {
			bad = dfl_sockaddr__parse(v, &http);
			want_http = true;
		} else if (!strcmp(a, "--dns")) {
			bad = dfl_sockaddr__parse(v, &dns);
			want_dns = true;
		} else if (!strcmp(a, "--upstream")) {
			bad = dfl_sockaddr__parse(v, &c.upstream);
			have_up = true;
		} else if (!strcmp(a, "--dns-upstream")) {
			bad = dfl_sockaddr__parse(v, &c.dns_upstream);
			c.have_dns_upstream = true;
		} else if (!strcmp(a, "--http-rule")) {
			struct dfl_http_rule *r = DFL_PUSH(rules, n_rules, cap);

			bad = !r || parse_http_rule(argv[i], r);
		} else if (!strcmp(a, "--http-rules-file")) {
			bad = read_rules(v, &rules, &n_rules, &cap);
		} else if (!strcmp(a, "--dns-rules-file")) {
			bad = read_dns_rules(v, &sels, &n_sels, &cap_s);
		} else if (!strcmp(a, "--dns-name") ||
			   !strcmp(a, "--dns-pattern")) {
			struct dfl_fqdn_selector *s =
			    DFL_PUSH(sels, n_sels, cap_s);

			bad = !s;
			if (s && a[6] == 'n')
				s->match_name = argv[i];
			else if (s)
				s->match_pattern = argv[i];
		} else if (!strcmp(a, "--events")) {
			c.events = !strcmp(v, "-") ? stdout : fopen(v, "a");
			bad = !c.events;
		} else if (!strcmp(a, "--learned")) {
			c.learned = fopen(v, "a");
			bad = !c.learned;
		} else if (!strcmp(a, "--state")) {
			state = v;
		} else if (!strcmp(a, "--min-ttl")) {
			o.dns_min_ttl = (uint32_t)atoi(v);
		} else {
			bad = 1;
		}
		if (bad) {
			fprintf(stderr, "dfl-proxyd: bad argument %s %s\n", a,
				v);
			usage();
			return 2;
		}
	}
	if (!have_up || (!want_http && !want_dns)) {
		usage();
		return 2;
	}
	if (n_rules) {
		c.http = dfl_http_matcher__new(rules, n_rules, &diags);
		if (!c.http)
			goto diag;
	}
	if (n_sels) {
		c.dns = dfl_dns_matcher__new(sels, n_sels, DFL_DNS_MATCH_PROXY,
					     &diags);
		if (!c.dns)
			goto diag;
	}
	if (state) {
		cache = dfl_fqdn_cache__new();
		if (!cache ||
		    dfl_fqdn_cache__load(cache, state, (uint64_t)time(NULL)))
			goto out;
		o.fqdn_cache = cache;
	}
	o.resolve = resolve;
	o.resolve_ctx = &c;
	o.on_event = on_event;
	o.event_ctx = &c;
	o.on_dns = on_dns;
	o.dns_ctx = &c;
	proxy = dfl_proxy__new(&o);
	if (!proxy) {
		perror("dfl-proxyd");
		goto out;
	}
	if ((want_http && dfl_proxy__listen(proxy, DFL_L7_PROTO_HTTP, &http)) ||
	    (want_dns && dfl_proxy__listen(proxy, DFL_L7_PROTO_DNS, &dns)))
		goto out;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	printf("ready http=%u dns=%u restored=%zu\n",
	       want_http ? dfl_sockaddr__port(&http) : 0,
	       want_dns ? dfl_sockaddr__port(&dns) : 0,
	       cache ? dfl_fqdn_cache__count(cache) : 0);
	fflush(stdout);
	if (dfl_proxy__run(proxy))
		goto out;
	if (state && dfl_fqdn_cache__save(cache, state)) {
		fprintf(stderr, "dfl-proxyd: cannot save %s\n", state);
		goto out;
	}
	ret = 0;
	goto out;
diag:
	for (size_t i = 0; i < diags.n; i++)
		dfl_diag__print(stderr, &diags.items[i]);
	ret = 2;
out:
	dfl_proxy__free(proxy);
	dfl_http_matcher__free(c.http);
	dfl_dns_matcher__free(c.dns);
	dfl_fqdn_cache__free(cache);
	dfl_diags__release(&diags);
	for (size_t i = 0; i < n_rules; i++)
		free(rules[i].headers);
	free(rules);
	free(sels);
	if (c.events && c.events != stdout)
		fclose(c.events);
	if (c.learned)
		fclose(c.learned);
	return ret;
}
