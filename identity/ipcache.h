/* The ipcache: IP prefix -> identity, answered by longest-prefix match, as
 * the datapath's ipcache map does. Used offline (trace) and by the agent,
 * which mirrors it into BPF. Entries carry an optional owner string
 * ("pod default/xwing", "cidr 10.0.0.0/8") for humans. */
#ifndef DFL_IDENTITY_IPCACHE_H
#define DFL_IDENTITY_IPCACHE_H

#include "identity/identity-t.h"

struct dfl_ipcache;

struct dfl_ipcache_item {
	struct dfl_prefix prefix;
	uint32_t identity;
	char *owner; /* may be NULL */
};

struct dfl_ipcache *dfl_ipcache__new(void);
void dfl_ipcache__free(struct dfl_ipcache *c);

/* Inserts or replaces the entry for <p>. <owner> is copied. 0 or -ENOMEM. */
int dfl_ipcache__upsert(struct dfl_ipcache *c, const struct dfl_prefix *p,
			uint32_t identity, const char *owner);
/* Returns true when an entry was removed. */
bool dfl_ipcache__delete(struct dfl_ipcache *c, const struct dfl_prefix *p);
/* Longest-prefix match of the address in <addr> (a host prefix or any
 * prefix: the entry must contain all of it). NULL when nothing matches; the
 * entry stays valid until the next change. */
const struct dfl_ipcache_item *
dfl_ipcache__lookup(const struct dfl_ipcache *c, const struct dfl_prefix *addr);
/* Exact entry for <p>, or NULL. */
const struct dfl_ipcache_item *
dfl_ipcache__get(const struct dfl_ipcache *c, const struct dfl_prefix *p);
size_t dfl_ipcache__count(const struct dfl_ipcache *c);
/* Calls <fn> for each entry in (family, address, length) order; stops and
 * returns the first non-zero result. */
int dfl_ipcache__foreach(const struct dfl_ipcache *c,
			 int (*fn)(const struct dfl_ipcache_item *e,
				   void *arg),
			 void *arg);

#endif
