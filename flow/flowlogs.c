/* flowLogs configuration (flow/flowlogs.h): libcyaml schema, validation,
 * and conversion to exporter settings. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cyaml/cyaml.h>

#include "flow/exporter.h"
#include "flow/fieldmask.h"
#include "flow/filter.h"
#include "flow/flow.h"
#include "flow/flowlogs.h"
#include "flow/json.h"
#include "util/strbuf.h"

/* FlowFilter fields that are lists of strings in YAML. */
#define STRING_FIELDS(X)                                                      \
	X(uuid) X(source_ip) X(source_pod) X(source_fqdn) X(source_label)     \
	X(source_service) X(destination_ip) X(destination_pod)                \
	X(destination_fqdn) X(destination_label) X(destination_service)       \
	X(verdict) X(drop_reason_desc) X(http_status_code) X(protocol)        \
	X(source_port) X(destination_port) X(dns_query) X(http_method)        \
	X(http_path) X(http_url) X(node_name) X(ip_version)                   \
	X(traffic_direction)

struct y_event_type {
	int32_t type;
	bool match_sub_type;
	int32_t sub_type;
};

struct y_workload {
	char *name;
	char *kind;
};

struct y_header {
	char *key;
	char *value;
};

struct y_tcp_flags {
	bool fin, syn, rst, psh, ack, urg, ece, cwr, ns;
};

struct y_filter {
#define DECLARE(n) \
	char **n;  \
	unsigned int n##_count;
	STRING_FIELDS(DECLARE)
#undef DECLARE
	uint32_t *source_identity;
	unsigned int source_identity_count;
	uint32_t *destination_identity;
	unsigned int destination_identity_count;
	struct y_event_type *event_type;
	unsigned int event_type_count;
	struct y_workload *source_workload;
	unsigned int source_workload_count;
	struct y_workload *destination_workload;
	unsigned int destination_workload_count;
	struct y_header *http_header;
	unsigned int http_header_count;
	struct y_tcp_flags *tcp_flags;
	unsigned int tcp_flags_count;
	bool *reply;
	unsigned int reply_count;
};

struct y_flowlog {
	char *name;
	char *file_path;
	char **field_mask;
	unsigned int field_mask_count;
	struct y_filter *include_filters;
	unsigned int include_filters_count;
	struct y_filter *exclude_filters;
	unsigned int exclude_filters_count;
	unsigned int file_max_size_mb;
	unsigned int file_max_backups;
	bool file_compress;
	char *end;
	bool *chain; /* NULL: absent, which means on */
	char *chain_key_file;
	unsigned int fsync_interval_ms;
};

struct y_root {
	struct y_flowlog *flow_logs;
	unsigned int flow_logs_count;
};

#define OPT (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER)

static const cyaml_schema_value_t string_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};
static const cyaml_schema_value_t u32_entry = {
	CYAML_VALUE_UINT(CYAML_FLAG_DEFAULT, uint32_t),
};
static const cyaml_schema_value_t bool_entry = {
	CYAML_VALUE_BOOL(CYAML_FLAG_DEFAULT, bool),
};

static const cyaml_schema_field_t event_type_fields[] = {
	CYAML_FIELD_INT("type", CYAML_FLAG_OPTIONAL, struct y_event_type, type),
	CYAML_FIELD_BOOL("match_sub_type", CYAML_FLAG_OPTIONAL,
			 struct y_event_type, match_sub_type),
	CYAML_FIELD_INT("sub_type", CYAML_FLAG_OPTIONAL, struct y_event_type,
			sub_type),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t event_type_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_event_type,
			    event_type_fields),
};
static const cyaml_schema_field_t workload_fields[] = {
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_OPTIONAL, struct y_workload,
			       name, 0, CYAML_UNLIMITED),
	CYAML_FIELD_STRING_PTR("kind", CYAML_FLAG_OPTIONAL, struct y_workload,
			       kind, 0, CYAML_UNLIMITED),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t workload_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_workload,
			    workload_fields),
};
static const cyaml_schema_field_t header_fields[] = {
	CYAML_FIELD_STRING_PTR("key", CYAML_FLAG_DEFAULT, struct y_header, key,
			       1, CYAML_UNLIMITED),
	CYAML_FIELD_STRING_PTR("value", CYAML_FLAG_OPTIONAL, struct y_header,
			       value, 0, CYAML_UNLIMITED),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t header_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_header, header_fields),
};
#define FLAG(name, member) \
	CYAML_FIELD_BOOL(name, CYAML_FLAG_OPTIONAL, struct y_tcp_flags, member)
