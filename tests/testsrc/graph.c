/* SPDX-License-Identifier: MIT */
/* The registry, for the producer: its own object.serial and its links. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/testsrc/graph.h"

static void note_link(struct ts_graph *g, uint32_t id, const struct spa_dict *props)
{
	const char *out = spa_dict_lookup(props, PW_KEY_LINK_OUTPUT_NODE);

	if (!out || g->n_links >= TS_GRAPH_MAX_LINKS)
		return;
	g->link_ids[g->n_links] = id;
	g->link_out_nodes[g->n_links] = (uint32_t)strtoul(out, NULL, 10);
	g->n_links++;
}

static void on_global(void *data, uint32_t id, uint32_t permissions, const char *type,
		      uint32_t version, const struct spa_dict *props)
{
	struct ts_graph *g = data;
	const char *name, *pid, *serial;

	if (!props)
		return;
	if (strcmp(type, PW_TYPE_INTERFACE_Link) == 0) {
		note_link(g, id, props);
		return;
	}
	if (g->serial_printed || !g->print_serial || strcmp(type, PW_TYPE_INTERFACE_Node) != 0)
		return;
	name = spa_dict_lookup(props, PW_KEY_NODE_NAME);
	pid = spa_dict_lookup(props, PW_KEY_APP_PROCESS_ID);
	serial = spa_dict_lookup(props, PW_KEY_OBJECT_SERIAL);
	if (!name || !serial || strcmp(name, g->node_name) != 0)
		return;
	/* Another process may have a node of the same name. */
	if (pid && atoi(pid) != (int)getpid())
		return;
	printf("object.serial=%s\nnode.id=%" PRIu32 "\n", serial, id);
	fflush(stdout);
	g->serial_printed = true;
}

static void on_global_remove(void *data, uint32_t id)
{
	struct ts_graph *g = data;

	for (uint32_t i = 0; i < g->n_links; i++)
		if (g->link_ids[i] == id) {
			g->n_links--;
			g->link_ids[i] = g->link_ids[g->n_links];
			g->link_out_nodes[i] = g->link_out_nodes[g->n_links];
			return;
		}
}

static const struct pw_registry_events registry_events = {
	PW_VERSION_REGISTRY_EVENTS,
	.global = on_global,
	.global_remove = on_global_remove,
};

int ts_graph_watch(struct ts_graph *g, struct pw_core *core, const char *node_name,
		   bool print_serial)
{
	g->node_name = node_name;
	g->print_serial = print_serial;
	g->registry = pw_core_get_registry(core, PW_VERSION_REGISTRY, 0);
	if (!g->registry)
		return -errno;
	pw_registry_add_listener(g->registry, &g->listener, &registry_events, g);
	return 0;
}

bool ts_graph_has_output_link(const struct ts_graph *g, uint32_t node_id)
{
	for (uint32_t i = 0; i < g->n_links; i++)
		if (g->link_out_nodes[i] == node_id)
			return true;
	return false;
}

void ts_graph_stop(struct ts_graph *g)
{
	if (!g->registry)
		return;
	spa_hook_remove(&g->listener);
	pw_proxy_destroy((struct pw_proxy *)g->registry);
	g->registry = NULL;
}
