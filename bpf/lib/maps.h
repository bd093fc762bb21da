/* Every map of the datapath. Sizes here are defaults: the loader resizes
 * them before load (struct dfl_datapath_opts), and pins them by name under
 * the pin root so that a restarted agent adopts them (libbpf reuses a pinned
 * map whose type, sizes and flags match). */
#ifndef DFL_BPF_MAPS_H
#define DFL_BPF_MAPS_H

#include "common.h"

/* Sizes instead of __type(): clang 14 emits only forward declarations for
 * types reached through an inner map definition, which libbpf rejects. */
struct dfl_policy_inner {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(struct dfl_policy_key));
	__uint(value_size, sizeof(struct dfl_policy_entry));
};

/* endpoint id -> that endpoint's policy (one LPM trie each). An array:
 * the verifier inlines its lookups. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, DFL_EP_ID_MAX + 1);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct dfl_policy_inner);
} dfl_policy SEC(".maps");

/* host-side veth ifindex -> endpoint. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct dfl_endpoint_info);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} dfl_endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct dfl_ipcache_key);
	__type(value, struct dfl_ipcache_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} dfl_ipcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct dfl_ct_key);
	__type(value, struct dfl_ct_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} dfl_ct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct dfl_frag4_key);
	__type(value, struct dfl_frag4_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} dfl_frag4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct dfl_lb_key);
	__type(value, struct dfl_lb_service);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} dfl_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dfl_lb_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} dfl_lb_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} dfl_events SEC(".maps");

/* Events that did not fit in the ring buffer (one slot, per CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} dfl_ev_lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DFL_METRICS_MAX);
	__type(key, __u32);
	__type(value, struct dfl_metrics_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} dfl_metrics SEC(".maps");

#endif
