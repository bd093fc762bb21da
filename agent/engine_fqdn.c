/* toFQDNs at run time (reference §5.3). The DNS proxy reports the answer of
 * every allowed query; each address learned gets the identity made of the
 * fqdn:<selector> label of every toFQDNs selector that one of the address's
 * names matches, plus reserved:world (addresses returned for the same
 * selectors share one identity, as in Cilium 1.16), and enters the ipcache
 * before the answer is released to the pod, so that the pod's next
 * connection is allowed. An address leaves the ipcache when the TTLs of all
 * its names ran out. What was learned is kept in <state-dir>/fqdn.json, so a
 * restarted agent maps the same addresses before any pod asks again.
 *
 * Threads: the proxy thread queues each answer and waits at most
 * max_delay_ms (Cilium's tofqdns-proxy-response-max-delay) for the agent
 * thread to apply it; the agent thread owns the name cache and the address
 * table, and changes the compiler under the engine's write lock. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "agent/engine-priv.h"
#include "bpf/include/dfl_ct_abi.h"
#include "identity/labels.h"
#include "identity/prefix.h"
#include "policy/l7_match.h"
#include "proxy/fqdn_cache.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strbuf.h"

#define FQDN_OWNER "fqdn "
#define FQDN_STATE_FILE "fqdn.json"
#define FQDN_DEFAULT_MAX_DELAY_MS 100
#define FQDN_EXPIRY_TICK_MS 1000
/* An expired name with open connections to its address lives on this long,
 * one check at a time (Cilium's zombies). */
#define FQDN_ZOMBIE_GRACE_S 2

/* One answer, handed from the proxy thread to the agent thread. */
struct fqdn_job {
	struct fqdn_job *next;
	uint32_t endpoint_id;
	uint32_t ttl;
	char *name;
	struct dfl_ip *ips;
	size_t n_ips;
	int err;	/* the agent thread's result */
	bool done;	/* applied (or failed) */
	bool abandoned; /* nobody waits (any more): the agent thread frees it */
};

struct engine_fqdn {
	pthread_mutex_t mu; /* the queue and the jobs' flags */
	pthread_cond_t done;
	struct fqdn_job *head, **tail;
	int wake_fd;
	int timer_fd;
	uint32_t max_delay_ms;

	/* Agent thread only (the compiler parts under the engine's lock). */
	struct dfl_fqdn_cache *cache;
	struct dfl_strmap addrs;    /* address -> identity we gave it */
	struct dfl_strmap matchers; /* fqdn label key -> dfl_dns_matcher */
	char *selectors;	    /* the label keys the matchers were made of */
	char *path;		    /* state file, or NULL */
	bool dirty;		    /* the cache changed since the last save */
};

/* The names of one address, borrowed from the cache for one recompute. */
struct addr_names {
	struct dfl_ip ip;
	const char **names;
	size_t n, cap;
};

static uint64_t wall_s(void)
{
	return (uint64_t)time(NULL);
}

