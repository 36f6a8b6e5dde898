/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inventories: the hosts of the ssh provider, read from and written as
 * the Ansible hosts.yaml that GreenFlow's playbooks use.
 *
 *	json_t *hosts = gf_inventory_load("hosts.yaml", &err);
 *	...
 *	char *yaml = gf_inventory_ansible(hosts);
 *
 * Two layouts are read:
 *
 *   Ansible: "all" with "hosts" (name -> variables), "children" (group
 *   -> the same, nested), "vars" at any group. A host's variables win
 *   over its groups', a child group's over its parent's. Read:
 *   ansible_host (ansible_ssh_host), ansible_user (ansible_ssh_user),
 *   ansible_port (ansible_ssh_port), ansible_ssh_private_key_file,
 *   ansible_ssh_known_hosts_file, ansible_ssh_timeout and
 *   host_key_sha256; other variables are the playbooks' and are left
 *   alone. Hosts in the groups broker, control and worker (or their
 *   children) get those roles. A root without "all" is read as all's
 *   groups.
 *
 *   A list: each item "[user@]address[:port]" ("[v6]:port") or a mapping
 *   with name, address, user, port, key, known_hosts, host_key_sha256,
 *   connect_timeout and roles.
 *
 * Entries are host entries of the run document (gf_section.h, gf_host.h):
 * name, address, user, port, key, known_hosts, host_key_sha256,
 * connect_timeout (each only when given) and roles (possibly empty), in
 * the order of the file. "~/" in paths is $HOME.
 */
#ifndef GF_INVENTORY_H
#define GF_INVENTORY_H

#include <jansson.h>

#include "gf_err.h"

/*
 * The host entries of the inventory at path. Returns a new array, or
 * NULL with err: 66 when missing, 65 for YAML that does not parse or a
 * field that is wrong ("FILE:LINE:COL: FIELD: what is wrong"), no hosts,
 * or a name given twice.
 */
json_t *gf_inventory_load(const char *path, struct gf_err *err);

/*
 * hosts (host entries) as an Ansible hosts.yaml that gf_inventory_load
 * reads back to the same entries: every host under all.hosts with its
 * ansible_* variables, and a group under all.children per role. Every
 * key and value is quoted. Returns a new string.
 */
char *gf_inventory_ansible(const json_t *hosts);

#endif
