/* Types shared by the agent's files and by the components the integrator plugs
 * into it (policy engine, BPF loader, proxy, flows): pods as the agent sees
 * them, endpoints, services, configuration and the hook table.
 *
 * Ownership: every pointer inside these structs is owned by the struct that
 * holds it. Hooks receive borrowed pointers valid for the duration of the
 * call only (copy what you keep; endpoint ids and ifindexes are stable).
 */
#ifndef DFL_AGENT_AGENT_T_H
#define DFL_AGENT_AGENT_T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crd/crd-t.h"

/* Netns names are "dfl-" + 12 hex digits; host-side veths "lxc" + 12 hex
 * digits (15 characters, the kernel's IFNAMSIZ - 1, like Cilium's lxc names).
 */
#define DFL_NETNS_NAME_MAX 32
#define DFL_IFNAME_MAX	   16

/* A pod as the agent needs it: identity (namespace/name), labels, ports and
 * what runs in it. Filled from the control-socket JSON (agent/pod.h) or from
 * crd's struct dfl_pod (dfl_pod_desc__from_pod). */
struct dfl_pod_desc {
	char *namespace; /* never NULL after parsing: "default" when omitted */
	char *name;
	struct dfl_kvs labels; /* sorted by key, keys unique; pos unused */
	struct dfl_container_port *ports;
	size_t n_ports;
	char *image;	/* NULL when the pod has no image */
	char **command; /* container command + args, may be empty */
	size_t n_command;
	char *service_account; /* "default" when omitted */
	char *workload_name;   /* owning Deployment, or NULL */
	char *workload_kind;   /* "Deployment", or NULL */
};

/* Lifecycle states, named as Cilium names them in `cilium endpoint list`. */
enum dfl_endpoint_state {
	DFL_EP_CREATING = 0, /* recorded, kernel objects being made */
	DFL_EP_READY,
	DFL_EP_RESTORING,     /* adopted after a restart, being checked */
	DFL_EP_NOT_READY,     /* a hook or a repair failed; see ->reason */
	DFL_EP_DISCONNECTING, /* being removed */
};

/* The long-running program of a pod (agent/process.h). */
struct dfl_pod_process {
	char *program; /* absolute path, NULL when the image maps to nothing */
	pid_t pid;     /* 0 when not running */
	unsigned long long start_time; /* /proc/PID/stat field 22: tells a
					* restarted agent that the PID is still
					* the same process */
	int pidfd;		       /* -1 when not running */
	unsigned int restarts;
	int last_status; /* wait status of the last exit, -1 when none */
	long long restart_at_ms; /* CLOCK_MONOTONIC ms; 0 = no restart due */
	unsigned int backoff_ms; /* delay before the next restart */
	long long started_at_ms;
};

/* One pod on this node. Created, owned and freed by the agent
 * (agent/pods.c); hooks may set identity and policy_* (then call
 * dfl_agent__endpoint_changed), and must not keep the pointer past
 * endpoint_deleted. */
struct dfl_endpoint {
	uint16_t id; /* 1..4095, random, like Cilium's endpoint ids */
	struct dfl_pod_desc pod;
	enum dfl_endpoint_state state;
	char *reason; /* why NOT_READY, or NULL */

	char netns[DFL_NETNS_NAME_MAX]; /* /run/netns/<netns> */
	char ifname[DFL_IFNAME_MAX];	/* host side, in the node's netns */
	int ifindex;			/* host side, in the node's netns */
	uint8_t mac[6];			/* eth0 inside the pod */
	uint8_t host_mac[6];		/* host side */
	uint32_t ipv4;			/* host byte order */
	char *hosts_path;  /* its /etc/hosts (shared by its namespace) */
	char *resolv_path; /* its /etc/resolv.conf (idem) */

	/* Filled by the integrator (identity allocation, policy engine);
	 * printed by `deflector endpoint list`. 0 / NULL until then. */
	uint32_t identity;
	char *policy_ingress; /* "Enabled", "Disabled", ... or NULL */
	char *policy_egress;

	struct dfl_pod_process proc;
	long long created_at_ms; /* CLOCK_REALTIME ms */
};

