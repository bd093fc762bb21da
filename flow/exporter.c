/* The flow exporter (flow/exporter.h): a queue filled by export() and a
 * writer thread that owns the files: segment, chain manifest, rotation. A
 * second thread gzips rotated segments so that compression never holds up
 * writing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "flow/chain.h"
#include "flow/exporter.h"
#include "flow/fieldmask.h"
#include "flow/flow.h"
#include "flow/json.h"
#include "flow/manifest.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

#define CHUNK_MAX (1024 * 1024) /* bytes per write() */

struct dfl_exporter {
	/* configuration, fixed after new() */
	char *name, *path, *chain_path, *dir, *stem, *ext, *node_name;
	bool to_stdout, chain_on, compress;
	uint64_t max_bytes;
	unsigned int max_backups, fsync_ms;
	size_t queue_cap;
	int64_t end_ns;
	struct dfl_fieldmask *mask;
	struct dfl_flow_filters include, exclude;
	uint8_t key[64];
	size_t key_len;

	/* the queue, under <lock> */
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* the writer: data, lost counts, stop */
	pthread_cond_t drained; /* flush(): the writer caught up */
	struct dfl_strbuf queue;
	uint64_t queued_lines, taken_lines, done_lines;
	uint64_t lost_pending[DFL_LOST_HUBBLE_RING_BUFFER + 1];
	bool stop;
	struct dfl_exporter_stats st;

	/* the writer thread's own state */
	pthread_t writer;
	bool writer_started;
	int fd, cfd;
	uint64_t size;	  /* bytes in the current segment */
	struct dfl_chain chain;
	uint64_t cp_n;	  /* records covered by the last checkpoint */
	struct dfl_strbuf wbuf, mbuf;
	uint64_t wbuf_lines;
	struct dfl_chain chain_at_chunk; /* to undo a failed write */
	int64_t last_fsync_ns;
	bool dirty;
	int last_err; /* last write error reported, to warn once */

	/* the compressor thread */
	pthread_t gz;
	bool gz_started, gz_stop;
	pthread_mutex_t gz_lock;
	pthread_cond_t gz_cond;
	char **gz_paths;
	size_t n_gz, cap_gz;
};

