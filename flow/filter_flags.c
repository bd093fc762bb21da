/* `hubble observe` filter flags to FlowFilters (hubble/cmd/observe/
 * flows_filter.go): a "left" and a "right" filter per list; flags are
 * recorded as given and turned into filters at finish(), so that namespaces
 * fold into pod names whatever the order of the flags. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/filter.h"
#include "util/mem.h"

enum mode {
	BIDIR, /* source_X into left, destination_X into right */
	FROM,  /* source_X into both */
	TO,    /* destination_X into both */
	PLAIN, /* field X into both */
};

static const struct flag_def {
	const char *flag;
	enum mode mode;
	const char *field; /* FlowFilter field, without source_/destination_ */
} flags[] = {
	{ "ip", BIDIR, "ip" },
	{ "from-ip", FROM, "ip" },
	{ "to-ip", TO, "ip" },
	{ "pod", BIDIR, "pod" },
	{ "from-pod", FROM, "pod" },
	{ "to-pod", TO, "pod" },
	{ "namespace", BIDIR, "namespace" },
	{ "from-namespace", FROM, "namespace" },
	{ "to-namespace", TO, "namespace" },
	{ "fqdn", BIDIR, "fqdn" },
	{ "from-fqdn", FROM, "fqdn" },
	{ "to-fqdn", TO, "fqdn" },
	{ "label", BIDIR, "label" },
	{ "from-label", FROM, "label" },
	{ "to-label", TO, "label" },
	{ "service", BIDIR, "service" },
	{ "from-service", FROM, "service" },
	{ "to-service", TO, "service" },
	{ "port", BIDIR, "port" },
	{ "from-port", FROM, "port" },
	{ "to-port", TO, "port" },
	{ "identity", BIDIR, "identity" },
	{ "from-identity", FROM, "identity" },
	{ "to-identity", TO, "identity" },
	{ "workload", BIDIR, "workload" },
	{ "from-workload", FROM, "workload" },
	{ "to-workload", TO, "workload" },
	{ "verdict", PLAIN, "verdict" },
	{ "drop-reason-desc", PLAIN, "drop_reason_desc" },
	{ "type", PLAIN, "event_type" },
	{ "protocol", PLAIN, "protocol" },
	{ "http-status", PLAIN, "http_status_code" },
	{ "http-method", PLAIN, "http_method" },
	{ "http-path", PLAIN, "http_path" },
	{ "http-url", PLAIN, "http_url" },
	{ "http-header", PLAIN, "http_header" },
	{ "tcp-flags", PLAIN, "tcp_flags" },
	{ "traffic-direction", PLAIN, "traffic_direction" },
	{ "node-name", PLAIN, "node_name" },
	{ "uuid", PLAIN, "uuid" },
	{ "ip-version", PLAIN, "ip_version" },
};

/* Flags that may not be combined (newFlowFilter().conflicts). */
static const char *const conflicts[][2] = {
	{ "ip", "from-ip" },	   { "ip", "to-ip" },
	{ "ip", "pod" },	   { "pod", "from-pod" },
	{ "pod", "to-pod" },	   { "label", "from-label" },
	{ "label", "to-label" },   { "port", "from-port" },
	{ "port", "to-port" },	   { "identity", "from-identity" },
	{ "identity", "to-identity" },
	{ "fqdn", "from-fqdn" },   { "fqdn", "to-fqdn" },
	{ "service", "from-service" },
	{ "service", "to-service" },
	{ "workload", "from-workload" },
	{ "workload", "to-workload" },
	{ "namespace", "from-namespace" },
	{ "namespace", "to-namespace" },
	{ "namespace", "from-pod" },
	{ "namespace", "to-pod" },
};

struct entry {
	bool deny;
	const struct flag_def *def;
	char *value;
};

struct dfl_filter_builder {
	struct entry *entries;
	size_t n, cap;
	bool not_pending;
};

static int __attribute__((format(printf, 3, 4)))
berr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const struct flag_def *flag_find(const char *flag)
{
	for (size_t i = 0; i < DFL_ARRAY_SIZE(flags); i++)
		if (!strcmp(flags[i].flag, flag))
			return &flags[i];
	return NULL;
}

bool dfl_filter_builder__knows(const char *flag, bool *takes_value)
{
	*takes_value = strcmp(flag, "not") != 0;
	return !*takes_value || flag_find(flag);
}

