/* What a host keeps for the layers above it and does not look inside:
 * their state by slot, and the ephemeral-port cursor its transports share.
 * Private to the simulator's layers. */
#pragma once

#include "netsim/host.h"

/* The host's ephemeral-port cursor, shared by its transports so that a
 * host's successive ephemeral ports are distinct across UDP and TCP. 0
 * until the first allocation. */
uint32_t *ns_host_ephemeral_cursor(NsHost *host);

/* Per-host slots where upper layers keep their state; the host does not
 * look inside. */
typedef enum {
    NS_HOST_SLOT_IP,
    NS_HOST_SLOT_UDP,
    NS_HOST_SLOT_TCP,
    NS_HOST_SLOT_SOCKET,
    NS_HOST_SLOT_APP,
    NS_HOST_SLOT_COUNT
} NsHostSlot;

void *ns_host_slot(const NsHost *host, NsHostSlot slot);
void ns_host_set_slot(NsHost *host, NsHostSlot slot, void *data);