static void ip_key(const struct dfl_ip *ip, char *buf, size_t len)
{
	if (!inet_ntop(ip->family, ip->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static void ip_prefix(const struct dfl_ip *ip, struct dfl_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->family = ip->family;
	p->len = ip->family == AF_INET ? 32 : 128;
	memcpy(p->addr, ip->addr, ip->family == AF_INET ? 4 : 16);
}

static void job_free(struct fqdn_job *j)
{
	if (!j)
		return;
	free(j->name);
	free(j->ips);
	free(j);
}

static void matchers_release(struct engine_fqdn *f)
{
	const char *key;
	void *m;
	size_t it = 0;

	while (dfl_strmap__next(&f->matchers, &it, &key, &m))
		dfl_dns_matcher__free(m);
	dfl_strmap__release(&f->matchers);
}

/* ---- selectors ------------------------------------------------------------ */

static const char *selector_key(const struct dfl_fqdn_selector *s)
{
	return s->match_name ? s->match_name : s->match_pattern;
}

/* Makes the matchers equal to the toFQDNs selectors of the loaded policies.
 * *<changed> says whether the set of selectors differs from last time (then
 * every address must be recomputed). Called with the write lock held. */
static int sync_selectors(struct dfl_engine *e, bool *changed)
{
	struct engine_fqdn *f = e->fqdn;
	size_t n = dfl_compiler__fqdn_selectors(e->compiler, NULL, 0);
	const struct dfl_fqdn_selector **sels = calloc(n + 1, sizeof(*sels));
	struct dfl_strbuf sig = { 0 };
	int err = 0;

	*changed = false;
	if (!sels)
		return -ENOMEM;
	dfl_compiler__fqdn_selectors(e->compiler, sels, n);
	for (size_t i = 0; i < n; i++)
		dfl_strbuf__printf(&sig, "%s\n", selector_key(sels[i]));
	if (sig.err) {
		err = -ENOMEM;
		goto out;
	}
	if (f->selectors && !strcmp(f->selectors, dfl_strbuf__str(&sig)))
		goto out;
	matchers_release(f);
	free(f->selectors);
	f->selectors = NULL;
	*changed = true;
	for (size_t i = 0; i < n && !err; i++) {
		struct dfl_dns_matcher *m;

		if (dfl_strmap__has(&f->matchers, selector_key(sels[i])))
			continue;
		/* Flags 0: "*" is the toFQDNs regex, not the proxy's wildcard. */
		m = dfl_dns_matcher__new(sels[i], 1, 0, NULL);
		if (!m) {
			/* The compiler accepted the policy, so only memory can
			 * fail here; an invalid selector would select nothing. */
			err = errno == EINVAL ? 0 : -ENOMEM;
			continue;
		}
		err = dfl_strmap__set(&f->matchers, selector_key(sels[i]), m, NULL);
		if (err)
			dfl_dns_matcher__free(m);
	}
	if (!err) {
		f->selectors = strdup(dfl_strbuf__str(&sig));
		if (!f->selectors)
			err = -ENOMEM;
	}
out:
	dfl_strbuf__release(&sig);
	free(sels);
	return err;
}

/* ---- addresses ------------------------------------------------------------ */

/* The fqdn: labels for an address with <names>: one per selector matching
 * one of them. Returns how many, or -ENOMEM. */
static int fqdn_labels(struct engine_fqdn *f, const char *const *names,
		       size_t n, struct dfl_labels *out)
{
	const char *key;
	void *m;
	size_t it = 0;
	int matched = 0;

	while (dfl_strmap__next(&f->matchers, &it, &key, &m)) {
		for (size_t i = 0; i < n; i++) {
			if (dfl_dns_matcher__match(m, names[i], strlen(names[i])) < 0)
				continue;
			if (dfl_labels__set(out, "fqdn", key, ""))
				return -ENOMEM;
			matched++;
			break;
		}
	}
	return matched;
}

/* Forgets our mapping of <key>: the address falls back to what covers it
 * (a CIDR identity, or world). */
static void addr_forget(struct dfl_engine *e, const char *key,
			const struct dfl_prefix *p, bool ours_in_ipcache)
{
	uint32_t id = (uint32_t)(uintptr_t)dfl_strmap__del(&e->fqdn->addrs, key);

	if (ours_in_ipcache)
		dfl_ipcache__delete(dfl_compiler__ipcache(e->compiler), p);
	if (id)
		dfl_compiler__release_identity(e->compiler, id);
}

/* Gives the address <a> the identity its names call for. Addresses of pods,
 * nodes and /32 CIDR rules keep theirs: toFQDNs never selects a cluster
 * endpoint. Sets *<changed> when the ipcache changed. Write lock held. */
static int addr_apply(struct dfl_engine *e, const struct addr_names *a,
		      bool *changed)
{
	struct engine_fqdn *f = e->fqdn;
	struct dfl_ipcache *ipc = dfl_compiler__ipcache(e->compiler);
	const struct dfl_ipcache_item *exact, *cover;
	struct dfl_labels ls = { 0 };
	struct dfl_prefix p, wider;
	char key[INET6_ADDRSTRLEN], owner[300], lkey[DFL_PREFIX_STRLEN];
	uint32_t old, id;
	bool ours;
	int matched, err;

	ip_key(&a->ip, key, sizeof(key));
	ip_prefix(&a->ip, &p);
	old = (uint32_t)(uintptr_t)dfl_strmap__get(&f->addrs, key);
	exact = dfl_ipcache__get(ipc, &p);
	ours = exact && exact->owner && !strncmp(exact->owner, FQDN_OWNER, strlen(FQDN_OWNER));
	if (exact && !ours) {
		if (old)
			addr_forget(e, key, &p, false);
		return 0;
	}
	matched = a->n ? fqdn_labels(f, a->names, a->n, &ls) : 0;
	if (matched <= 0) {
		dfl_labels__release(&ls);
		if (matched < 0)
			return matched;
		if (old || ours) {
			addr_forget(e, key, &p, ours);
			*changed = true;
		}
		return 0;
	}
	/* A CIDR rule covering the address must still select it (§5.3: the
	 * identity has the cidr label when a CIDR is referenced). */
	wider = p;
	wider.len--;
	dfl_prefix__mask(&wider);
	cover = dfl_ipcache__lookup(ipc, &wider);
	err = dfl_labels__set(&ls, "reserved", "world", "");
	if (!err && cover && cover->owner && !strncmp(cover->owner, "cidr ", 5))
		err = dfl_labels__set(&ls, "cidr",
				      dfl_prefix__label_key(&p, lkey, sizeof(lkey)), "");
	if (!err)
		err = dfl_compiler__acquire_identity(e->compiler, &ls, &id);
	dfl_labels__release(&ls);
	if (err)
		return err;
	if (id == old && ours) {
		dfl_compiler__release_identity(e->compiler, id); /* one ref kept */
		return 0;
	}
	snprintf(owner, sizeof(owner), FQDN_OWNER "%s", a->names[0]);
	err = dfl_ipcache__upsert(ipc, &p, id, owner);
	if (!err)
		err = dfl_strmap__set(&f->addrs, key, (void *)(uintptr_t)id, NULL);
	if (err) {
		dfl_ipcache__delete(ipc, &p);
		dfl_strmap__del(&f->addrs, key);
		dfl_compiler__release_identity(e->compiler, id);
		if (old)
			dfl_compiler__release_identity(e->compiler, old);
		*changed = true;
		return err;
	}
	if (old)
		dfl_compiler__release_identity(e->compiler, old);
	*changed = true;
	return 0;
}

struct collect {
	struct dfl_strmap *want; /* only these addresses, or NULL for all */
	struct dfl_strmap by_addr;
	int err;
};

static int collect_entry(void *ctx, const struct dfl_fqdn_entry *en)
{
	struct collect *c = ctx;
	struct addr_names *a;
	char key[INET6_ADDRSTRLEN];

	ip_key(&en->ip, key, sizeof(key));
	if (c->want && !dfl_strmap__has(c->want, key))
		return 0;
	a = dfl_strmap__get(&c->by_addr, key);
	if (!a) {
		a = calloc(1, sizeof(*a));
		if (!a || dfl_strmap__set(&c->by_addr, key, a, NULL)) {
			free(a);
			c->err = -ENOMEM;
			return 1;
		}
		a->ip = en->ip;
	}
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->names[i], en->name))
			return 0; /* the same name learned by another endpoint */
	if (dfl_grow((void **)&a->names, &a->cap, a->n + 1, sizeof(*a->names))) {
		c->err = -ENOMEM;
		return 1;
	}
	a->names[a->n++] = en->name;
	return 0;
}

/* Recomputes the addresses in <want> (NULL: every address learned or
 * mapped) from the names in the cache. Write lock held. */
static int recompute(struct dfl_engine *e, struct dfl_strmap *want, bool *changed)
{
	struct engine_fqdn *f = e->fqdn;
	struct collect c = { .want = want };
	struct dfl_strmap *gone_from = want ? want : &f->addrs;
	const char *key;
	void *v;
	size_t it = 0;
	int err;

	dfl_fqdn_cache__foreach(f->cache, collect_entry, &c);
	err = c.err;
	while (!err && dfl_strmap__next(&c.by_addr, &it, &key, &v))
		err = addr_apply(e, v, changed);
	/* Addresses none of whose names is left. The table changes while
	 * forgetting, so the keys are copied first. */
	if (!err) {
		struct addr_names none = { 0 };
		char **stale = calloc(gone_from->n + 1, sizeof(*stale));
		size_t n = 0;

		it = 0;
		while (stale && dfl_strmap__next(gone_from, &it, &key, NULL))
			if (!dfl_strmap__has(&c.by_addr, key) &&
			    dfl_strmap__has(&f->addrs, key))
				stale[n++] = strdup(key);
		for (size_t i = 0; i < n; i++) {
			if (stale[i] && !err &&
			    inet_pton(strchr(stale[i], ':') ? AF_INET6 : AF_INET, stale[i],
				      none.ip.addr) == 1) {
				none.ip.family = strchr(stale[i], ':') ? AF_INET6 : AF_INET;
				err = addr_apply(e, &none, changed);
			}
			free(stale[i]);
		}
		free(stale);
		if (!stale)
			err = -ENOMEM;
	}
	it = 0;
	while (dfl_strmap__next(&c.by_addr, &it, &key, &v)) {
		free(((struct addr_names *)v)->names);
		free(v);
	}
	dfl_strmap__release(&c.by_addr);
	return err;
}

static void save_state(struct engine_fqdn *f)
{
	int err;

	f->dirty = false;
	if (!f->path)
		return;
	err = dfl_fqdn_cache__save(f->cache, f->path);
	if (err)
		pr_warn("fqdn: cannot keep the learned names in %s: %s\n", f->path,
			strerror(-err));
}

int engine_fqdn_policy_changed_locked(struct dfl_engine *e)
{
	bool changed = false, mapped = false;
	int err;

	if (!e->fqdn)
		return 0;
	err = sync_selectors(e, &changed);
	if (!err && changed)
		err = recompute(e, NULL, &mapped);
	return err;
}

/* ---- the agent thread ----------------------------------------------------- */

/* Applies the queued answers, then lets their proxy waits go. */
static void on_wake(void *ctx, int fd, uint32_t events)
{
	struct dfl_engine *e = ctx;
	struct engine_fqdn *f = e->fqdn;
	struct dfl_strmap want = { 0 };
	struct fqdn_job *jobs, *j;
	bool changed = false;
	uint64_t n, now = wall_s();
	int err = 0;

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&f->mu);
	jobs = f->head;
	f->head = NULL;
	f->tail = &f->head;
	pthread_mutex_unlock(&f->mu);
	if (!jobs)
		return;

	pthread_rwlock_wrlock(&e->lock);
	err = engine_fqdn_policy_changed_locked(e);
	for (j = jobs; j && !err; j = j->next) {
		err = dfl_fqdn_cache__update(f->cache, j->endpoint_id, j->name, j->ips,
					     j->n_ips, j->ttl, now);
		for (size_t i = 0; i < j->n_ips && !err; i++) {
			char key[INET6_ADDRSTRLEN];

			ip_key(&j->ips[i], key, sizeof(key));
			err = dfl_strmap__set(&want, key, NULL, NULL);
		}
	}
	if (!err)
		err = recompute(e, &want, &changed);
	pthread_rwlock_unlock(&e->lock);
	dfl_strmap__release(&want);
	if (!err && changed)
		err = engine_resolve_and_sync(e, NULL, 0);
	if (err)
		pr_warn("fqdn: learned addresses not applied: %s\n", strerror(-err));
	/* A new mapping is on disk before the pod sees the answer (a restart
	 * must not unmap it); a refreshed TTL waits for the next tick. */
	if (changed)
		save_state(f);
	else
		f->dirty = true;

	pthread_mutex_lock(&f->mu);
	while (jobs) {
		j = jobs;
		jobs = j->next;
		j->err = err;
		j->done = true;
		if (j->abandoned)
			job_free(j);
	}
	pthread_cond_broadcast(&f->done);
	pthread_mutex_unlock(&f->mu);
}

