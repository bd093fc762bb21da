/* `deflector audit verify` (flow/audit.h): segments against their chain
 * manifests (format in flow/chain.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/audit.h"
#include "flow/manifest.h"
#include "flow/reader.h"
#include "util/mem.h"

struct segment {
	const char *path;
	struct dfl_manifest m;
	bool have_manifest;
	uint8_t (*digests)[DFL_CHAIN_LEN]; /* of the log's lines */
	uint64_t *line_of;		   /* 1-based line number per digest */
	size_t n;
	uint8_t end[DFL_CHAIN_LEN]; /* chain value at the end */
	bool linked;		    /* some other segment continues from it */
};

struct verifier {
	dfl_verify_fn fn;
	void *ctx;
	struct dfl_verify_result *res;
	struct dfl_chain chain; /* algorithm and key */
};

static void __attribute__((format(printf, 3, 4)))
say(struct verifier *v, bool problem, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (problem)
		v->res->problems++;
	else
		v->res->notes++;
	v->fn(v->ctx, problem, msg);
}

static int read_lines(struct verifier *v, struct segment *s)
{
	struct dfl_line_reader *lr = dfl_line_reader__open(s->path);
	size_t cap = 0, cap2 = 0, n2 = 0;
	const char *line;
	size_t len;
	int ret;

	if (!lr) {
		say(v, true, "%s: %s", s->path, strerror(errno));
		return -errno;
	}
	while ((ret = dfl_line_reader__next(lr, &line, &len)) != 0) {
		uint8_t(*d)[DFL_CHAIN_LEN];
		uint64_t *ln;

		if (ret == -E2BIG) {
			say(v, true, "%s: line %" PRIu64 " is over %d bytes long",
			    s->path, dfl_line_reader__line_no(lr),
			    DFL_READER_LINE_MAX);
			continue;
		}
		if (ret < 0) {
			say(v, true, "%s: %s", s->path, strerror(-ret));
			break;
		}
		if (dfl_line_reader__unterminated(lr))
			say(v, true, "%s: line %" PRIu64 " has no newline "
			    "(torn write)", s->path, dfl_line_reader__line_no(lr));
		d = DFL_PUSH(s->digests, s->n, cap);
		ln = DFL_PUSH(s->line_of, n2, cap2);
		if (!d || !ln) {
			ret = -ENOMEM;
			break;
		}
		dfl_chain__digest(&v->chain, line, len, *d);
		*ln = dfl_line_reader__line_no(lr);
	}
	dfl_line_reader__close(lr);
	return ret < 0 && ret != -E2BIG ? ret : 0;
}

/* Where record digest <d> is in the manifest, preferring the first unused
 * entry at or after <from>; 0 when it is not there. Manifests list a few
 * thousand records; a linear scan from <from> finds the common case at once. */
static size_t find_rec(const struct dfl_manifest *m, const uint8_t *d,
		       size_t from, const bool *used)
{
	for (size_t j = from; j <= m->n_recs; j++)
		if (!used[j] && !memcmp(m->recs[j - 1], d, DFL_CHAIN_REC_LEN))
			return j;
	for (size_t j = 1; j < from && j <= m->n_recs; j++)
		if (!used[j] && !memcmp(m->recs[j - 1], d, DFL_CHAIN_REC_LEN))
			return j;
	return 0;
}

static bool in_log_later(const struct segment *s, size_t i, size_t j)
{
	for (size_t k = i; k < s->n; k++)
		if (!memcmp(s->digests[k], s->m.recs[j - 1], DFL_CHAIN_REC_LEN))
			return true;
	return false;
}

/* Lines against manifest records, in order. Returns the number of
 * problems found. */