struct dfl_filter_builder *dfl_filter_builder__new(void)
{
	return calloc(1, sizeof(struct dfl_filter_builder));
}

void dfl_filter_builder__free(struct dfl_filter_builder *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->entries[i].value);
	free(b->entries);
	free(b);
}

static bool used(const struct dfl_filter_builder *b, bool deny,
		 const char *flag)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->entries[i].deny == deny &&
		    !strcmp(b->entries[i].def->flag, flag))
			return true;
	return false;
}

int dfl_filter_builder__flag(struct dfl_filter_builder *b, const char *flag,
			     const char *value, char *err, size_t errlen)
{
	const struct flag_def *def;
	struct entry *e;
	bool deny;

	if (!strcmp(flag, "not")) {
		if (b->not_pending)
			return berr(err, errlen, "--not: two --not in a row");
		b->not_pending = true;
		return 0;
	}
	def = flag_find(flag);
	if (!def)
		return berr(err, errlen, "unknown filter flag --%s", flag);
	deny = b->not_pending;
	b->not_pending = false;
	for (size_t i = 0; i < DFL_ARRAY_SIZE(conflicts); i++) {
		const char *a = conflicts[i][0], *c = conflicts[i][1];

		if ((!strcmp(flag, a) && used(b, deny, c)) ||
		    (!strcmp(flag, c) && used(b, deny, a)))
			return berr(err, errlen,
				    "--%s cannot be combined with --%s",
				    flag, !strcmp(flag, a) ? c : a);
	}
	e = DFL_PUSH(b->entries, b->n, b->cap);
	if (!e)
		return -ENOMEM;
	e->deny = deny;
	e->def = def;
	e->value = strdup(value ? value : "");
	return e->value ? 0 : -ENOMEM;
}

/* One list's left and right filters. */
struct tracker {
	struct dfl_flow_filter *left, *right;
};

static int add(struct dfl_flow_filter *f, const char *side, const char *field,
	       const char *value, const char *flag, char *err, size_t errlen)
{
	char name[64];
	int ret;

	snprintf(name, sizeof(name), "%s%s", side, field);
	ret = dfl_flow_filter__add(f, name, value, err, errlen);
	if (ret == -EINVAL) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "--%s: %s", flag, msg);
	}
	return ret;
}

/* The namespace a pod value without one gets: --namespace, else the
 * side's --from/--to-namespace; NULL leaves Hubble's default ("default"). */
static const char *ns_for(const struct dfl_filter_builder *b, bool deny,
			  enum mode side)
{
	const char *any = NULL, *own = NULL;

	for (size_t i = 0; i < b->n; i++) {
		const struct entry *e = &b->entries[i];

		if (e->deny != deny || strcmp(e->def->field, "namespace"))
			continue;
		if (e->def->mode == BIDIR)
			any = e->value;
		else if (e->def->mode == side)
			own = e->value;
	}
	return own ? own : any;
}

static int add_pod(const struct dfl_filter_builder *b, const struct entry *e,
		   struct dfl_flow_filter *f, const char *side, enum mode which,
		   char *err, size_t errlen)
{
	const char *ns = strchr(e->value, '/') ? NULL : ns_for(b, e->deny, which);
	char value[512];

	snprintf(value, sizeof(value), "%s%s%s", ns ? ns : "", ns ? "/" : "",
		 e->value);
	return add(f, side, "pod", value, e->def->flag, err, errlen);
}

static bool has_pods(const struct dfl_filter_builder *b, bool deny,
		     enum mode side)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct entry *e = &b->entries[i];

		if (e->deny == deny && !strcmp(e->def->field, "pod") &&
		    (e->def->mode == BIDIR || e->def->mode == side))
			return true;
	}
	return false;
}

static int build(const struct dfl_filter_builder *b, bool deny,
		 struct tracker *t, char *err, size_t errlen)
{
	int ret = 0;

