/* Prometheus metrics from flows: Hubble's flow, drop, tcp, port-distribution,
 * icmp, dns, http/httpV2 and policy handlers with their names and labels,
 * plus the agent's cilium_drop_count_total / cilium_forward_count_total
 * (docs/flows.md "Metrics"). Rendered in the Prometheus text format.
 *
 * Thread safety: every function may be called from any thread; a mutex
 * guards the series. */
#ifndef DFL_FLOW_METRICS_H
#define DFL_FLOW_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "flow/flow-t.h"
#include "util/strbuf.h"

/* What deflector enables when no list is given. */
#define DFL_METRICS_DEFAULT "flow drop tcp dns httpV2 policy port-distribution icmp"

struct dfl_metrics;

/* Parses Hubble's --hubble-metrics list: space-separated handlers, each
 * optionally followed by ":option=value;option=value", e.g.
 * "drop:labelsContext=source_namespace,destination_namespace
 *  httpV2:sourceContext=workload-name|pod;destinationContext=pod".
 * NULL means DFL_METRICS_DEFAULT. Returns NULL with errno = EINVAL and a
 * message naming the handler or option in <err>, or ENOMEM. */
struct dfl_metrics *dfl_metrics__new(const char *spec, char *err,
				     size_t errlen);
/* Counts one flow in every enabled handler. */
void dfl_metrics__observe(struct dfl_metrics *m, const struct dfl_flow *f);
/* Datapath counters, fed by the agent from the BPF metrics map:
 * cilium_drop_count_total{reason,direction} and cilium_drop_bytes_total
 * when <drop> (reason is the drop code, printed as its text, "Policy
 * denied"), else cilium_forward_count_total{direction} and
 * cilium_forward_bytes_total. */
void dfl_metrics__datapath_add(struct dfl_metrics *m, bool drop,
			       uint32_t reason,
			       enum dfl_traffic_direction direction,
			       uint64_t packets, uint64_t bytes);
/* Appends every metric in the text exposition format (version 0.0.4). */
int dfl_metrics__render(struct dfl_metrics *m, struct dfl_strbuf *out);
void dfl_metrics__free(struct dfl_metrics *m);

/* ---- the /metrics endpoint (flow/metrics_server.c) ---------------------- */

struct dfl_metrics_server;

/* Serves GET /metrics over HTTP/1.1 on <addr> ("host:port", ":port" for all
 * addresses, "[::1]:port"; NULL: ":9965") from a thread of its own.
 * Returns NULL with errno set and a message in <err>. */
struct dfl_metrics_server *dfl_metrics_server__start(struct dfl_metrics *m,
						     const char *addr,
						     char *err, size_t errlen);
/* The port actually bound (when the address asked for port 0). */
int dfl_metrics_server__port(const struct dfl_metrics_server *s);
void dfl_metrics_server__stop(struct dfl_metrics_server *s);

#endif
