/* The datapath's userspace API: load and adopt the BPF programs and pinned
 * maps, attach them to pods' host-side veths, and keep the maps in sync.
 * Every call returns 0 or a negative errno and logs through pr_warn() what
 * went wrong and what to do; constructors return NULL with errno set.
 * Map writers must be one process at a time (the agent). The contract of
 * the kernel side is in docs/datapath.md. */
#ifndef DFL_BPF_DATAPATH_H
#define DFL_BPF_DATAPATH_H

#include "bpf/datapath-t.h"
#include "util/drop_reason.h"

struct dfl_datapath;

/* Creates the maps under opts->pin_root (mounting bpffs on /sys/fs/bpf if
 * needed), or adopts the ones a previous process pinned there, and loads
 * the programs (unless opts->maps_only). Adopted state keeps enforcing the
 * whole time: the previous programs stay attached until
 * dfl_datapath__endpoint_attach() or __endpoints_reattach() replaces them.
 * <opts> may be NULL. Returns a handle for dfl_datapath__close(). */
struct dfl_datapath *dfl_datapath__open(const struct dfl_datapath_opts *opts);

/* Releases the handle. Pinned maps and attached programs stay: enforcement
 * continues without a process. NULL-safe. */
void dfl_datapath__close(struct dfl_datapath *dp);

/* Removes everything under <pin_root> (NULL: default): detaches the
 * programs from every endpoint recorded there (and the clsact qdiscs the
 * loader created), unpins the maps, removes the directory. Must run in the
 * network namespace of the veths. Missing state is not an error. */
int dfl_datapath__purge(const char *pin_root);

/* True when dfl_datapath__open() found pinned maps and adopted them. */
bool dfl_datapath__adopted(const struct dfl_datapath *dp);

/* Program fd (not owned by the caller), or -EINVAL/-ENOENT. */
int dfl_datapath__prog_fd(const struct dfl_datapath *dp, enum dfl_prog prog);

/* ---- endpoints ---- */

/* Records the endpoint and attaches both programs to cfg->ifindex with tc
 * (clsact, direct-action, handle DFL_TC_HANDLE, priority DFL_TC_PRIORITY),
 * replacing a previous deflector filter atomically. The attachment belongs
 * to the interface, not to the process. An endpoint with no policy yet gets
 * an empty one: everything it sends or receives is denied until
 * dfl_datapath__policy_replace() writes its policy (write it first). */
int dfl_datapath__endpoint_attach(struct dfl_datapath *dp,
				  const struct dfl_endpoint_cfg *cfg);

/* Detaches the programs from <ifindex> (an interface that no longer exists
 * is fine) and forgets the endpoint: its record, its policy map (when no
 * other interface uses the same ep_id) and its conntrack entries. */
int dfl_datapath__endpoint_detach(struct dfl_datapath *dp, __u32 ifindex);

/* Switches audit mode of the endpoint on <ifindex>. */
int dfl_datapath__endpoint_set_audit(struct dfl_datapath *dp, __u32 ifindex,
				     bool audit);

/* Calls <fn> for every recorded endpoint; stops at a negative return. */
int dfl_datapath__endpoint_foreach(struct dfl_datapath *dp,
				   dfl_endpoint_fn fn, void *ctx);

/* After adopting: attaches this process's programs to every recorded
 * endpoint whose interface still exists, and forgets the others. Returns
 * the number of endpoints re-attached. */
int dfl_datapath__endpoints_reattach(struct dfl_datapath *dp);

/* ---- policy ---- */

/* Replaces the whole policy of endpoint <ep_id>: builds a new map with the
 * <n> entries aside and swaps it in with one update, so packets see the old
 * or the new policy, never a mix. When the entries do not fit (more than
 * policy_map_max) or one is invalid, the endpoint is put into deny-all (an
 * empty map), a DFL_EV_POLICY_OVERFLOW event is queued for the next
 * dfl_datapath__events_poll(), and -E2BIG / -EINVAL is returned. */
int dfl_datapath__policy_replace(struct dfl_datapath *dp, __u16 ep_id,
				 const struct dfl_policy_spec *entries,
				 size_t n);

/* Encodes one entry into the map layout. Returns 0 or -EINVAL (protocol 0
 * with a port, port bits beyond port_prefix_len, prefix > 16). */
