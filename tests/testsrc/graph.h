/* SPDX-License-Identifier: MIT */
#ifndef LF_TESTSRC_GRAPH_H
#define LF_TESTSRC_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include <pipewire/pipewire.h>

#define TS_GRAPH_MAX_LINKS 16

/* What the registry tells the producer: its node's object.serial (printed
 * once, for --print-serial) and which links leave which node (for
 * --wait-consumer). */
struct ts_graph {
	struct pw_registry *registry;
	struct spa_hook listener;
	const char *node_name;
	bool print_serial, serial_printed;
	uint32_t link_ids[TS_GRAPH_MAX_LINKS], link_out_nodes[TS_GRAPH_MAX_LINKS];
	uint32_t n_links;
};

/* Start listening; node_name must outlive g. Returns 0 or -errno. */
int ts_graph_watch(struct ts_graph *g, struct pw_core *core, const char *node_name,
		   bool print_serial);
/* Whether a link leaves node_id (someone consumes it). */
bool ts_graph_has_output_link(const struct ts_graph *g, uint32_t node_id);
void ts_graph_stop(struct ts_graph *g);

#endif