static const cyaml_schema_field_t tcp_flags_fields[] = {
	FLAG("FIN", fin), FLAG("SYN", syn), FLAG("RST", rst),
	FLAG("PSH", psh), FLAG("ACK", ack), FLAG("URG", urg),
	FLAG("ECE", ece), FLAG("CWR", cwr), FLAG("NS", ns),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t tcp_flags_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_tcp_flags,
			    tcp_flags_fields),
};

#define LIST(key, member, entry)                                       \
	CYAML_FIELD_SEQUENCE(key, OPT, struct y_filter, member, &(entry), 0, \
			     CYAML_UNLIMITED)
static const cyaml_schema_field_t filter_fields[] = {
#define SCHEMA(n) LIST(#n, n, string_entry),
	STRING_FIELDS(SCHEMA)
#undef SCHEMA
	LIST("source_identity", source_identity, u32_entry),
	LIST("destination_identity", destination_identity, u32_entry),
	LIST("event_type", event_type, event_type_entry),
	LIST("source_workload", source_workload, workload_entry),
	LIST("destination_workload", destination_workload, workload_entry),
	LIST("http_header", http_header, header_entry),
	LIST("tcp_flags", tcp_flags, tcp_flags_entry),
	LIST("reply", reply, bool_entry),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t filter_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_filter, filter_fields),
};

static const cyaml_schema_field_t flowlog_fields[] = {
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, struct y_flowlog,
			       name, 1, CYAML_UNLIMITED),
	CYAML_FIELD_STRING_PTR("filePath", CYAML_FLAG_POINTER, struct y_flowlog,
			       file_path, 1, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("fieldMask", OPT, struct y_flowlog, field_mask,
			     &string_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("includeFilters", OPT, struct y_flowlog,
			     include_filters, &filter_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("excludeFilters", OPT, struct y_flowlog,
			     exclude_filters, &filter_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_UINT("fileMaxSizeMb", CYAML_FLAG_OPTIONAL, struct y_flowlog,
			 file_max_size_mb),
	CYAML_FIELD_UINT("fileMaxBackups", CYAML_FLAG_OPTIONAL, struct y_flowlog,
			 file_max_backups),
	CYAML_FIELD_BOOL("fileCompress", CYAML_FLAG_OPTIONAL, struct y_flowlog,
			 file_compress),
	CYAML_FIELD_STRING_PTR("end", OPT, struct y_flowlog, end, 1,
			       CYAML_UNLIMITED),
	{ .key = "chain",
	  .data_offset = offsetof(struct y_flowlog, chain),
	  .value = { CYAML_VALUE_BOOL(OPT, bool) } },
	CYAML_FIELD_STRING_PTR("chainKeyFile", OPT, struct y_flowlog,
			       chain_key_file, 1, CYAML_UNLIMITED),
	CYAML_FIELD_UINT("fsyncIntervalMs", CYAML_FLAG_OPTIONAL,
			 struct y_flowlog, fsync_interval_ms),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t flowlog_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_flowlog,
			    flowlog_fields),
};
static const cyaml_schema_field_t root_fields[] = {
	CYAML_FIELD_SEQUENCE("flowLogs", CYAML_FLAG_POINTER, struct y_root,
			     flow_logs, &flowlog_entry, 0, CYAML_UNLIMITED),
	CYAML_FIELD_END
};
static const cyaml_schema_value_t root_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct y_root, root_fields),
};

struct dfl_flowlogs {
	struct y_root *root;
	int64_t *end_ns;
};

/* libcyaml's messages (errors and their backtrace with line numbers) are
 * collected into the error returned to the caller. */
struct log_ctx {
	struct dfl_strbuf text;
};

static void collect_log(cyaml_log_t level, void *ctx, const char *fmt,
			va_list args)
{
	struct log_ctx *l = ctx;

	if (level >= CYAML_LOG_ERROR)
		dfl_strbuf__vprintf(&l->text, fmt, args);
}

static const cyaml_config_t *cyaml_cfg(struct log_ctx *l)
{
	static _Thread_local cyaml_config_t cfg;

	cfg = (cyaml_config_t){ .log_fn = collect_log,
				.log_ctx = l,
				.mem_fn = cyaml_mem,
				.log_level = CYAML_LOG_ERROR,
				.flags = CYAML_CFG_NO_ALIAS };
	return &cfg;
}

static int __attribute__((format(printf, 3, 4)))
ferr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* One YAML filter into a FlowFilter, through the same text forms that
 * observe's flags and --allowlist JSON use. */