static uint64_t align(struct verifier *v, struct segment *s)
{
	const struct dfl_manifest *m = &s->m;
	bool *used = calloc(m->n_recs + 1, sizeof(*used));
	uint64_t before = v->res->problems;
	size_t expect = 1;

	if (!used)
		return 1;
	for (size_t i = 0; i < s->n; i++) {
		size_t j = find_rec(m, s->digests[i], expect, used);
		uint64_t line = s->line_of[i];

		if (j == expect) {
			used[j] = true;
			expect++;
			continue;
		}
		if (!j) {
			/* an unknown line where record <expect> should be, and
			 * that record nowhere later: it was edited in place */
			if (expect <= m->n_recs && !in_log_later(s, i, expect)) {
				say(v, true, "%s: record %zu (line %" PRIu64
				    ") was edited: it does not match its "
				    "manifest entry", s->path, expect, line);
				used[expect++] = true;
			} else {
				say(v, true, "%s: line %" PRIu64 " is not in the "
				    "manifest: inserted", s->path, line);
			}
			continue;
		}
		used[j] = true;
		if (j > expect) {
			/* records skipped over: deleted, unless they turn up
			 * later (reported there as out of order) */
			for (size_t k = expect; k < j; k++) {
				if (used[k] || in_log_later(s, i + 1, k))
					continue;
				say(v, true, "%s: record %zu was deleted (it "
				    "belonged before line %" PRIu64 ")",
				    s->path, k, line);
				used[k] = true;
			}
			expect = j + 1;
		} else {
			say(v, true, "%s: record %zu (line %" PRIu64 ") comes "
			    "after record %zu: reordered", s->path, j, line,
			    expect - 1);
		}
	}
	for (size_t k = 1; k <= m->n_recs; k++)
		if (!used[k])
			say(v, true, "%s: record %zu was deleted (after the "
			    "last line)", s->path, k);
	free(used);
	return v->res->problems - before;
}

/* Recomputes the chain from the lines and compares it with the manifest's
 * checkpoints and seal: a manifest edited to match edited lines shows here
 * (unless whoever did it also had the key, or no key was used and they
 * rewrote every later value, which the next segment's prev then betrays). */
static void check_chain(struct verifier *v, struct segment *s)
{
	struct dfl_chain c = v->chain;
	size_t cp = 0;

	memcpy(c.head, s->m.prev, DFL_CHAIN_LEN);
	c.n = 0;
	for (size_t i = 0; i <= s->n; i++) {
		while (cp < s->m.n_cps && s->m.cps[cp].n == c.n) {
			if (memcmp(s->m.cps[cp].head, c.head, DFL_CHAIN_LEN))
				say(v, true, "%s: the manifest's chain value "
				    "after record %" PRIu64 " does not match the "
				    "records: the manifest was altered",
				    s->path, c.n);
			cp++;
		}
		if (i == s->n)
			break;
		dfl_chain__step(&c, s->digests[i]);
	}
	if (s->m.sealed && memcmp(s->m.seal.head, c.head, DFL_CHAIN_LEN))
		say(v, true, "%s: the seal does not match the records: the "
		    "manifest was altered", s->path);
	if (!s->m.sealed)
		memcpy(s->end, c.head, DFL_CHAIN_LEN); /* the live head */
}

static int check_alg(struct verifier *v, struct segment *s)
{
	char want[64];

	dfl_chain__alg(&v->chain, want, sizeof(want));
	if (!strcmp(want, s->m.alg))
		return 0;
	if (!strncmp(s->m.alg, "hmac-sha256", 11) && !v->chain.key_len)
		say(v, true, "%s: the manifest is keyed (%s): give its key "
		    "with --key FILE", s->path, s->m.alg);
	else
		say(v, true, "%s: the manifest uses %s, not %s (wrong key?)",
		    s->path, s->m.alg, want);
	return -EINVAL;
}

static void verify_segment(struct verifier *v, struct segment *s)
{
	char chain_path[4096], err[256] = "";
	int ret;

	dfl_manifest__path_for(s->path, chain_path, sizeof(chain_path));
	ret = dfl_manifest__load(&s->m, chain_path, err, sizeof(err));
	if (ret) {
		say(v, true, "%s: %s: %s: this segment cannot be verified",
		    s->path, chain_path, ret == -EINVAL ? err : strerror(-ret));
		return;
	}
	s->have_manifest = true;
	if (check_alg(v, s))
		return;
	if (s->m.torn_bytes)
		say(v, false, "%s: the manifest's last line is torn (crash "
		    "while writing)", chain_path);
	for (size_t i = 0; i < s->m.n_recovered; i++)
		say(v, false, "%s: records %" PRIu64 "-%" PRIu64 " were hashed "
		    "when the exporter restarted after a crash, not when they "
		    "were written", s->path, s->m.recovered[i].from,
		    s->m.recovered[i].to);
	/* the end value the manifest claims links segments; whether the
	 * records bear it out is check_chain()'s question */
	if (s->m.sealed)
		memcpy(s->end, s->m.seal.head, DFL_CHAIN_LEN);
	else if (s->m.n_cps)
		memcpy(s->end, s->m.cps[s->m.n_cps - 1].head, DFL_CHAIN_LEN);
	else
		memcpy(s->end, s->m.prev, DFL_CHAIN_LEN);
	if (align(v, s) == 0)
		check_chain(v, s);
	v->res->records += s->n;
}

