/* Chain manifest parsing (flow/manifest.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flow/manifest.h"
#include "util/mem.h"

static int __attribute__((format(printf, 4, 5)))
merr(char *err, size_t len, size_t line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, len, "line %zu: ", line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < len)
		vsnprintf(err + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_u64(const char *s, uint64_t *out, const char **end)
{
	char *e;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &e, 10);
	if (errno)
		return -EINVAL;
	*end = e;
	return 0;
}

/* "<n> <64 hex>" */
static int parse_cp(const char *s, struct dfl_manifest_cp *cp)
{
	const char *e;

	if (parse_u64(s, &cp->n, &e) || *e != ' ' || strlen(e + 1) != 64)
		return -EINVAL;
	return dfl_unhex(e + 1, cp->head, DFL_CHAIN_LEN);
}

static int parse_line(struct dfl_manifest *m, char *l, size_t no, char *err,
		      size_t errlen)
{
	if (no == 1) {
		if (strcmp(l, DFL_CHAIN_MAGIC))
			return merr(err, errlen, no, "not a deflector chain manifest");
		return 0;
	}
	if (!strncmp(l, "r ", 2)) {
		uint8_t(*slot)[DFL_CHAIN_REC_LEN];

		if (strlen(l + 2) != 2 * DFL_CHAIN_REC_LEN)
			return merr(err, errlen, no, "bad record digest");
		slot = DFL_PUSH(m->recs, m->n_recs, m->cap_recs);
		if (!slot)
			return -ENOMEM;
		if (dfl_unhex(l + 2, *slot, DFL_CHAIN_REC_LEN))
			return merr(err, errlen, no, "bad record digest");
		return 0;
	}
	if (!strncmp(l, "c ", 2)) {
		struct dfl_manifest_cp *cp = DFL_PUSH(m->cps, m->n_cps, m->cap_cps);

		if (!cp)
			return -ENOMEM;
		if (parse_cp(l + 2, cp) || cp->n > m->n_recs)
			return merr(err, errlen, no, "bad checkpoint");
		return 0;
	}
	if (!strncmp(l, "seal ", 5)) {
		if (parse_cp(l + 5, &m->seal) || m->seal.n != m->n_recs)
			return merr(err, errlen, no, "bad seal");
		m->sealed = true;
		return 0;
	}
	if (!strncmp(l, "recovered ", 10)) {
		struct dfl_manifest_range *r =
			DFL_PUSH(m->recovered, m->n_recovered, m->cap_recovered);
		const char *e;

		if (!r)
			return -ENOMEM;
		if (parse_u64(l + 10, &r->from, &e) || *e != ' ' ||
		    parse_u64(e + 1, &r->to, &e) || *e || r->from > r->to)
			return merr(err, errlen, no, "bad recovered range");
		return 0;
	}
	if (!strncmp(l, "alg ", 4)) {
		snprintf(m->alg, sizeof(m->alg), "%s", l + 4);
		return 0;
	}
	if (!strncmp(l, "prev ", 5)) {
		if (strlen(l + 5) != 64 || dfl_unhex(l + 5, m->prev, DFL_CHAIN_LEN))
			return merr(err, errlen, no, "bad prev");
		return 0;
	}
	return merr(err, errlen, no, "unknown line '%.40s'", l);
}

int dfl_manifest__parse(struct dfl_manifest *m, const char *text, size_t len,
			char *err, size_t errlen)
{
	size_t off = 0, no = 0;
	char *line = NULL;
	int ret = 0;

	memset(m, 0, sizeof(*m));
	snprintf(m->alg, sizeof(m->alg), "sha256");
	while (off < len && !ret) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n;

		if (!nl) { /* torn last line */
			m->torn_bytes = len - off;
			break;
		}
		n = (size_t)(nl - (text + off));
		free(line);
		line = strndup(text + off, n);
		if (!line) {
			ret = -ENOMEM;
			break;
		}
		if (m->sealed) {
			ret = merr(err, errlen, no + 1, "data after the seal");
			break;
		}
		ret = parse_line(m, line, ++no, err, errlen);
		off += n + 1;
		if (!ret)
			m->valid_bytes = off;
	}
	free(line);
	if (!ret && no == 0 && len)
		ret = merr(err, errlen, 1, "not a deflector chain manifest");
	if (ret)
		dfl_manifest__release(m);
	return ret;
}

int dfl_manifest__load(struct dfl_manifest *m, const char *path, char *err,
		       size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;
	struct stat st;
	char *buf = NULL;
	size_t got = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	ret = dfl_manifest__parse(m, buf, got, err, errlen);
out:
	free(buf);
	close(fd);
	return ret;
}

void dfl_manifest__release(struct dfl_manifest *m)
{
	free(m->recs);
	free(m->cps);
	free(m->recovered);
	m->recs = NULL;
	m->cps = NULL;
	m->recovered = NULL;
	m->n_recs = m->n_cps = m->n_recovered = 0;
	m->cap_recs = m->cap_cps = m->cap_recovered = 0;
}

void dfl_manifest__path_for(const char *log, char *out, size_t len)
{
	size_t n = strlen(log);

	if (n > 3 && !strcmp(log + n - 3, ".gz"))
		n -= 3;
	snprintf(out, len, "%.*s.chain", (int)n, log);
}