static int convert(const struct y_filter *y, struct dfl_flow_filter **out,
		   char *err, size_t errlen)
{
	struct dfl_flow_filter *f = dfl_flow_filter__new();
	char buf[128];
	int ret = 0;

	if (!f)
		return -ENOMEM;
#define ADD(field, value)                                                   \
	do {                                                                \
		if (!ret)                                                   \
			ret = dfl_flow_filter__add(f, field, value, err, errlen); \
	} while (0)
#define CONVERT(n)                                   \
	for (unsigned int i = 0; i < y->n##_count; i++) \
		ADD(#n, y->n[i]);
	STRING_FIELDS(CONVERT)
#undef CONVERT
	for (unsigned int i = 0; i < y->source_identity_count; i++) {
		snprintf(buf, sizeof(buf), "%u", y->source_identity[i]);
		ADD("source_identity", buf);
	}
	for (unsigned int i = 0; i < y->destination_identity_count; i++) {
		snprintf(buf, sizeof(buf), "%u", y->destination_identity[i]);
		ADD("destination_identity", buf);
	}
	for (unsigned int i = 0; i < y->event_type_count; i++) {
		const struct y_event_type *e = &y->event_type[i];

		if (e->match_sub_type)
			snprintf(buf, sizeof(buf), "%d:%d", e->type, e->sub_type);
		else
			snprintf(buf, sizeof(buf), "%d", e->type);
		ADD("event_type", buf);
	}
	for (int side = 0; side < 2; side++) {
		const struct y_workload *w = side ? y->destination_workload :
						    y->source_workload;
		unsigned int n = side ? y->destination_workload_count :
					y->source_workload_count;

		for (unsigned int i = 0; i < n; i++) {
			snprintf(buf, sizeof(buf), "%s/%s",
				 w[i].kind ? w[i].kind : "",
				 w[i].name ? w[i].name : "");
			ADD(side ? "destination_workload" : "source_workload", buf);
		}
	}
	for (unsigned int i = 0; i < y->http_header_count; i++) {
		snprintf(buf, sizeof(buf), "%s:%s", y->http_header[i].key,
			 y->http_header[i].value ? y->http_header[i].value : "");
		ADD("http_header", buf);
	}
	for (unsigned int i = 0; i < y->tcp_flags_count; i++) {
		const struct y_tcp_flags *t = &y->tcp_flags[i];

		snprintf(buf, sizeof(buf), "%s%s%s%s%s%s%s%s%s",
			 t->fin ? "FIN," : "", t->syn ? "SYN," : "",
			 t->rst ? "RST," : "", t->psh ? "PSH," : "",
			 t->ack ? "ACK," : "", t->urg ? "URG," : "",
			 t->ece ? "ECE," : "", t->cwr ? "CWR," : "",
			 t->ns ? "NS," : "");
		ADD("tcp_flags", buf);
	}
	for (unsigned int i = 0; i < y->reply_count; i++)
		ADD("reply", y->reply[i] ? "true" : "false");
#undef ADD
	if (ret) {
		dfl_flow_filter__free(f);
		return ret;
	}
	*out = f;
	return 0;
}

static int convert_list(const struct y_filter *y, unsigned int n,
			struct dfl_flow_filters *out, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < n; i++) {
		struct dfl_flow_filter *f = NULL;
		int ret = convert(&y[i], &f, err, errlen);

		if (!ret)
			ret = dfl_flow_filters__push(out, f);
		if (ret)
			return ret;
	}
	return 0;
}

static int validate(struct dfl_flowlogs *c, const char *path, char *err,
		    size_t errlen)
{
	const struct y_root *r = c->root;
	char msg[512];

	c->end_ns = calloc(r->flow_logs_count ? r->flow_logs_count : 1,
			   sizeof(*c->end_ns));
	if (!c->end_ns)
		return -ENOMEM;
	for (unsigned int i = 0; i < r->flow_logs_count; i++) {
		const struct y_flowlog *fl = &r->flow_logs[i];
		struct dfl_flow_filters a = { 0 }, x = { 0 };
		struct dfl_fieldmask *m;
		int ret;

		for (unsigned int j = 0; j < i; j++) {
			if (!strcmp(r->flow_logs[j].name, fl->name))
				return ferr(err, errlen, "%s: flowLogs[%u]: name "
					    "'%s' is used twice", path, i, fl->name);
			if (!strcmp(r->flow_logs[j].file_path, fl->file_path))
				return ferr(err, errlen, "%s: flowLogs[%u] (%s): "
					    "filePath '%s' is used twice", path,
					    i, fl->name, fl->file_path);
		}
		ret = convert_list(fl->include_filters, fl->include_filters_count,
				   &a, msg, sizeof(msg));
		if (!ret)
			ret = convert_list(fl->exclude_filters,
					   fl->exclude_filters_count, &x, msg,
					   sizeof(msg));
		dfl_flow_filters__release(&a);
		dfl_flow_filters__release(&x);
		if (ret)
			return ferr(err, errlen, "%s: flowLogs[%u] (%s): %s", path,
				    i, fl->name, msg);
		m = dfl_fieldmask__new((const char *const *)fl->field_mask,
				       fl->field_mask_count, msg, sizeof(msg));
		if (!m && errno)
			return ferr(err, errlen, "%s: flowLogs[%u] (%s): %s", path,
				    i, fl->name, msg);
		dfl_fieldmask__free(m);
		if (fl->end && dfl_json__parse_time(fl->end, &c->end_ns[i]))
			return ferr(err, errlen, "%s: flowLogs[%u] (%s): end: '%s' "
				    "is not an RFC 3339 time", path, i, fl->name,
				    fl->end);
	}
	return 0;
}

int dfl_flowlogs__load(const char *path, struct dfl_flowlogs **out, char *err,
		       size_t errlen)
{
	struct log_ctx log = { { 0 } };
	struct dfl_flowlogs *c = calloc(1, sizeof(*c));
	cyaml_err_t cerr;
	int ret = 0;

	if (!c)
		return -ENOMEM;
	cerr = cyaml_load_file(path, cyaml_cfg(&log), &root_schema,
			       (cyaml_data_t **)&c->root, NULL);
	if (cerr == CYAML_ERR_FILE_OPEN) {
		ret = -ENOENT;
		snprintf(err, errlen, "%s: cannot open", path);
	} else if (cerr != CYAML_OK) {
		char *nl;

		/* libcyaml ends lines with "\n" and prefixes "Load: " */
		for (nl = log.text.buf; nl && (nl = strchr(nl, '\n'));)
			*nl = ' ';
		ret = ferr(err, errlen, "%s: %s%s%s", path,
			   cyaml_strerror(cerr), log.text.len ? ": " : "",
			   dfl_strbuf__str(&log.text));
	} else if (!c->root) {
		ret = ferr(err, errlen, "%s: no flowLogs", path);
	} else {
		ret = validate(c, path, err, errlen);
	}
	dfl_strbuf__release(&log.text);
	if (ret) {
		dfl_flowlogs__free(c);
		return ret;
	}
	*out = c;
	return 0;
}

size_t dfl_flowlogs__count(const struct dfl_flowlogs *c)
{
	return c->root->flow_logs_count;
}

const char *dfl_flowlogs__name(const struct dfl_flowlogs *c, size_t i)
{
	return c->root->flow_logs[i].name;
}

struct dfl_exporter *dfl_flowlogs__start(const struct dfl_flowlogs *c,
					 size_t i, const char *node_name,
					 char *err, size_t errlen)
{
	const struct y_flowlog *fl = &c->root->flow_logs[i];
	struct dfl_exporter_config cfg = {
		.name = fl->name,
		.file_path = fl->file_path,
		.max_size_mb = fl->file_max_size_mb,
		.max_backups = fl->file_max_backups,
		.compress = fl->file_compress,
		.field_mask = (const char *const *)fl->field_mask,
		.n_field_mask = fl->field_mask_count,
		.end_ns = c->end_ns[i],
		.node_name = node_name,
		.no_chain = fl->chain && !*fl->chain,
		.chain_key_file = fl->chain_key_file,
		.fsync_interval_ms = fl->fsync_interval_ms,
	};
	struct dfl_flow_filters a = { 0 }, x = { 0 };
	struct dfl_exporter *e;
	int ret;

	ret = convert_list(fl->include_filters, fl->include_filters_count, &a,
			   err, errlen);
	if (!ret)
		ret = convert_list(fl->exclude_filters, fl->exclude_filters_count,
				   &x, err, errlen);
	e = ret ? NULL : dfl_exporter__new(&cfg, err, errlen);
	if (e)
		dfl_exporter__add_filters(e, &a, &x);
	dfl_flow_filters__release(&a);
	dfl_flow_filters__release(&x);
	if (!e && ret)
		errno = -ret;
	return e;
}

void dfl_flowlogs__free(struct dfl_flowlogs *c)
{
	struct log_ctx log = { { 0 } };

	if (!c)
		return;
	if (c->root)
		cyaml_free(cyaml_cfg(&log), &root_schema, c->root, 0);
	dfl_strbuf__release(&log.text);
	free(c->end_ns);
	free(c);
}