struct expired {
	struct dfl_fqdn_entry *items; /* names copied */
	size_t n, cap;
	uint64_t now;
	int err;
};

static int collect_expired(void *ctx, const struct dfl_fqdn_entry *en)
{
	struct expired *x = ctx;
	struct dfl_fqdn_entry *it;

	if (en->expires > x->now)
		return 0;
	if (dfl_grow((void **)&x->items, &x->cap, x->n + 1, sizeof(*x->items))) {
		x->err = -ENOMEM;
		return 1;
	}
	it = &x->items[x->n];
	*it = *en;
	it->name = strdup(en->name);
	if (!it->name) {
		x->err = -ENOMEM;
		return 1;
	}
	x->n++;
	return 0;
}

/* Addresses of connections that are open (not closed on both sides). */
static int collect_connected(void *ctx, const struct dfl_ct_key *k,
			     const struct dfl_ct_entry *v)
{
	struct dfl_strmap *open = ctx;
	const __u16 closed = DFL_CT_E_TX_CLOSING | DFL_CT_E_RX_CLOSING;
	struct dfl_ip ip = { 0 };
	char key[INET6_ADDRSTRLEN];
	const __u32 *addrs[2] = { k->saddr, k->daddr };

	if ((v->flags & closed) == closed)
		return 0;
	for (size_t i = 0; i < 2; i++) {
		ip.family = k->flags & DFL_CT_F_IPV6 ? AF_INET6 : AF_INET;
		memcpy(ip.addr, addrs[i], ip.family == AF_INET ? 4 : 16);
		ip_key(&ip, key, sizeof(key));
		if (dfl_strmap__set(open, key, NULL, NULL))
			return -ENOMEM;
	}
	return 0;
}

