/* The flowLogs configuration file (Hubble's dynamic exporter,
 * --hubble-flowlogs-config-path), loaded with libcyaml into fixed C structs:
 *
 *   flowLogs:
 *   - name: drops                      # required, unique
 *     filePath: /var/run/deflector/drops.log   # required, unique; "stdout"
 *     fieldMask: [time, verdict, source, destination, l4, drop_reason_desc]
 *     includeFilters:                  # FlowFilters, any may match
 *     - verdict: [DROPPED]
 *       event_type: [{type: 1}]
 *     excludeFilters:                  # FlowFilters, none may match
 *     - source_pod: ["kube-system/"]
 *     fileMaxSizeMb: 10                # 0: 10
 *     fileMaxBackups: 3                # 0: 5
 *     fileCompress: true
 *     end: "2026-10-09T23:59:59-07:00" # export stops after this instant
 *     # deflector's additions
 *     chain: true                      # hash-chain manifests (default true)
 *     chainKeyFile: /etc/deflector/chain.key
 *     fsyncIntervalMs: 1000            # 0: fsync at rotation and close
 *
 * Unknown keys are errors, so that a typo never silently widens a filter. */
#ifndef DFL_FLOW_FLOWLOGS_H
#define DFL_FLOW_FLOWLOGS_H

#include <stddef.h>

struct dfl_flowlogs;
struct dfl_exporter;

/* Loads and validates <path>: YAML shape, required and unique names and
 * paths, filters, field masks, end times. Returns 0 with *out set (free
 * with dfl_flowlogs__free), or -EINVAL/-ENOENT/... with a message in
 * <err> naming the file and the flow log. */
int dfl_flowlogs__load(const char *path, struct dfl_flowlogs **out, char *err,
		       size_t errlen);
size_t dfl_flowlogs__count(const struct dfl_flowlogs *c);
const char *dfl_flowlogs__name(const struct dfl_flowlogs *c, size_t i);
/* Starts the exporter of flow log <i>; <node_name> goes into lost_events
 * lines. Returns NULL with errno set and a message in <err>. */
struct dfl_exporter *dfl_flowlogs__start(const struct dfl_flowlogs *c,
					 size_t i, const char *node_name,
					 char *err, size_t errlen);
void dfl_flowlogs__free(struct dfl_flowlogs *c);

#endif
