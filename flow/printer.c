/* Hubble's text printers (hubble/pkg/printer): compact, dict, table, json. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flow/flow.h"
#include "flow/json.h"
#include "flow/printer.h"
#include "util/mem.h"

struct row {
	char **cells;
	size_t n;
};

struct dfl_printer {
	FILE *out;
	struct dfl_printer_opts opts;
	size_t line; /* records printed so far */
	struct row *rows; /* table mode: kept until close */
	size_t n_rows, cap_rows;
	struct dfl_strbuf buf, scratch;
	int err;
};

/* ---- pieces shared by the text formats ---------------------------------- */

void dfl_format_time(int64_t ns, enum dfl_time_format layout,
		     struct dfl_strbuf *out)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
					      "May", "Jun", "Jul", "Aug",
					      "Sep", "Oct", "Nov", "Dec" };
	int64_t sec = ns / 1000000000, frac = ns % 1000000000;
	time_t t;
	struct tm tm;
	char date[32];

	if (!ns) {
		dfl_strbuf__puts(out, "N/A");
		return;
	}
	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	t = (time_t)sec;
	gmtime_r(&t, &tm);
	switch (layout) {
	case DFL_TIME_STAMP_MILLI:
		dfl_strbuf__printf(out, "%s %2d %02d:%02d:%02d.%03d",
				   months[tm.tm_mon], tm.tm_mday, tm.tm_hour,
				   tm.tm_min, tm.tm_sec, (int)(frac / 1000000));
		return;
	default:
		break;
	}
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	dfl_strbuf__puts(out, date);
	if (layout == DFL_TIME_RFC3339_MILLI) {
		dfl_strbuf__printf(out, ".%03d", (int)(frac / 1000000));
	} else if (layout == DFL_TIME_RFC3339_MICRO) {
		dfl_strbuf__printf(out, ".%06d", (int)(frac / 1000));
	} else if (layout == DFL_TIME_RFC3339_NANO && frac) {
		char digits[16];
		int n = 9;

		snprintf(digits, sizeof(digits), "%09d", (int)frac);
		while (digits[n - 1] == '0')
			n--;
		dfl_strbuf__printf(out, ".%.*s", n, digits);
	}
	dfl_strbuf__putc(out, 'Z');
}

static bool present(const char *s)
{
	return s && *s;
}

static bool has_ports(const struct dfl_flow *f)
{
	return f->l4.proto == DFL_L4_TCP || f->l4.proto == DFL_L4_UDP ||
	       f->l4.proto == DFL_L4_SCTP;
}

/* Hubble's Hostname(): pod, service, DNS names or IP, then ":port". */
static void put_host(const struct dfl_flow *f, bool src,
		     const struct dfl_printer_opts *o, struct dfl_strbuf *out)
{
	const struct dfl_flow_endpoint *ep = src ? &f->source : &f->destination;
	const struct dfl_flow_service *svc =
		src ? &f->source_service : &f->destination_service;
	const char **names = src ? f->source_names : f->destination_names;
	size_t n_names = src ? f->n_source_names : f->n_destination_names;
	uint16_t port = src ? f->l4.source_port : f->l4.destination_port;
	const char *ns = ep->namespace;
	struct dfl_strbuf host = { 0 };
	char ip[64];

	if (!f->ip.version) {
		const uint8_t *m = src ? f->ethernet_source :
					 f->ethernet_destination;

		if (f->has_ethernet)
			dfl_strbuf__printf(out,
					   "%02x:%02x:%02x:%02x:%02x:%02x",
					   m[0], m[1], m[2], m[3], m[4], m[5]);
		return;
	}
	if (present(svc->name) || present(svc->namespace))
		ns = svc->namespace;
	dfl_flow_ip__str(&f->ip, src ? f->ip.source : f->ip.destination, ip,
			 sizeof(ip));
	if (!o->numeric && present(ep->pod_name)) {
		dfl_strbuf__printf(&host, "%s%s%s", present(ns) ? ns : "",
				   present(ns) ? "/" : "", ep->pod_name);
	} else if (!o->numeric && present(svc->name)) {
		dfl_strbuf__printf(&host, "%s%s%s", present(ns) ? ns : "",
				   present(ns) ? "/" : "", svc->name);
	} else if (!o->numeric && n_names) {
		for (size_t i = 0; i < n_names; i++)
			dfl_strbuf__printf(&host, "%s%s", i ? "," : "",
					   names[i] ? names[i] : "");
	} else {
		dfl_strbuf__puts(&host, ip);
	}
	if (has_ports(f) && port) {
		/* net.JoinHostPort brackets hosts with a colon */
		if (strchr(dfl_strbuf__str(&host), ':'))
			dfl_strbuf__printf(out, "[%s]:%u", dfl_strbuf__str(&host),
					   port);
		else
			dfl_strbuf__printf(out, "%s:%u", dfl_strbuf__str(&host),
					   port);
	} else {
		dfl_strbuf__puts(out, dfl_strbuf__str(&host));
	}
	dfl_strbuf__release(&host);
}