/* Cilium keeps an expired name's address while connections to it are open
 * ("zombies"), so that a long-lived connection outlives the TTL. Here such
 * names get a short extension, renewed while the connection lasts. */
static int keep_connected(struct dfl_engine *e, uint64_t now)
{
	struct engine_fqdn *f = e->fqdn;
	struct expired x = { .now = now };
	struct dfl_strmap open = { 0 };
	int err;

	dfl_fqdn_cache__foreach(f->cache, collect_expired, &x);
	err = x.err;
	if (!err && x.n && e->dp)
		err = dfl_datapath__ct_foreach(e->dp, collect_connected, &open);
	for (size_t i = 0; i < x.n; i++) {
		char key[INET6_ADDRSTRLEN];

		ip_key(&x.items[i].ip, key, sizeof(key));
		if (!err && dfl_strmap__has(&open, key))
			err = dfl_fqdn_cache__update(f->cache, x.items[i].endpoint_id,
						     x.items[i].name, &x.items[i].ip, 1,
						     FQDN_ZOMBIE_GRACE_S, now);
		free((char *)x.items[i].name);
	}
	free(x.items);
	dfl_strmap__release(&open);
	return err;
}

static void on_expiry_tick(void *ctx, int fd, uint32_t events)
{
	struct dfl_engine *e = ctx;
	struct engine_fqdn *f = e->fqdn;
	bool changed = false;
	uint64_t n;
	int err;

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	err = keep_connected(e, wall_s());
	if (err)
		pr_warn("fqdn: cannot check open connections (expired names are dropped): %s\n",
			strerror(-err));
	if (!dfl_fqdn_cache__expire(f->cache, wall_s())) {
		if (f->dirty)
			save_state(f);
		return;
	}
	pthread_rwlock_wrlock(&e->lock);
	err = recompute(e, NULL, &changed);
	pthread_rwlock_unlock(&e->lock);
	if (!err && changed)
		err = engine_resolve_and_sync(e, NULL, 0);
	if (err)
		pr_warn("fqdn: expired addresses not removed: %s\n", strerror(-err));
	save_state(f);
}

