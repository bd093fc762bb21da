/* Preparing the network namespace of the host-side veths for L7 redirect
 * (dfl_proxy_abi.h): policy routing of marked packets to local delivery,
 * and IP early demux off. Talks rtnetlink directly. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "bpf/internal.h"
#include "util/log.h"

struct dfl_nlreq {
	struct nlmsghdr nh;
	union {
		struct fib_rule_hdr frh;
		struct rtmsg rtm;
	};
	char attrs[64];
};

static void dfl_nl_put_u32(struct dfl_nlreq *req, __u16 type, __u32 val)
{
	struct rtattr *rta =
		(struct rtattr *)((char *)req + NLMSG_ALIGN(req->nh.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(sizeof(val));
	memcpy(RTA_DATA(rta), &val, sizeof(val));
	req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) + rta->rta_len;
}

/* Sends <req> and returns the kernel's answer (0 or -errno). */
static int dfl_nl_talk(struct dfl_nlreq *req)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[512];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	int fd, err;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	req->nh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	req->nh.nlmsg_seq = 1;
	if (sendto(fd, req, req->nh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
		err = n < 0 ? -errno : -EIO;
		goto out;
	}
	err = nh->nlmsg_type == NLMSG_ERROR ?
		      ((struct nlmsgerr *)NLMSG_DATA(nh))->error :
		      -EIO;
out:
	close(fd);
	return err;
}

/* ip [-6] rule add|del pref 9 fwmark 0x200/0xf00 lookup 2004 (Cilium's
 * priority; an explicit one makes adding twice an EEXIST). */
static int dfl_proxy_rule(int family, bool add)
{
	struct dfl_nlreq req = {};

	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.frh));
	req.nh.nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
	req.nh.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
	req.frh.family = family;
	req.frh.action = FR_ACT_TO_TBL;
	dfl_nl_put_u32(&req, FRA_PRIORITY, DFL_PROXY_RULE_PRIORITY);
	dfl_nl_put_u32(&req, FRA_FWMARK, DFL_MARK_TO_PROXY);
	dfl_nl_put_u32(&req, FRA_FWMASK, DFL_MARK_MAGIC_MASK);
	dfl_nl_put_u32(&req, FRA_TABLE, DFL_PROXY_ROUTE_TABLE);
	return dfl_nl_talk(&req);
}

/* ip [-6] route add|del local default dev lo table 2004 */
static int dfl_proxy_route(int family, bool add)
{
	struct dfl_nlreq req = {};

	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.rtm));
	req.nh.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	req.nh.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
	req.rtm.rtm_family = family;
	req.rtm.rtm_table = RT_TABLE_UNSPEC;
	req.rtm.rtm_protocol = RTPROT_BOOT;
	req.rtm.rtm_scope = RT_SCOPE_HOST;
	req.rtm.rtm_type = RTN_LOCAL;
	dfl_nl_put_u32(&req, RTA_TABLE, DFL_PROXY_ROUTE_TABLE);
	dfl_nl_put_u32(&req, RTA_OIF, if_nametoindex("lo"));
	return dfl_nl_talk(&req);
}

static int dfl_sysctl_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

int dfl_node__proxy_setup(void)
{
	static const int families[] = { AF_INET, AF_INET6 };
	int err;

	for (size_t i = 0; i < 2; i++) {
		err = dfl_proxy_rule(families[i], true);
		if (!err || err == -EEXIST)
			err = dfl_proxy_route(families[i], true);
		if (err && err != -EEXIST &&
		    !(families[i] == AF_INET6 && err == -EAFNOSUPPORT)) {
			pr_warn("datapath: cannot route marked packets to the "
				"proxy (ip%s rule fwmark 0x200/0xf00 lookup "
				"2004): %s\n",
				families[i] == AF_INET6 ? " -6" : "",
				dfl_errstr(err));
			return err;
		}
	}
	/* Early demux would hand a forwarded packet to the proxy's
	 * transparent socket of its connection, and the forwarding path
	 * drops packets that have a socket. */
	err = dfl_sysctl_write("/proc/sys/net/ipv4/ip_early_demux", "0");
	if (err)
		pr_warn("datapath: cannot turn net.ipv4.ip_early_demux off: "
			"%s\n",
			dfl_errstr(err));
	return err;
}

int dfl_node__proxy_teardown(void)
{
	static const int families[] = { AF_INET, AF_INET6 };
	int err, ret = 0;

	for (size_t i = 0; i < 2; i++) {
		err = dfl_proxy_rule(families[i], false);
		if (err && err != -ENOENT && err != -EAFNOSUPPORT && !ret)
			ret = err;
		err = dfl_proxy_route(families[i], false);
		if (err && err != -ESRCH && err != -ENOENT &&
		    err != -EAFNOSUPPORT && !ret)
			ret = err;
	}
	err = dfl_sysctl_write("/proc/sys/net/ipv4/ip_early_demux", "1");
	return ret ? ret : err;
}