static void release(struct segment *s)
{
	dfl_manifest__release(&s->m);
	free(s->digests);
	free(s->line_of);
}

int dfl_audit__verify(const char *const *files, size_t n, const uint8_t *key,
		      size_t key_len, dfl_verify_fn fn, void *ctx,
		      struct dfl_verify_result *res)
{
	struct verifier v = { .fn = fn, .ctx = ctx, .res = res };
	struct segment *segs = calloc(n ? n : 1, sizeof(*segs));
	size_t ns = 0, *order = NULL, no = 0;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	if (!segs || dfl_chain__init(&v.chain, NULL, key, key_len)) {
		free(segs);
		return key_len > 64 ? -EINVAL : -ENOMEM;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		if (dfl_flow_file__is_sidecar(files[i]))
			continue;
		segs[ns].path = files[i];
		ret = read_lines(&v, &segs[ns]);
		if (!ret)
			verify_segment(&v, &segs[ns]);
		ns++;
	}
	res->segments = ns;
	order = calloc(ns ? ns : 1, sizeof(*order));
	if (!order)
		ret = -ENOMEM;
	/* Chain order: each segment's prev is its predecessor's end value.
	 * The first has no predecessor among those given (it was deleted by
	 * retention or it is the very first). */
	for (size_t i = 0; !ret && i < ns; i++) {
		bool has_pred = false;

		if (!segs[i].have_manifest)
			continue;
		for (size_t j = 0; j < ns; j++)
			if (j != i && segs[j].have_manifest &&
			    !memcmp(segs[j].end, segs[i].m.prev, DFL_CHAIN_LEN)) {
				has_pred = true;
				segs[j].linked = true;
			}
		if (!has_pred)
			order[no++] = i;
	}
	/* the true first segment starts from zeros; else the oldest name */
	for (size_t k = 1; !ret && k < no; k++) {
		static const uint8_t zero[DFL_CHAIN_LEN];
		const struct segment *a = &segs[order[0]], *b = &segs[order[k]];
		bool a0 = !memcmp(a->m.prev, zero, DFL_CHAIN_LEN);
		bool b0 = !memcmp(b->m.prev, zero, DFL_CHAIN_LEN);

		if ((b0 && !a0) || (b0 == a0 && strcmp(b->path, a->path) < 0)) {
			size_t t = order[0];

			order[0] = order[k];
			order[k] = t;
		}
	}
	if (!ret && no > 1) {
		for (size_t k = 1; k < no; k++) {
			char hex[65];

			dfl_hex(segs[order[k]].m.prev, DFL_CHAIN_LEN, hex);
			say(&v, true, "%s does not continue any segment given: "
			    "it starts from chain value %.16s..., which ends "
			    "none of them (a segment in between is missing?)",
			    segs[order[k]].path, hex);
		}
	}
	if (!ret && no >= 1) {
		static const uint8_t zero[DFL_CHAIN_LEN];

		if (memcmp(segs[order[0]].m.prev, zero, DFL_CHAIN_LEN))
			say(&v, false, "%s starts after a segment not given "
			    "(rotated away by retention?)", segs[order[0]].path);
	}
	/* the head: the end of the one segment nobody continues */
	for (size_t i = 0; !ret && i < ns; i++) {
		if (segs[i].have_manifest && !segs[i].linked) {
			memcpy(res->head, segs[i].end, DFL_CHAIN_LEN);
			res->has_head = true;
		}
	}
	for (size_t i = 0; i < ns; i++)
		release(&segs[i]);
	free(order);
	free(segs);
	return ret;
}