	for (size_t i = 0; i < b->n && !ret; i++) {
		const struct entry *e = &b->entries[i];
		const struct flag_def *d = e->def;
		bool ns = !strcmp(d->field, "namespace");
		char nsval[512];

		if (e->deny != deny)
			continue;
		if (ns) {
			/* a namespace folds into the pods of its side, or
			 * stands for all of its pods ("ns/") */
			snprintf(nsval, sizeof(nsval), "%s/", e->value);
			if (d->mode == BIDIR) {
				if (!has_pods(b, deny, FROM))
					ret = add(t->left, "source_", "pod", nsval,
						  d->flag, err, errlen);
				if (!ret && !has_pods(b, deny, TO))
					ret = add(t->right, "destination_", "pod",
						  nsval, d->flag, err, errlen);
			} else if (!has_pods(b, deny, d->mode)) {
				const char *side = d->mode == FROM ? "source_" :
								     "destination_";

				ret = add(t->left, side, "pod", nsval, d->flag,
					  err, errlen);
				if (!ret)
					ret = add(t->right, side, "pod", nsval,
						  d->flag, err, errlen);
			}
			continue;
		}
		if (!strcmp(d->field, "pod")) {
			if (d->mode == BIDIR) {
				ret = add_pod(b, e, t->left, "source_", FROM, err,
					      errlen);
				if (!ret)
					ret = add_pod(b, e, t->right,
						      "destination_", TO, err,
						      errlen);
			} else {
				const char *side = d->mode == FROM ? "source_" :
								     "destination_";

				ret = add_pod(b, e, t->left, side, d->mode, err,
					      errlen);
				if (!ret)
					ret = add_pod(b, e, t->right, side,
						      d->mode, err, errlen);
			}
			continue;
		}
		switch (d->mode) {
		case BIDIR:
			ret = add(t->left, "source_", d->field, e->value,
				  d->flag, err, errlen);
			if (!ret)
				ret = add(t->right, "destination_", d->field,
					  e->value, d->flag, err, errlen);
			break;
		case FROM:
		case TO:
		case PLAIN: {
			const char *side = d->mode == FROM ? "source_" :
					   d->mode == TO   ? "destination_" :
							     "";

			ret = add(t->left, side, d->field, e->value, d->flag,
				  err, errlen);
			if (!ret)
				ret = add(t->right, side, d->field, e->value,
					  d->flag, err, errlen);
			break;
		}
		}
	}
	return ret;
}

/* Hubble rejects --http-* unless --type is unset or includes l7. */
static int check_http(const struct dfl_filter_builder *b, char *err,
		      size_t errlen)
{
	const char *http = NULL;
	bool types = false, l7 = false;

	for (size_t i = 0; i < b->n; i++) {
		const struct entry *e = &b->entries[i];

		if (!strncmp(e->def->flag, "http-", 5))
			http = e->def->flag;
		if (!strcmp(e->def->flag, "type") && !e->deny) {
			types = true;
			l7 |= !strcmp(e->value, "l7") || !strcmp(e->value, "129");
		}
	}
	if (http && types && !l7)
		return berr(err, errlen,
			    "--%s requires --type to be unset or to include l7",
			    http);
	return 0;
}

static int emit(struct tracker *t, struct dfl_flow_filters *out)
{
	int ret = 0;

	if (dfl_flow_filter__is_empty(t->left) &&
	    dfl_flow_filter__is_empty(t->right))
		return 0;
	if (dfl_flow_filter__equal(t->left, t->right)) {
		ret = dfl_flow_filters__push(out, t->left);
		t->left = NULL;
		return ret;
	}
	ret = dfl_flow_filters__push(out, t->left);
	t->left = NULL;
	if (!ret)
		ret = dfl_flow_filters__push(out, t->right);
	t->right = NULL;
	return ret;
}

int dfl_filter_builder__finish(struct dfl_filter_builder *b,
			       struct dfl_flow_filters *allow,
			       struct dfl_flow_filters *deny, char *err,
			       size_t errlen)
{
	struct tracker t[2] = { { 0 } };
	int ret;

	if (b->not_pending)
		return berr(err, errlen, "--not must be followed by a filter flag");
	ret = check_http(b, err, errlen);
	for (int i = 0; i < 2 && !ret; i++) {
		t[i].left = dfl_flow_filter__new();
		t[i].right = dfl_flow_filter__new();
		if (!t[i].left || !t[i].right)
			ret = -ENOMEM;
		if (!ret)
			ret = build(b, i == 1, &t[i], err, errlen);
		if (!ret)
			ret = emit(&t[i], i == 1 ? deny : allow);
	}
	for (int i = 0; i < 2; i++) {
		dfl_flow_filter__free(t[i].left);
		dfl_flow_filter__free(t[i].right);
	}
	return ret;
}