static void put_identity(uint32_t id, struct dfl_strbuf *out)
{
	const char *name = dfl_identity__reserved_name(id);

	if (name)
		dfl_strbuf__printf(out, "(%s)", name);
	else
		dfl_strbuf__printf(out, "(ID:%u)", id);
}

static bool l7_present(const struct dfl_flow *f)
{
	return f->l7.type != DFL_L7_UNKNOWN || f->l7.proto != DFL_L7_PROTO_NONE;
}

int dfl_flow__format_type(const struct dfl_flow *f, struct dfl_strbuf *out)
{
	const char *s;

	if (l7_present(f)) {
		const char *proto = f->l7.proto == DFL_L7_PROTO_HTTP ? "http" :
				    f->l7.proto == DFL_L7_PROTO_DNS  ? "dns" :
								       "l7";
		const char *t = dfl_l7_type__name(f->l7.type);

		dfl_strbuf__printf(out, "%s-", proto);
		for (; t && *t; t++)
			dfl_strbuf__putc(out, (char)(*t >= 'A' && *t <= 'Z' ?
							     *t + 32 :
							     *t));
		if (f->l7.proto == DFL_L7_PROTO_DNS)
			dfl_strbuf__printf(out, " %s",
					   f->l7.dns.observation_source ?
						   f->l7.dns.observation_source :
						   "");
		return out->err;
	}
	switch (f->event_type) {
	case DFL_EVENT_TRACE:
		s = dfl_trace_sub_type__text((uint8_t)f->event_sub_type);
		if (s)
			dfl_strbuf__puts(out, s);
		else
			dfl_strbuf__printf(out, "%u", (uint8_t)f->event_sub_type);
		break;
	case DFL_EVENT_DROP:
		s = dfl_drop_reason__text((uint8_t)f->event_sub_type);
		if (s)
			dfl_strbuf__puts(out, s);
		else
			dfl_strbuf__printf(out, "%u, 0", (uint8_t)f->event_sub_type);
		break;
	case DFL_EVENT_POLICY_VERDICT:
		dfl_strbuf__printf(out, "policy-verdict:%s %s",
				   dfl_policy_match__text(f->policy_match_type),
				   dfl_direction__name(f->traffic_direction) ?
					   dfl_direction__name(f->traffic_direction) :
					   "TRAFFIC_DIRECTION_UNKNOWN");
		break;
	case DFL_EVENT_CAPTURE:
		dfl_strbuf__puts(out, "DBG_CAPTURE_POINT_UNKNOWN");
		break;
	case DFL_EVENT_TRACE_SOCK:
		dfl_strbuf__puts(out, "SOCK_XLATE_POINT_UNKNOWN");
		break;
	default:
		dfl_strbuf__puts(out, "UNKNOWN");
	}
	return out->err;
}

const char *dfl_flow__verdict_word(const struct dfl_flow *f)
{
	bool pv = f->event_type == DFL_EVENT_POLICY_VERDICT;
	const char *name = dfl_verdict__name(f->verdict);

	switch (f->verdict) {
	case DFL_VERDICT_FORWARDED:
	case DFL_VERDICT_REDIRECTED:
		return pv ? "ALLOWED" : name;
	case DFL_VERDICT_DROPPED:
	case DFL_VERDICT_ERROR:
		return pv ? "DENIED" : name;
	case DFL_VERDICT_AUDIT:
		return pv ? "AUDITED" : name;
	default:
		return name ? name : "VERDICT_UNKNOWN";
	}
}

