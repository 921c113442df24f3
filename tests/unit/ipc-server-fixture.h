/* SPDX-License-Identifier: MIT */
#pragma once
/* Fixture shared by the ipc/server unit tests (see ipc-server-fixture.c).
 * Everything is ipct_ prefixed: it is linked into every unit test binary. */
#include <stddef.h>
#include <stdint.h>

#include <pipewire/pipewire.h>

#include "ipc/proto-parse.h"
#include "ipc/server.h"

#define NBUF 4

extern struct pw_loop *ipct_loop;
extern struct lf_server *ipct_srv;
extern char ipct_dir[40], ipct_path[80];
extern struct lf_buffer ipct_bufs[NBUF];
extern int ipct_released[NBUF];     /* release callbacks per buffer */
extern uint64_t ipct_next_seq;
extern int ipct_n_clients_event;    /* last clients_changed value */
extern uint8_t ipct_rx[LF_PROTO_MAX_MSG];

/* Turn the loop until nothing is pending. */
void ipct_pump(void);
void ipct_make_server(uint32_t lease_timeout_ms);
void ipct_set_format(uint32_t gen);
/* Check fixture: loop, temp dir, NBUF memfd buffers, server, format gen 1. */
void ipct_setup(void);
/* Checks every buffer reference went back and the socket file is gone. */
void ipct_teardown(void);
int ipct_cl_connect(void);
void ipct_cl_send(int fd, const void *p, size_t len);
/* Next message (type returned, 0 when none queued), fds kept in fds[]. */
int ipct_cl_recv(int fd, struct lf_proto_msg *m, int *fds, unsigned *n_fds);
int ipct_cl_recv_nofd(int fd, struct lf_proto_msg *m);
/* Connect, HELLO, and read WELCOME (copied to welcome) and FORMAT. */
int ipct_cl_hello(uint32_t caps, uint32_t max_held, struct lf_proto_msg *welcome);
void ipct_cl_release(int fd, const struct lf_msg_frame *f);
/* A frame on buffer b with the next sequence number. */
struct lf_frame *ipct_frame(int b);
/* Publish it and turn the loop. */
void ipct_publish(int b);
