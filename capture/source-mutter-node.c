/* SPDX-License-Identifier: MIT */
/*
 * Node id → object.serial. Mutter's PipeWireStreamAdded gives a node id, but
 * target.object takes a serial (ids are reused after a node goes away), so
 * we read the node's global from a registry of our own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipewire/pipewire.h>

#include "capture/source-mutter.h"

struct lf_node_lookup {
	struct pw_core *core;
	struct pw_registry *registry;
	struct spa_hook core_listener;
	struct spa_hook registry_listener;
	uint32_t node_id;
	int sync_seq;
	bool done;
	lf_node_lookup_fn fn;
	void *data;
};

static void finish(struct lf_node_lookup *l, int res, const char *target)
{
	if (l->done)
		return;
	l->done = true;
	l->fn(l->data, res, target);
}

static void on_global(void *data, uint32_t id, uint32_t permissions, const char *type,
		      uint32_t version, const struct spa_dict *props)
{
	struct lf_node_lookup *l = data;
	const char *serial, *name;

	if (l->done || id != l->node_id || strcmp(type, PW_TYPE_INTERFACE_Node) != 0)
		return;
	serial = props ? spa_dict_lookup(props, PW_KEY_OBJECT_SERIAL) : NULL;
	name = props ? spa_dict_lookup(props, PW_KEY_NODE_NAME) : NULL;
	/* Old servers lack serials; the name is the next best thing. */
	if (serial || name)
		finish(l, 0, serial ? serial : name);
	else
		finish(l, -ENODATA, NULL);
}

static const struct pw_registry_events registry_events = {
	PW_VERSION_REGISTRY_EVENTS,
	.global = on_global,
};

static void on_core_done(void *data, uint32_t id, int seq)
{
	struct lf_node_lookup *l = data;

	/* Every global existing at connect time came before this reply. */
	if (id == PW_ID_CORE && seq == l->sync_seq)
		finish(l, -ENOENT, NULL);
}

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
	struct lf_node_lookup *l = data;

	if (id == PW_ID_CORE)
		finish(l, res < 0 ? res : -EPIPE, NULL);
}

static const struct pw_core_events core_events = {
	PW_VERSION_CORE_EVENTS,
	.done = on_core_done,
	.error = on_core_error,
};

int lf_node_lookup_new(struct pw_context *context, uint32_t node_id,
		       lf_node_lookup_fn fn, void *data, struct lf_node_lookup **out)
{
	struct lf_node_lookup *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	l->node_id = node_id;
	l->fn = fn;
	l->data = data;
	l->core = pw_context_connect(context, NULL, 0);
	if (!l->core) {
		r = errno ? -errno : -EIO;
		goto fail;
	}
	pw_core_add_listener(l->core, &l->core_listener, &core_events, l);
	l->registry = pw_core_get_registry(l->core, PW_VERSION_REGISTRY, 0);
	if (!l->registry) {
		r = errno ? -errno : -EIO;
		goto fail;
	}
	pw_registry_add_listener(l->registry, &l->registry_listener, &registry_events, l);
	l->sync_seq = pw_core_sync(l->core, PW_ID_CORE, 0);
	*out = l;
	return 0;
fail:
	lf_node_lookup_destroy(l);
	return r;
}

void lf_node_lookup_destroy(struct lf_node_lookup *l)
{
	if (!l)
		return;
	if (l->registry) {
		spa_hook_remove(&l->registry_listener);
		pw_proxy_destroy((struct pw_proxy *)l->registry);
	}
	if (l->core) {
		spa_hook_remove(&l->core_listener);
		pw_core_disconnect(l->core);
	}
	free(l);
}