static void put_summary(const struct dfl_flow *f, struct dfl_strbuf *out)
{
	struct dfl_strbuf scratch = { 0 };

	dfl_strbuf__puts(out, dfl_flow__summary_str(f, &scratch));
	if (f->auth_type != DFL_AUTH_TYPE_DISABLED) {
		const char *a = dfl_auth_type__name(f->auth_type);

		if (a)
			dfl_strbuf__printf(out, "; %s", a);
		else
			dfl_strbuf__printf(out, "; %u", f->auth_type);
	}
	dfl_strbuf__release(&scratch);
}

/* Terminal safety (hubble/pkg/printer/terminal.go): ESC and CR from the
 * data must not reach a terminal. */
static void put_escaped(struct dfl_strbuf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\x1b')
			dfl_strbuf__puts(out, "^[");
		else if (s[i] == '\r')
			dfl_strbuf__puts(out, "\\r");
		else
			dfl_strbuf__putc(out, s[i]);
	}
}

int dfl_flow__format_compact(const struct dfl_flow *f,
			     const struct dfl_printer_opts *o,
			     struct dfl_strbuf *out)
{
	struct dfl_strbuf l = { 0 }, src = { 0 }, dst = { 0 };
	struct dfl_strbuf src_id = { 0 }, dst_id = { 0 };
	const char *arrow = "->";
	struct dfl_strbuf *a = &src, *b = &dst, *ai = &src_id, *bi = &dst_id;
	int err;

	put_host(f, true, o, &src);
	put_host(f, false, o, &dst);
	put_identity(f->source.identity, &src_id);
	put_identity(f->destination.identity, &dst_id);
	if (f->is_reply == DFL_REPLY_UNKNOWN) {
		arrow = "<>";
	} else if (f->is_reply == DFL_REPLY_YES) {
		a = &dst, b = &src, ai = &dst_id, bi = &src_id;
		arrow = "<-";
	}
	dfl_format_time(f->time_ns, o->time_format, &l);
	if (o->node_name)
		dfl_strbuf__printf(&l, " [%s]", f->node_name ? f->node_name : "");
	dfl_strbuf__printf(&l, ": %s %s %s %s %s ", dfl_strbuf__str(a),
			   dfl_strbuf__str(ai), arrow, dfl_strbuf__str(b),
			   dfl_strbuf__str(bi));
	dfl_flow__format_type(f, &l);
	dfl_strbuf__printf(&l, " %s (", dfl_flow__verdict_word(f));
	put_summary(f, &l);
	dfl_strbuf__puts(&l, ")\n");
	put_escaped(out, dfl_strbuf__str(&l), l.len);
	err = l.err ? l.err : out->err;
	dfl_strbuf__release(&l);
	dfl_strbuf__release(&src);
	dfl_strbuf__release(&dst);
	dfl_strbuf__release(&src_id);
	dfl_strbuf__release(&dst_id);
	return err;
}

/* ---- the printer object ------------------------------------------------- */

struct dfl_printer *dfl_printer__new(FILE *out,
				     const struct dfl_printer_opts *opts)
{
	struct dfl_printer *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->out = out;
	p->opts = *opts;
	return p;
}

static void emit(struct dfl_printer *p, const char *s, size_t len)
{
	if (!p->err && fwrite(s, 1, len, p->out) != len)
		p->err = -EIO;
}

static int add_row(struct dfl_printer *p, const char *const *cells, size_t n)
{
	struct row *r = DFL_PUSH(p->rows, p->n_rows, p->cap_rows);

	if (!r)
		return -ENOMEM;
	r->cells = calloc(n, sizeof(*r->cells));
	if (!r->cells)
		return -ENOMEM;
	r->n = n;
	for (size_t i = 0; i < n; i++) {
		struct dfl_strbuf e = { 0 };

		put_escaped(&e, cells[i], strlen(cells[i]));
		r->cells[i] = dfl_strbuf__detach(&e);
		if (!r->cells[i])
			r->cells[i] = strdup("");
		if (!r->cells[i])
			return -ENOMEM;
	}
	return 0;
}