/* A Service: name, ClusterIP and the pods it selects. */
struct dfl_service_desc {
	char *namespace;
	char *name;
	uint32_t cluster_ip; /* host order; 0 = allocate one */
	bool headless;	     /* clusterIP: None (names resolve to the pods) */
	struct dfl_kvs selector; /* empty: selects no pods */
	struct dfl_service_port *ports;
	size_t n_ports;
};

/* A Deployment: <replicas> pods named <name>-<template hash>-<suffix>. */
struct dfl_deployment_desc {
	char *namespace;
	char *name;
	uint32_t replicas;
	struct dfl_pod_desc template; /* name unused */
};

struct dfl_agent_config {
	const char *node_netns;	  /* NULL: the host's own netns is the node */
	const char *node_name;	  /* NULL: node_netns, else the host name */
	const char *socket_path;  /* NULL: DFL_AGENT_SOCKET */
	const char *state_dir;	  /* NULL: DFL_AGENT_STATE_DIR */
	const char *pod_cidr;	  /* NULL: DFL_AGENT_POD_CIDR */
	const char *service_cidr; /* NULL: DFL_AGENT_SERVICE_CIDR */
	const char *image_dir;	  /* NULL: next to the deflector binary */
	const char *policy_dir;	  /* NULL: no directory watch */
	/* Kubernetes chaining mode: pods belong to another CNI and reach the
	 * agent through dfl_agent__endpoint_adopt(). The agent then creates
	 * no pods, links or node namespace, serves no pod, Service or
	 * Deployment ops, and keeps no endpoint state across restarts (the
	 * API server is the source of truth). */
	bool chaining;
};

#define DFL_AGENT_SOCKET       "/run/deflector/agent.sock"
#define DFL_AGENT_STATE_DIR    "/var/lib/deflector"
#define DFL_AGENT_POD_CIDR     "10.200.0.0/16"
#define DFL_AGENT_SERVICE_CIDR "10.96.0.0/16"

struct dfl_agent;

enum dfl_file_event {
	DFL_FILE_ADDED = 0,
	DFL_FILE_CHANGED,
	DFL_FILE_REMOVED,
};

/* How the integrator plugs components into the agent. Every member may be
 * NULL. Calls happen on the agent's event-loop thread, one at a time.
 * Endpoint pointers are borrowed for the call. */
struct dfl_agent_hooks {
	void *ctx;
	/* The endpoint's veth exists, is up and routed (ep->ifindex is the
	 * host side in the node's netns: attach tc programs there), but no
	 * process runs in the pod yet. <restored> is true when a restarted
	 * agent adopted an existing endpoint. Returning a negative errno fails
	 * the creation: the endpoint is removed and the client gets the
	 * error (for a restored endpoint it is kept but marked not-ready). */
	int (*endpoint_created)(void *ctx, struct dfl_agent *agent,
				struct dfl_endpoint *ep, bool restored);
	/* The labels of an existing pod changed (ep->pod.labels is new). */
	void (*endpoint_updated)(void *ctx, struct dfl_agent *agent,
				 struct dfl_endpoint *ep);
	/* Called before the endpoint's kernel objects are removed. */
	void (*endpoint_deleted)(void *ctx, struct dfl_agent *agent,
				 const struct dfl_endpoint *ep);
	/* A Service was added, changed, or its backends changed (a pod it
	 * selects was created, deleted or relabelled; deleted = false), or it
	 * was removed (deleted = true). The backends are the ready endpoints
	 * its selector matches (dfl_agent__service_backends), on the ports
	 * dfl_agent__backend_port gives. After a restart it is called for
	 * every Service once the endpoints are restored. */
	void (*service_changed)(void *ctx, struct dfl_agent *agent,
				const struct dfl_service_desc *svc,
				bool deleted);
	/* A policy file (*.yaml, *.yml, *.json) of the --policy-dir directory
	 * was added, changed or removed. At start-up every file present is
	 * reported as added. */
	void (*policy_file)(void *ctx, struct dfl_agent *agent,
			    const char *path, enum dfl_file_event ev);
	/* The agent is about to stop (SIGTERM/SIGINT); endpoints stay. */
	void (*shutdown)(void *ctx, struct dfl_agent *agent);
};

#endif
