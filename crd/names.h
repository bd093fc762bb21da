/* Kubernetes and Cilium name rules (internal to crd/): label keys and values,
 * DNS names, IANA service names. Each check returns NULL when <s> is valid,
 * else a message fragment saying what is wrong. */
#ifndef DFL_CRD_NAMES_H
#define DFL_CRD_NAMES_H

#include <stdbool.h>

/* k8s IsQualifiedName: [prefix/]name, as label keys are. */
const char *dfl_check_label_key(const char *s);
/* k8s IsValidLabelValue: empty, or a name of at most 63 characters. */
const char *dfl_check_label_value(const char *s);
/* Cilium's IsValidCiliumLabelKey: [source:]qualified-name. */
const char *dfl_check_cilium_label_key(const char *s);
/* RFC 1123 subdomain (<= 253) and label (<= 63); RFC 1035 label. */
const char *dfl_check_dns_subdomain(const char *s);
const char *dfl_check_dns_label(const char *s);
const char *dfl_check_dns1035_label(const char *s);
/* IANA service name as Cilium's iana.IsSvcName: 1..15 characters of
 * [a-zA-Z0-9-], at least one letter, no leading/trailing/double '-'. */
bool dfl_is_svc_name(const char *s);

#endif
