/* A digest of an object's content, for telling "configured" from "unchanged"
 * the way kubectl apply reports it. Internal to crd/. */
#ifndef DFL_CRD_DIGEST_H
#define DFL_CRD_DIGEST_H

#include <jansson.h>
#include <stdint.h>

/* 64-bit hash of <root> without its status and without the metadata the
 * server sets (resourceVersion, generation, uid, creationTimestamp,
 * managedFields, selfLink, kubectl's last-applied annotation): the same
 * manifest applied twice, or read back from the API server, hashes the same.
 * Key order does not matter. Returns 0 only when out of memory. */
uint64_t dfl_content_digest(const json_t *root);

#endif