static int table_header(struct dfl_printer *p)
{
	const char *h[] = { "TIMESTAMP", "NODE",    "SOURCE", "DESTINATION",
			    "TYPE",	 "VERDICT", "SUMMARY" };
	const char *cells[7];
	size_t n = 0;

	for (size_t i = 0; i < 7; i++)
		if (i != 1 || p->opts.node_name)
			cells[n++] = h[i];
	return add_row(p, cells, n);
}

/* The dict and table formats: host:port without identities. */
static int print_flow_text(struct dfl_printer *p, const struct dfl_flow *f)
{
	struct dfl_strbuf ts = { 0 }, src = { 0 }, dst = { 0 }, type = { 0 },
			  sum = { 0 };
	int err = 0;

	dfl_format_time(f->time_ns, p->opts.time_format, &ts);
	put_host(f, true, &p->opts, &src);
	put_host(f, false, &p->opts, &dst);
	dfl_flow__format_type(f, &type);
	put_summary(f, &sum);
	if (p->opts.format == DFL_PRINT_TABLE) {
		const char *cells[7];
		size_t n = 0;

		if (!p->line)
			err = table_header(p);
		cells[n++] = dfl_strbuf__str(&ts);
		if (p->opts.node_name)
			cells[n++] = f->node_name ? f->node_name : "";
		cells[n++] = dfl_strbuf__str(&src);
		cells[n++] = dfl_strbuf__str(&dst);
		cells[n++] = dfl_strbuf__str(&type);
		cells[n++] = dfl_flow__verdict_word(f);
		cells[n++] = dfl_strbuf__str(&sum);
		if (!err)
			err = add_row(p, cells, n);
	} else {
		struct dfl_strbuf *b = &p->buf;

		dfl_strbuf__reset(b);
		if (p->line)
			dfl_strbuf__puts(b, "------------\n");
		dfl_strbuf__printf(b, "  TIMESTAMP: %s\n", dfl_strbuf__str(&ts));
		if (p->opts.node_name)
			dfl_strbuf__printf(b, "       NODE: %s\n",
					   f->node_name ? f->node_name : "");
		dfl_strbuf__printf(b,
				   "     SOURCE: %s\nDESTINATION: %s\n"
				   "       TYPE: %s\n    VERDICT: %s\n"
				   "    SUMMARY: %s\n",
				   dfl_strbuf__str(&src), dfl_strbuf__str(&dst),
				   dfl_strbuf__str(&type),
				   dfl_flow__verdict_word(f),
				   dfl_strbuf__str(&sum));
		dfl_strbuf__reset(&p->scratch);
		put_escaped(&p->scratch, dfl_strbuf__str(b), b->len);
		emit(p, dfl_strbuf__str(&p->scratch), p->scratch.len);
	}
	dfl_strbuf__release(&ts);
	dfl_strbuf__release(&src);
	dfl_strbuf__release(&dst);
	dfl_strbuf__release(&type);
	dfl_strbuf__release(&sum);
	return err;
}

int dfl_printer__flow(struct dfl_printer *p, const struct dfl_flow *f)
{
	int err = 0;

	switch (p->opts.format) {
	case DFL_PRINT_COMPACT:
		dfl_strbuf__reset(&p->buf);
		err = dfl_flow__format_compact(f, &p->opts, &p->buf);
		if (!err)
			emit(p, dfl_strbuf__str(&p->buf), p->buf.len);
		break;
	case DFL_PRINT_JSON:
		dfl_strbuf__reset(&p->buf);
		err = dfl_flow__to_json_line(f, NULL, &p->buf);
		if (!err)
			emit(p, dfl_strbuf__str(&p->buf), p->buf.len);
		break;
	case DFL_PRINT_DICT:
	case DFL_PRINT_TABLE:
		err = print_flow_text(p, f);
		break;
	}
	p->line++;
	return err ? err : p->err;
}

