/* The harness's in-process 9P2000.L server (fake_9p.c). */
#ifndef FAKE_9P_H
#define FAKE_9P_H
#include <stdint.h>
#include "shim/p9.h"
/* A transport whose server exports the host directory dir. */
struct p9_transport *fake9p_serve(const char *dir, uint32_t msize);
unsigned long fake9p_messages(void);   /* T-messages answered, all servers */
unsigned long fake9p_fsyncs(void);     /* Tfsync received */
int fake9p_open_fids(struct p9_transport *t);   /* fids the server holds */
#endif