/* ---- the proxy thread ----------------------------------------------------- */

/* Whether the pod could be denied if it got the answer now: a toFQDNs
 * selector matches the name and one of the addresses does not have that
 * selector's label yet. Answers that only refresh a TTL, or name nothing a
 * policy selects, need no wait. Called with the read lock held. */
static bool answer_needs_mapping(struct dfl_engine *e, const struct dfl_dns_learned *l)
{
	struct engine_fqdn *f = e->fqdn;
	const struct dfl_idalloc *ids = dfl_compiler__identities(e->compiler);
	const char *key;
	void *m;
	size_t it = 0;

	while (dfl_strmap__next(&f->matchers, &it, &key, &m)) {
		if (dfl_dns_matcher__match(m, l->name, strlen(l->name)) < 0)
			continue;
		for (size_t i = 0; i < l->n_ips; i++) {
			char ip[INET6_ADDRSTRLEN];
			const struct dfl_identity *id;

			ip_key(&l->ips[i], ip, sizeof(ip));
			id = dfl_idalloc__get(ids, (uint32_t)(uintptr_t)dfl_strmap__get(&f->addrs, ip));
			if (!id || !dfl_labels__value(&id->labels, "fqdn", key))
				return true;
		}
	}
	return false;
}

int engine_fqdn_learned(void *ctx, const struct dfl_dns_learned *l)
{
	struct dfl_engine *e = ctx;
	struct engine_fqdn *f = e->fqdn;
	struct fqdn_job *j;
	struct timespec deadline;
	uint64_t one = 1;
	bool wait;
	int err = 0;

	if (!f || f->wake_fd < 0 || !l->n_ips)
		return 0;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->endpoint_id = l->endpoint_id;
	j->ttl = l->ttl;
	j->n_ips = l->n_ips;
	j->name = strdup(l->name);
	j->ips = malloc(l->n_ips * sizeof(*j->ips));
	if (!j->name || !j->ips) {
		job_free(j);
		return -ENOMEM;
	}
	memcpy(j->ips, l->ips, l->n_ips * sizeof(*j->ips));

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_nsec += (long)(f->max_delay_ms % 1000) * 1000000L;
	deadline.tv_sec += f->max_delay_ms / 1000 + deadline.tv_nsec / 1000000000L;
	deadline.tv_nsec %= 1000000000L;

	pthread_rwlock_rdlock(&e->lock);
	wait = answer_needs_mapping(e, l);
	pthread_rwlock_unlock(&e->lock);
	pthread_mutex_lock(&f->mu);
	j->abandoned = !wait; /* nobody waits: the agent thread frees it */
	*f->tail = j;
	f->tail = &j->next;
	pthread_mutex_unlock(&f->mu);
	if (write(f->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn("fqdn: cannot wake the agent thread: %s\n", strerror(errno));
	if (!wait)
		return 0;

	pthread_mutex_lock(&f->mu);
	while (!j->done && !err)
		err = -pthread_cond_timedwait(&f->done, &f->mu, &deadline);
	if (j->done) {
		err = j->err;
		job_free(j);
	} else {
		/* Released late rather than never: the pod's first connection
		 * may be denied until the mapping lands (Cilium does the same
		 * after tofqdns-proxy-response-max-delay). */
		j->abandoned = true;
		err = err == -ETIMEDOUT ? -ETIME : err;
	}
	pthread_mutex_unlock(&f->mu);
	return err;
}

/* ---- life cycle ----------------------------------------------------------- */

int engine_fqdn_new(struct dfl_engine *e, char *err, size_t errlen)
{
	struct engine_fqdn *f = calloc(1, sizeof(*f));
	pthread_condattr_t ca;
	bool changed = false;
	int ret;

	if (!f)
		return -ENOMEM;
	f->wake_fd = f->timer_fd = -1;
	f->tail = &f->head;
	f->max_delay_ms = e->cfg.dns_max_delay_ms ? e->cfg.dns_max_delay_ms :
						    FQDN_DEFAULT_MAX_DELAY_MS;
	pthread_mutex_init(&f->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->done, &ca);
	pthread_condattr_destroy(&ca);
	e->fqdn = f;
	f->cache = dfl_fqdn_cache__new();
	if (!f->cache)
		return -ENOMEM;
	if (e->cfg.state_dir &&
	    asprintf(&f->path, "%s/" FQDN_STATE_FILE, e->cfg.state_dir) < 0) {
		f->path = NULL;
		return -ENOMEM;
	}
	if (f->path) {
		ret = dfl_fqdn_cache__load(f->cache, f->path, wall_s());
		if (ret) {
			snprintf(err, errlen, "%s: cannot restore the learned DNS names: %s",
				 f->path, strerror(-ret));
			return ret;
		}
	}
	/* No other thread runs yet: the addresses are mapped before the
	 * agent restores its endpoints and resolves them. */
	ret = sync_selectors(e, &changed);
	if (!ret)
		ret = recompute(e, NULL, &changed);
	if (ret)
		snprintf(err, errlen, "fqdn: cannot map the learned addresses: %s",
			 strerror(-ret));
	else if (dfl_fqdn_cache__count(f->cache))
		pr_info("fqdn: restored %zu learned name-address pairs, %zu addresses mapped\n",
			dfl_fqdn_cache__count(f->cache), f->addrs.n);
	return ret;
}

int engine_fqdn_start(struct dfl_engine *e, char *err, size_t errlen)
{
	struct engine_fqdn *f = e->fqdn;
	struct dfl_evloop *loop = dfl_agent__loop(e->agent);
	int ret;

	f->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->wake_fd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = dfl_evloop__add(loop, f->wake_fd, EPOLLIN, on_wake, e);
	if (ret)
		goto fail;
	f->timer_fd = dfl_evloop__add_timer(loop, FQDN_EXPIRY_TICK_MS, on_expiry_tick, e);
	if (f->timer_fd < 0) {
		ret = f->timer_fd;
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "fqdn: cannot start: %s", strerror(-ret));
	return ret;
}

json_t *engine_fqdn_status(struct dfl_engine *e)
{
	struct engine_fqdn *f = e->fqdn;

	if (!f)
		return json_null();
	return json_pack("{s:I, s:I}", "learned", (json_int_t)dfl_fqdn_cache__count(f->cache),
			 "addresses", (json_int_t)f->addrs.n);
}

void engine_fqdn_free(struct dfl_engine *e)
{
	struct engine_fqdn *f = e->fqdn;

	if (!f)
		return;
	/* The proxy has stopped: no one waits for a job any more. */
	while (f->head) {
		struct fqdn_job *j = f->head;

		f->head = j->next;
		job_free(j);
	}
	if (f->wake_fd >= 0)
		close(f->wake_fd);
	if (f->timer_fd >= 0)
		close(f->timer_fd);
	matchers_release(f);
	dfl_strmap__release(&f->addrs);
	dfl_fqdn_cache__free(f->cache);
	free(f->selectors);
	free(f->path);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->done);
	free(f);
	e->fqdn = NULL;
}