static int print_lost(struct dfl_printer *p, const struct dfl_flow_record *rec)
{
	const struct dfl_lost_events *l = &rec->lost;
	const char *src = dfl_lost_source__name(l->source);
	struct dfl_strbuf *b = &p->buf;
	char summary[64];
	int err = 0;

	if (!src)
		src = "UNKNOWN_LOST_EVENT_SOURCE";
	dfl_strbuf__reset(b);
	snprintf(summary, sizeof(summary), "CPU(%d) - %llu", l->cpu,
		 (unsigned long long)l->num_events_lost);
	switch (p->opts.format) {
	case DFL_PRINT_COMPACT:
		dfl_strbuf__printf(b, "EVENTS LOST: %s CPU(%d) %llu\n", src,
				   l->cpu, (unsigned long long)l->num_events_lost);
		break;
	case DFL_PRINT_JSON:
		err = dfl_lost_events__to_json_line(l, rec->time_ns,
						    rec->node_name, b);
		break;
	case DFL_PRINT_DICT:
		if (p->line)
			dfl_strbuf__puts(b, "------------\n");
		dfl_strbuf__puts(b, "  TIMESTAMP: \n");
		if (p->opts.node_name)
			dfl_strbuf__puts(b, "       NODE: \n");
		dfl_strbuf__printf(b,
				   "     SOURCE: %s\n       TYPE: EVENTS LOST\n"
				   "    VERDICT: \n    SUMMARY: %s\n",
				   src, summary);
		break;
	case DFL_PRINT_TABLE: {
		const char *cells[7];
		size_t n = 0;

		if (!p->line)
			err = table_header(p);
		cells[n++] = "";
		if (p->opts.node_name)
			cells[n++] = "";
		cells[n++] = src;
		cells[n++] = "";
		cells[n++] = "EVENTS LOST";
		cells[n++] = "";
		cells[n++] = summary;
		if (!err)
			err = add_row(p, cells, n);
		break;
	}
	}
	emit(p, dfl_strbuf__str(b), b->len);
	p->line++;
	return err ? err : p->err;
}

int dfl_printer__record(struct dfl_printer *p,
			const struct dfl_flow_record *rec, const char *raw,
			size_t raw_len)
{
	if (rec->kind == DFL_RECORD_LOST)
		return print_lost(p, rec);
	if (rec->kind != DFL_RECORD_FLOW || !rec->flow)
		return 0; /* agent/debug events print nothing, as in Hubble */
	if (p->opts.format == DFL_PRINT_JSON && raw) {
		emit(p, raw, raw_len);
		if (!raw_len || raw[raw_len - 1] != '\n')
			emit(p, "\n", 1);
		p->line++;
		return p->err;
	}
	return dfl_printer__flow(p, rec->flow);
}

/* Go's text/tabwriter with minwidth 2, tabwidth 0, padding 3, padchar ' ':
 * every cell but a row's last is padded to its column's widest cell plus 3. */
static size_t runes(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void flush_table(struct dfl_printer *p)
{
	size_t cols = 0, *width;

	for (size_t i = 0; i < p->n_rows; i++)
		if (p->rows[i].n > cols)
			cols = p->rows[i].n;
	width = calloc(cols ? cols : 1, sizeof(*width));
	if (!width) {
		p->err = -ENOMEM;
		return;
	}
	for (size_t c = 0; c + 1 < cols; c++) {
		width[c] = 2;
		for (size_t i = 0; i < p->n_rows; i++)
			if (c + 1 < p->rows[i].n &&
			    runes(p->rows[i].cells[c]) + 3 > width[c])
				width[c] = runes(p->rows[i].cells[c]) + 3;
	}
	for (size_t i = 0; i < p->n_rows; i++) {
		struct row *r = &p->rows[i];

		for (size_t c = 0; c < r->n; c++) {
			emit(p, r->cells[c], strlen(r->cells[c]));
			if (c + 1 < r->n)
				for (size_t pad = runes(r->cells[c]);
				     pad < width[c]; pad++)
					emit(p, " ", 1);
		}
		emit(p, "\n", 1);
	}
	free(width);
}

int dfl_printer__close(struct dfl_printer *p)
{
	int err;

	if (!p)
		return 0;
	if (p->opts.format == DFL_PRINT_TABLE)
		flush_table(p);
	if (!p->err && fflush(p->out))
		p->err = -EIO;
	err = p->err;
	for (size_t i = 0; i < p->n_rows; i++) {
		for (size_t c = 0; c < p->rows[i].n; c++)
			free(p->rows[i].cells[c]);
		free(p->rows[i].cells);
	}
	free(p->rows);
	dfl_strbuf__release(&p->buf);
	dfl_strbuf__release(&p->scratch);
	free(p);
	return err;
}