int dfl_policy_spec__encode(const struct dfl_policy_spec *s,
			    struct dfl_policy_key *key,
			    struct dfl_policy_entry *val);

/* Calls <fn> for every entry of endpoint <ep_id>'s policy (-ENOENT when it
 * has none). */
int dfl_datapath__policy_foreach(struct dfl_datapath *dp, __u16 ep_id,
				 dfl_policy_entry_fn fn, void *ctx);

/* ---- ipcache ---- */

/* Maps every address of <pfx> (not covered by a longer prefix) to
 * val->identity. */
int dfl_datapath__ipcache_upsert(struct dfl_datapath *dp,
				 const struct dfl_dp_prefix *pfx,
				 const struct dfl_ipcache_entry *val);
int dfl_datapath__ipcache_delete(struct dfl_datapath *dp,
				 const struct dfl_dp_prefix *pfx);

/* Parses "10.0.0.0/8", "fd00::/64", or a bare address (full length).
 * Returns 0 or -EINVAL (host bits set beyond the prefix are rejected). */
int dfl_dp_prefix__parse(const char *s, struct dfl_dp_prefix *out);

/* Parses "10.96.0.10:80" or "[fd00::10]:80". Returns 0 or -EINVAL. */
int dfl_dp_sockaddr__parse(const char *s, struct dfl_dp_sockaddr *out);

/* ---- services ---- */

/* Creates or replaces the service <frontend>/<proto> (IPPROTO_TCP or
 * IPPROTO_UDP) with <n> backends (at most DFL_LB_MAX_BACKENDS, same family
 * as the frontend); one map update, so new connections see the old or the
 * new backend set. Established connections keep their backend while it is
 * still listed. n == 0 makes new connections drop with
 * SERVICE_BACKEND_NOT_FOUND. */
int dfl_datapath__service_upsert(struct dfl_datapath *dp,
				 const struct dfl_dp_sockaddr *frontend,
				 __u8 proto,
				 const struct dfl_dp_sockaddr *backends, size_t n);
int dfl_datapath__service_delete(struct dfl_datapath *dp,
				 const struct dfl_dp_sockaddr *frontend,
				 __u8 proto);

/* ---- events and counters ---- */

/* Waits up to <timeout_ms> (-1: forever, 0: no wait) for events and hands
 * each to <fn> (userspace-queued events first). Returns the number of
 * events delivered, or a negative errno / <fn>'s negative return. */
int dfl_datapath__events_poll(struct dfl_datapath *dp, int timeout_ms,
			      dfl_event_fn fn, void *ctx);

/* An fd that becomes readable when events are pending (for the caller's
 * epoll loop; then call dfl_datapath__events_poll(dp, 0, ...)). */
int dfl_datapath__events_fd(struct dfl_datapath *dp);

/* Events the datapath could not report because the ring buffer was full. */
int dfl_datapath__events_lost(struct dfl_datapath *dp, __u64 *lost);

/* Calls <fn> for every non-zero (reason, direction) counter. */
int dfl_datapath__counters_foreach(struct dfl_datapath *dp, dfl_counter_fn fn,
				   void *ctx);

/* Calls <fn> for every live conntrack entry (tests, debugging). */
int dfl_datapath__ct_foreach(struct dfl_datapath *dp, dfl_ct_fn fn, void *ctx);

/* ---- the node ---- */

/* Prepares the caller's network namespace (where the host-side veths live)
 * for L7 redirect, idempotently: for IPv4 and IPv6,
 *   ip rule add pref 9 fwmark 0x200/0xf00 lookup 2004
 *   ip route add local default dev lo table 2004
 * and net.ipv4.ip_early_demux = 0 (otherwise packets forwarded between
 * pods are matched to the proxy's transparent socket by early demux and
 * dropped by the forwarding path; needed for ingress redirects). Host-side
 * veths also need rp_filter 0 or 2 (loose). */
int dfl_node__proxy_setup(void);

/* Removes what dfl_node__proxy_setup() added (early demux back on). */
int dfl_node__proxy_teardown(void);

/* ---- names ---- */

/* "L3-Only", "L3-L4", "L4-Only", "all", "L3-Proto", "Proto-Only", "none". */
const char *dfl_policy_match__str(unsigned int match_type);

#define DFL_TC_HANDLE 0xdf1
#define DFL_TC_PRIORITY 1

#endif