/* Warnings name the flow log when it has a name ("exporter drops: ..."). */
#define ewarn(e, fmt, ...)                                                  \
	pr_warn("exporter%s%s: " fmt "\n", (e)->name ? " " : "",           \
		(e)->name ? (e)->name : "", ##__VA_ARGS__)

/* ---- files -------------------------------------------------------------- */

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void fsync_dir(const struct dfl_exporter *e)
{
	int fd = open(e->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Cuts a torn last line (no newline) off <fd>. Returns bytes cut or -errno. */
static int64_t repair_tail(int fd, uint64_t *size)
{
	struct stat st;
	char buf[4096];
	off_t end, pos;

	if (fstat(fd, &st))
		return -errno;
	end = st.st_size;
	pos = end;
	while (pos > 0) {
		size_t n = pos >= (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		ssize_t got = pread(fd, buf, n, pos - (off_t)n);

		if (got != (ssize_t)n)
			return got < 0 ? -errno : -EIO;
		for (size_t i = n; i > 0; i--) {
			if (buf[i - 1] == '\n') {
				pos = pos - (off_t)n + (off_t)i;
				goto found;
			}
		}
		pos -= (off_t)n;
	}
found:
	if (pos != end && ftruncate(fd, pos))
		return -errno;
	*size = (uint64_t)pos;
	return end - pos;
}

static void manifest_header(struct dfl_exporter *e, const uint8_t *prev)
{
	char alg[64], hex[65];

	dfl_chain__alg(&e->chain, alg, sizeof(alg));
	dfl_hex(prev, DFL_CHAIN_LEN, hex);
	dfl_strbuf__printf(&e->mbuf, DFL_CHAIN_MAGIC "\nalg %s\nprev %s\n", alg,
			   hex);
}

static void manifest_record(struct dfl_exporter *e, const char *line,
			    size_t len)
{
	uint8_t d[DFL_CHAIN_LEN];
	char hex[2 * DFL_CHAIN_REC_LEN + 1];

	dfl_chain__digest(&e->chain, line, len, d);
	dfl_chain__step(&e->chain, d);
	dfl_hex(d, DFL_CHAIN_REC_LEN, hex);
	dfl_strbuf__printf(&e->mbuf, "r %s\n", hex);
}

static void manifest_mark(struct dfl_exporter *e, const char *what)
{
	char hex[65];

	dfl_hex(e->chain.head, DFL_CHAIN_LEN, hex);
	dfl_strbuf__printf(&e->mbuf, "%s %" PRIu64 " %s\n", what, e->chain.n,
			   hex);
	if (!strcmp(what, "c"))
		e->cp_n = e->chain.n;
}

static int manifest_flush(struct dfl_exporter *e)
{
	int ret = 0;

	if (e->mbuf.err)
		ret = e->mbuf.err;
	else if (e->cfd >= 0 && e->mbuf.len)
		ret = write_all(e->cfd, e->mbuf.buf, e->mbuf.len);
	dfl_strbuf__reset(&e->mbuf);
	if (ret)
		ewarn(e, "%s: %s; the chain manifest lags behind "
			"and will be recovered from the log on restart",
			e->chain_path, strerror(-ret));
	return ret;
}

/* Opens a fresh segment whose chain starts at <prev>. */
static int open_segment(struct dfl_exporter *e, const uint8_t *prev)
{
	e->fd = open(e->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (e->fd < 0)
		return -errno;
	e->size = 0;
	if (!e->chain_on)
		return 0;
	e->cfd = open(e->chain_path,
		      O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
	if (e->cfd < 0)
		return -errno;
	dfl_chain__init(&e->chain, prev, e->key, e->key_len);
	e->cp_n = 0;
	manifest_header(e, prev);
	return manifest_flush(e);
}

/* "<stem>-2006-01-02T15-04-05.000<ext>", unused so far (also as .gz). */
static char *rotated_name(const struct dfl_exporter *e)
{
	int64_t ns = dfl_time_now_ns();
	struct dfl_strbuf sb = { 0 };

	for (;; ns += 1000000) {
		time_t t = (time_t)(ns / 1000000000);
		struct tm tm;
		char ts[32], gz[4096];

		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H-%M-%S", &tm);
		dfl_strbuf__reset(&sb);
		dfl_strbuf__printf(&sb, "%s-%s.%03d%s", e->stem, ts,
				   (int)(ns / 1000000 % 1000), e->ext);
		snprintf(gz, sizeof(gz), "%s.gz", dfl_strbuf__str(&sb));
		if (sb.err || (access(dfl_strbuf__str(&sb), F_OK) &&
			       access(gz, F_OK)))
			break;
	}
	return dfl_strbuf__detach(&sb);
}

static bool is_backup(const struct dfl_exporter *e, const char *name)
{
	const char *base = strrchr(e->stem, '/');
	size_t bl, el = strlen(e->ext), n = strlen(name);

	base = base ? base + 1 : e->stem;
	bl = strlen(base);
	if (strncmp(name, base, bl) || name[bl] != '-')
		return false;
	if (n > el && !strcmp(name + n - el, e->ext))
		return true;
	return n > el + 3 && !strcmp(name + n - 3, ".gz") &&
	       !strncmp(name + n - 3 - el, e->ext, el);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Deletes the oldest rotated segments (and their manifests) beyond
 * max_backups. A segment and its .gz count once. */
static void prune_backups(struct dfl_exporter *e)
{
	DIR *d = opendir(e->dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, distinct = 0;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char **slot;

		if (!is_backup(e, de->d_name))
			continue;
		slot = DFL_PUSH(names, n, cap);
		if (!slot || !(*slot = strdup(de->d_name))) {
			n -= !!slot;
			break;
		}
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	/* "x.log" and "x.log.gz" (compression under way) are one backup */
	for (size_t i = 0; i < n; i++)
		distinct += !(i && !strncmp(names[i], names[i - 1],
					    strlen(names[i - 1])));
	for (size_t i = 0; i < n && distinct > e->max_backups; i++) {
		char path[4096], chain[4096];
		bool same_as_next = i + 1 < n &&
				    !strncmp(names[i + 1], names[i], strlen(names[i]));

		snprintf(path, sizeof(path), "%s/%s", e->dir, names[i]);
		dfl_manifest__path_for(path, chain, sizeof(chain));
		unlink(path);
		if (!same_as_next) {
			unlink(chain);
			distinct--;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void queue_compress(struct dfl_exporter *e, char *path)
{
	char **slot;

	pthread_mutex_lock(&e->gz_lock);
	slot = DFL_PUSH(e->gz_paths, e->n_gz, e->cap_gz);
	if (slot)
		*slot = path;
	else
		free(path);
	pthread_cond_signal(&e->gz_cond);
	pthread_mutex_unlock(&e->gz_lock);
}

/* Renames the current segment and its manifest to the next rotated name
 * and opens a fresh segment chained to <prev>. *rotated receives the new
 * name of the old segment (caller frees), or NULL if it could not move. */
static int move_aside(struct dfl_exporter *e, const uint8_t *prev,
		      char **rotated)
{
	char *name = rotated_name(e), rchain[4096];
	int ret = 0;

	*rotated = NULL;
	if (!name)
		return -ENOMEM;
	if (rename(e->path, name)) {
		ret = -errno;
		ewarn(e, "cannot rotate %s: %s", e->path,
			strerror(errno));
	}
	if (!ret && e->chain_on) {
		dfl_manifest__path_for(name, rchain, sizeof(rchain));
		if (rename(e->chain_path, rchain) && errno != ENOENT)
			ewarn(e, "cannot rotate %s: %s", e->chain_path,
			      strerror(errno));
	}
	fsync_dir(e);
	if (e->fd >= 0)
		close(e->fd);
	if (e->cfd >= 0)
		close(e->cfd);
	e->fd = e->cfd = -1;
	if (!ret)
		*rotated = name;
	else
		free(name);
	ret = open_segment(e, prev);
	if (ret)
		ewarn(e, "cannot open %s: %s", e->path,
			strerror(-ret));
	return ret;
}

/* Seals the current segment, moves it aside, opens the next. */
static int rotate(struct dfl_exporter *e)
{
	uint8_t prev[DFL_CHAIN_LEN];
	char *rotated;
	int ret;

	if (e->chain_on) {
		manifest_mark(e, "seal");
		manifest_flush(e);
		fsync(e->cfd);
	}
	fsync(e->fd);
	memcpy(prev, e->chain.head, DFL_CHAIN_LEN);
	ret = move_aside(e, prev, &rotated);
	if (rotated) {
		e->st.rotations++;
		if (e->compress)
			queue_compress(e, rotated);
		else
			free(rotated);
	}
	prune_backups(e);
	return ret;
}

/* ---- writer ------------------------------------------------------------- */

/* Writes the pending chunk of whole lines, then its manifest entries. On a
 * failed write the partial data is cut off again, the chain is rewound and
 * the lines are counted as lost (reported by a later lost_events line). */
static void flush_chunk(struct dfl_exporter *e)
{
	int ret;

	if (!e->wbuf.len)
		return;
	ret = e->fd < 0 ? -EBADF : write_all(e->fd, e->wbuf.buf, e->wbuf.len);
	if (ret) {
		if (e->fd >= 0 && !e->to_stdout && ftruncate(e->fd, (off_t)e->size))
			ewarn(e, "cannot cut a partial write: %s",
				strerror(errno));
		if (ret != e->last_err)
			ewarn(e, "writing %s: %s; %" PRIu64
				" records lost (counted)",
				e->path, strerror(-ret), e->wbuf_lines);
		e->chain = e->chain_at_chunk;
		dfl_strbuf__reset(&e->mbuf);
		pthread_mutex_lock(&e->lock);
		e->last_err = ret;
		e->st.lost += e->wbuf_lines;
		e->lost_pending[DFL_LOST_OBSERVER_EVENTS_QUEUE] += e->wbuf_lines;
		pthread_mutex_unlock(&e->lock);
	} else {
		e->size += e->wbuf.len;
		e->dirty = true;
		if (e->chain_on) {
			manifest_mark(e, "c");
			manifest_flush(e);
		}
		pthread_mutex_lock(&e->lock);
		e->last_err = 0;
		e->st.exported += e->wbuf_lines;
		e->st.bytes += e->wbuf.len;
		pthread_mutex_unlock(&e->lock);
	}
	dfl_strbuf__reset(&e->wbuf);
	e->wbuf_lines = 0;
	e->chain_at_chunk = e->chain;
}

static void write_line(struct dfl_exporter *e, const char *line, size_t len)
{
	if (!e->to_stdout && e->size + e->wbuf.len + len + 1 > e->max_bytes &&
	    e->size + e->wbuf.len > 0) {
		flush_chunk(e);
		if (e->size)
			rotate(e);
	}
	dfl_strbuf__append(&e->wbuf, line, len + 1);
	e->wbuf_lines++;
	if (e->chain_on)
		manifest_record(e, line, len);
	if (e->wbuf.len >= CHUNK_MAX)
		flush_chunk(e);
}

static void write_lost(struct dfl_exporter *e, const uint64_t *lost)
{
	struct dfl_strbuf sb = { 0 };

	for (int s = 0; s <= DFL_LOST_HUBBLE_RING_BUFFER; s++) {
		struct dfl_lost_events l = { (enum dfl_lost_source)s, lost[s],
					     false, 0 };

		if (!lost[s])
			continue;
		dfl_strbuf__reset(&sb);
		if (dfl_lost_events__to_json_line(&l, dfl_time_now_ns(),
						  e->node_name, &sb) == 0)
			write_line(e, sb.buf, sb.len - 1);
	}
	dfl_strbuf__release(&sb);
}

static void write_batch(struct dfl_exporter *e, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;

		write_line(e, buf + off, n);
		off += n + 1;
	}
	flush_chunk(e);
}

static bool lost_any(const struct dfl_exporter *e)
{
	for (int s = 0; s <= DFL_LOST_HUBBLE_RING_BUFFER; s++)
		if (e->lost_pending[s])
			return true;
	return false;
}

static void maybe_fsync(struct dfl_exporter *e, bool force)
{
	int64_t now = dfl_time_now_ns();

	if (!e->dirty || e->to_stdout)
		return;
	if (!force && (!e->fsync_ms ||
		       now - e->last_fsync_ns < (int64_t)e->fsync_ms * 1000000))
		return;
	/* the log first: a manifest entry must never be more durable than
	 * its line */
	fsync(e->fd);
	if (e->cfd >= 0)
		fsync(e->cfd);
	e->last_fsync_ns = now;
	e->dirty = false;
}

static void *writer_main(void *arg)
{
	struct dfl_exporter *e = arg;
	struct dfl_strbuf batch = { 0 };
	uint64_t lost[DFL_LOST_HUBBLE_RING_BUFFER + 1];

	pthread_mutex_lock(&e->lock);
	for (;;) {
		uint64_t lines;
		struct dfl_strbuf tmp;
		bool failing;

		while (!e->stop && !e->queue.len && !lost_any(e)) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&e->wake, &e->lock, &ts);
			if (e->dirty && e->fsync_ms)
				break;
		}
		/* with the disk failing, lost counts cannot be written:
		 * stop anyway (they are in the stats and were warned about) */
		if (e->stop && !e->queue.len && (!lost_any(e) || e->last_err))
			break;
		tmp = e->queue;
		e->queue = batch;
		batch = tmp;
		lines = e->queued_lines - e->taken_lines;
		e->taken_lines = e->queued_lines;
		memcpy(lost, e->lost_pending, sizeof(lost));
		memset(e->lost_pending, 0, sizeof(e->lost_pending));
		pthread_mutex_unlock(&e->lock);

		/* records lost while this batch queued up come first */
		write_lost(e, lost);
		write_batch(e, batch.buf, batch.len);
		dfl_strbuf__reset(&batch);
		maybe_fsync(e, false);
		pthread_mutex_lock(&e->lock);
		failing = e->last_err != 0;
		pthread_mutex_unlock(&e->lock);
		if (failing)
			usleep(100000); /* a failing disk: retry gently */

		pthread_mutex_lock(&e->lock);
		e->done_lines += lines;
		pthread_cond_broadcast(&e->drained);
	}
	pthread_mutex_unlock(&e->lock);
	maybe_fsync(e, true);
	dfl_strbuf__release(&batch);
	return NULL;
}

/* ---- compressor --------------------------------------------------------- */

static int gzip_file(const char *src)
{
	char tmp[4096], dst[4096], buf[65536];
	int in = -1, out = -1, ret = 0;
	gzFile gz = NULL;
	ssize_t n;

	snprintf(dst, sizeof(dst), "%s.gz", src);
	snprintf(tmp, sizeof(tmp), "%s.gz.tmp", src);
	in = open(src, O_RDONLY | O_CLOEXEC);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (in < 0 || out < 0) {
		ret = -errno;
		goto out;
	}
	gz = gzdopen(dup(out), "wb6");
	if (!gz) {
		ret = -ENOMEM;
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (gzwrite(gz, buf, (unsigned int)n) != (int)n) {
			ret = -EIO;
			goto out;
		}
	}
	if (n < 0)
		ret = -errno;
out:
	if (gz && gzclose(gz) != Z_OK && !ret)
		ret = -EIO;
	if (!ret && fsync(out))
		ret = -errno;
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	if (!ret && rename(tmp, dst))
		ret = -errno;
	if (ret)
		unlink(tmp);
	else
		unlink(src);
	return ret;
}

static void *gz_main(void *arg)
{
	struct dfl_exporter *e = arg;

	pthread_mutex_lock(&e->gz_lock);
	for (;;) {
		char *path;
		int ret;

		while (!e->n_gz && !e->gz_stop)
			pthread_cond_wait(&e->gz_cond, &e->gz_lock);
		if (!e->n_gz)
			break;
		path = e->gz_paths[0];
		memmove(e->gz_paths, e->gz_paths + 1,
			--e->n_gz * sizeof(*e->gz_paths));
		pthread_mutex_unlock(&e->gz_lock);
		ret = gzip_file(path);
		if (ret)
			ewarn(e, "compressing %s: %s (kept "
				"uncompressed)", path, strerror(-ret));
		free(path);
		pthread_mutex_lock(&e->gz_lock);
	}
	pthread_mutex_unlock(&e->gz_lock);
	return NULL;
}

/* ---- opening an existing segment ---------------------------------------- */

/* Brings the manifest of an existing segment up to date with its log after
 * a restart or a crash: cuts a torn tail, re-hashes lines written after the
 * last checkpoint and hashes lines the manifest never got (marked
 * "recovered"). A segment that cannot be continued (sealed, unreadable
 * manifest, log shorter than its manifest) is moved aside as it is, for
 * `audit verify` to judge, and a fresh segment is started. */
static int resume_segment(struct dfl_exporter *e, char *err, size_t errlen)
{
	struct dfl_manifest m = { 0 };
	struct dfl_strbuf recovered = { 0 };
	char merr[256] = "", *line = NULL, *aside = NULL;
	FILE *log = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t n = 0;
	bool have = false, set_aside = false;
	uint8_t d[DFL_CHAIN_LEN];
	int ret;

	ret = dfl_manifest__load(&m, e->chain_path, merr, sizeof(merr));
	if (ret == 0) {
		have = true;
		if (m.torn_bytes) {
			ewarn(e, "%s: cut %zu bytes of a torn last line",
				e->chain_path, m.torn_bytes);
			if (truncate(e->chain_path, (off_t)m.valid_bytes)) {
				ret = -errno;
				snprintf(err, errlen, "%s: %s", e->chain_path,
					 strerror(errno));
				goto out;
			}
		}
	} else if (ret == -EINVAL) {
		ewarn(e, "%s: %s; starting a new segment",
			e->chain_path, merr);
		set_aside = true;
	} else if (ret != -ENOENT) {
		snprintf(err, errlen, "%s: %s", e->chain_path, strerror(-ret));
		goto out;
	}
	ret = 0;
	dfl_chain__init(&e->chain, have ? m.prev : NULL, e->key, e->key_len);
	if (have && m.sealed) {
		memcpy(e->chain.head, m.seal.head, DFL_CHAIN_LEN);
		set_aside = true;
	} else if (have && m.n_cps) {
		memcpy(e->chain.head, m.cps[m.n_cps - 1].head, DFL_CHAIN_LEN);
		e->chain.n = m.cps[m.n_cps - 1].n;
	}
	if (set_aside)
		goto out;
	e->cp_n = e->chain.n;
	log = fopen(e->path, "re");
	while (log && (len = getline(&line, &cap, log)) > 0) {
		n++;
		if (line[len - 1] == '\n')
			len--;
		dfl_chain__digest(&e->chain, line, (size_t)len, d);
		if (n <= m.n_recs) {
			if (memcmp(d, m.recs[n - 1], DFL_CHAIN_REC_LEN))
				ewarn(e, "%s: record %" PRIu64
					" differs from its manifest entry",
					e->path, n);
			/* hashed before a crash but not yet checkpointed */
			if (n > e->cp_n)
				dfl_chain__step(&e->chain, d);
			continue;
		}
		/* never made it into the manifest */
		char hex[2 * DFL_CHAIN_REC_LEN + 1];

		dfl_chain__step(&e->chain, d);
		dfl_hex(d, DFL_CHAIN_REC_LEN, hex);
		dfl_strbuf__printf(&recovered, "r %s\n", hex);
	}
	if (n < m.n_recs) {
		ewarn(e, "%s has %" PRIu64 " records, its manifest "
			"%zu: records were lost in a crash; starting a new segment",
			e->path, n, m.n_recs);
		set_aside = true;
		goto out;
	}
	e->cfd = open(e->chain_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		      0640);
	if (e->cfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", e->chain_path, strerror(errno));
		goto out;
	}
	if (!have)
		manifest_header(e, m.prev);
	if (n > m.n_recs) {
		ewarn(e, "%s: records %zu-%" PRIu64 " had no "
			"manifest entries (crash); hashed now, marked recovered",
			e->path, m.n_recs + 1, n);
		dfl_strbuf__printf(&e->mbuf, "recovered %zu %" PRIu64 "\n",
				   m.n_recs + 1, n);
		dfl_strbuf__puts(&e->mbuf, dfl_strbuf__str(&recovered));
	}
	manifest_mark(e, "c");
	ret = manifest_flush(e);
out:
	free(line);
	if (log)
		fclose(log);
	dfl_manifest__release(&m);
	dfl_strbuf__release(&recovered);
	if (!ret && set_aside) {
		uint8_t prev[DFL_CHAIN_LEN];

		memcpy(prev, e->chain.head, DFL_CHAIN_LEN);
		ret = move_aside(e, prev, &aside);
		free(aside);
		if (ret)
			snprintf(err, errlen, "%s: %s", e->path, strerror(-ret));
	}
	return ret;
}

static int open_existing(struct dfl_exporter *e, char *err, size_t errlen)
{
	int64_t cut;

	e->fd = open(e->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (e->fd < 0) {
		snprintf(err, errlen, "%s: %s", e->path, strerror(errno));
		return -errno;
	}
	cut = repair_tail(e->fd, &e->size);
	if (cut < 0) {
		snprintf(err, errlen, "%s: %s", e->path, strerror((int)-cut));
		return (int)cut;
	}
	if (cut) {
		ewarn(e, "%s: cut %" PRId64 " bytes of a torn last "
			"line (crash during a write)",
			e->path, cut);
		e->st.torn_bytes_repaired = (uint64_t)cut;
	}
	if (!e->chain_on)
		return 0;
	return resume_segment(e, err, errlen);
}

/* ---- public API --------------------------------------------------------- */

static int load_key(struct dfl_exporter *e, const char *path, char *err,
		    size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "chain key %s: %s", path, strerror(errno));
		return -errno;
	}
	n = read(fd, e->key, sizeof(e->key));
	close(fd);
	if (n <= 0) {
		snprintf(err, errlen, "chain key %s: %s", path,
			 n < 0 ? strerror(errno) : "empty");
		return n < 0 ? -errno : -EINVAL;
	}
	e->key_len = (size_t)n;
	return 0;
}

static int split_path(struct dfl_exporter *e)
{
	char *copy = strdup(e->path), *dot, *slash;

	if (!copy)
		return -ENOMEM;
	e->dir = strdup(dirname(copy));
	free(copy);
	slash = strrchr(e->path, '/');
	dot = strrchr(slash ? slash + 1 : e->path, '.');
	e->stem = dot ? strndup(e->path, (size_t)(dot - e->path)) :
			strdup(e->path);
	e->ext = strdup(dot ? dot : "");
	return e->dir && e->stem && e->ext ? 0 : -ENOMEM;
}

struct dfl_exporter *dfl_exporter__new(const struct dfl_exporter_config *cfg,
				       char *err, size_t errlen)
{
	struct dfl_exporter *e = calloc(1, sizeof(*e));
	struct dfl_strbuf cp = { 0 };
	int ret = 0;

	if (!e)
		return NULL;
	e->fd = e->cfd = -1;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	pthread_cond_init(&e->drained, NULL);
	pthread_mutex_init(&e->gz_lock, NULL);
	pthread_cond_init(&e->gz_cond, NULL);
	if (!cfg->file_path || !*cfg->file_path) {
		snprintf(err, errlen, "exporter: no file path");
		ret = -EINVAL;
		goto fail;
	}
	e->name = cfg->name ? strdup(cfg->name) : NULL;
	e->path = strdup(cfg->file_path);
	e->node_name = strdup(cfg->node_name ? cfg->node_name : "");
	dfl_strbuf__printf(&cp, "%s.chain", cfg->file_path);
	e->chain_path = dfl_strbuf__detach(&cp);
	if (!e->path || !e->node_name || !e->chain_path ||
	    (cfg->name && !e->name) || split_path(e)) {
		ret = -ENOMEM;
		goto fail;
	}
	e->to_stdout = !strcmp(cfg->file_path, "stdout");
	e->chain_on = !cfg->no_chain && !e->to_stdout;
	e->compress = cfg->compress;
	e->max_bytes = cfg->max_size_bytes ? cfg->max_size_bytes :
			(uint64_t)(cfg->max_size_mb ? cfg->max_size_mb : 10) << 20;
	e->max_backups = cfg->max_backups ? cfg->max_backups : 5;
	e->fsync_ms = cfg->fsync_interval_ms;
	e->queue_cap = cfg->queue_bytes ? cfg->queue_bytes : 64u << 20;
	e->end_ns = cfg->end_ns;
	if (cfg->n_field_mask) {
		e->mask = dfl_fieldmask__new(cfg->field_mask, cfg->n_field_mask,
					     err, errlen);
		if (!e->mask) {
			ret = -errno;
			goto fail;
		}
	}
	if ((cfg->include_json &&
	     (ret = dfl_flow_filters__parse_json(&e->include, cfg->include_json,
						 err, errlen))) ||
	    (cfg->exclude_json &&
	     (ret = dfl_flow_filters__parse_json(&e->exclude, cfg->exclude_json,
						 err, errlen))))
		goto fail;
	if (cfg->chain_key_file &&
	    (ret = load_key(e, cfg->chain_key_file, err, errlen)))
		goto fail;
	if (e->to_stdout) {
		e->fd = dup(STDOUT_FILENO);
		if (e->fd < 0) {
			ret = -errno;
			goto fail;
		}
	} else if ((ret = open_existing(e, err, errlen))) {
		goto fail;
	}
	e->chain_at_chunk = e->chain;
	if (!e->to_stdout)
		prune_backups(e);
	if (e->compress) {
		if ((ret = -pthread_create(&e->gz, NULL, gz_main, e)))
			goto fail;
		e->gz_started = true;
	}
	if ((ret = -pthread_create(&e->writer, NULL, writer_main, e)))
		goto fail;
	e->writer_started = true;
	return e;
fail:
	if (!*err)
		snprintf(err, errlen, "exporter %s: %s", cfg->file_path,
			 strerror(-ret));
	dfl_exporter__free(e);
	errno = -ret;
	return NULL;
}

void dfl_exporter__add_filters(struct dfl_exporter *e,
			       struct dfl_flow_filters *include,
			       struct dfl_flow_filters *exclude)
{
	for (size_t i = 0; include && i < include->n; i++)
		dfl_flow_filters__push(&e->include, include->items[i]);
	for (size_t i = 0; exclude && i < exclude->n; i++)
		dfl_flow_filters__push(&e->exclude, exclude->items[i]);
	if (include) {
		free(include->items);
		memset(include, 0, sizeof(*include));
	}
	if (exclude) {
		free(exclude->items);
		memset(exclude, 0, sizeof(*exclude));
	}
}

int dfl_exporter__export(struct dfl_exporter *e, const struct dfl_flow *f)
{
	size_t before;
	int ret;

	if ((e->end_ns && f->time_ns > e->end_ns) ||
	    !dfl_flow_filters__apply(&e->include, &e->exclude, f)) {
		pthread_mutex_lock(&e->lock);
		e->st.filtered++;
		pthread_mutex_unlock(&e->lock);
		return 1;
	}
	/* encoded straight into the queue: one copy, under the lock */
	pthread_mutex_lock(&e->lock);
	before = e->queue.len;
	ret = dfl_flow__to_json_line(f, e->mask, &e->queue);
	if (!ret && e->queue.len > e->queue_cap)
		ret = -ENOBUFS;
	if (ret) {
		e->queue.len = before;
		if (e->queue.buf)
			e->queue.buf[before] = '\0';
		e->queue.err = 0;
		e->st.lost++;
		e->lost_pending[DFL_LOST_OBSERVER_EVENTS_QUEUE]++;
	} else {
		e->queued_lines++;
	}
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->lock);
	return ret;
}

void dfl_exporter__report_lost(struct dfl_exporter *e,
			       enum dfl_lost_source source, uint64_t n)
{
	if ((unsigned int)source > DFL_LOST_HUBBLE_RING_BUFFER || !n)
		return;
	pthread_mutex_lock(&e->lock);
	e->lost_pending[source] += n;
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->lock);
}

int dfl_exporter__flush(struct dfl_exporter *e)
{
	uint64_t target;

	pthread_mutex_lock(&e->lock);
	target = e->queued_lines;
	pthread_cond_signal(&e->wake);
	while (e->writer_started &&
	       (e->done_lines < target || (lost_any(e) && !e->last_err)))
		pthread_cond_wait(&e->drained, &e->lock);
	pthread_mutex_unlock(&e->lock);
	return 0;
}

void dfl_exporter__stats(struct dfl_exporter *e, struct dfl_exporter_stats *s)
{
	pthread_mutex_lock(&e->lock);
	*s = e->st;
	pthread_mutex_unlock(&e->lock);
}

void dfl_exporter__free(struct dfl_exporter *e)
{
	if (!e)
		return;
	if (e->writer_started) {
		pthread_mutex_lock(&e->lock);
		e->stop = true;
		pthread_cond_signal(&e->wake);
		pthread_mutex_unlock(&e->lock);
		pthread_join(e->writer, NULL);
	}
	if (e->gz_started) {
		pthread_mutex_lock(&e->gz_lock);
		e->gz_stop = true;
		pthread_cond_signal(&e->gz_cond);
		pthread_mutex_unlock(&e->gz_lock);
		pthread_join(e->gz, NULL);
	}
	if (e->fd >= 0)
		close(e->fd);
	if (e->cfd >= 0)
		close(e->cfd);
	for (size_t i = 0; i < e->n_gz; i++)
		free(e->gz_paths[i]);
	free(e->gz_paths);
	dfl_fieldmask__free(e->mask);
	dfl_flow_filters__release(&e->include);
	dfl_flow_filters__release(&e->exclude);
	dfl_strbuf__release(&e->queue);
	dfl_strbuf__release(&e->wbuf);
	dfl_strbuf__release(&e->mbuf);
	pthread_cond_destroy(&e->wake);
	pthread_cond_destroy(&e->drained);
	pthread_cond_destroy(&e->gz_cond);
	pthread_mutex_destroy(&e->lock);
	pthread_mutex_destroy(&e->gz_lock);
	free(e->name);
	free(e->path);
	free(e->chain_path);
	free(e->dir);
	free(e->stem);
	free(e->ext);
	free(e->node_name);
	free(e);
}
