/* The TCP connection states of RFC 9293 (3.3.2) and the congestion states
 * a sender moves through (as Linux names them): values every layer can
 * name, so that trace events carry them as data. */
#pragma once

#include <stdbool.h>

/* RFC 9293 3.3.2 order, CLOSED first. */
typedef enum {
    NS_TCP_STATE_CLOSED,
    NS_TCP_STATE_LISTEN,
    NS_TCP_STATE_SYN_SENT,
    NS_TCP_STATE_SYN_RECEIVED,
    NS_TCP_STATE_ESTABLISHED,
    NS_TCP_STATE_FIN_WAIT_1,
    NS_TCP_STATE_FIN_WAIT_2,
    NS_TCP_STATE_CLOSE_WAIT,
    NS_TCP_STATE_CLOSING,
    NS_TCP_STATE_LAST_ACK,
    NS_TCP_STATE_TIME_WAIT,
} NsTcpState;

#define NS_TCP_STATE_COUNT (NS_TCP_STATE_TIME_WAIT + 1)

/* RFC spelling: "SYN-RECEIVED", "TIME-WAIT", ... */
const char *ns_tcp_state_name(NsTcpState s);
/* The state for a case-insensitive RFC name ("time-wait", "ESTABLISHED");
 * false if none. */
bool ns_tcp_state_from_name(const char *name, NsTcpState *out);

/* A sender's congestion state (Linux tcp_ca_state): Open (all fine),
 * Disorder (duplicate ACKs or SACKs seen), Recovery (fast recovery),
 * Loss (after a retransmission timeout). */
typedef enum {
    NS_TCP_CA_OPEN,
    NS_TCP_CA_DISORDER,
    NS_TCP_CA_RECOVERY,
    NS_TCP_CA_LOSS,
} NsTcpCaState;

#define NS_TCP_CA_COUNT (NS_TCP_CA_LOSS + 1)

/* "Open", "Disorder", "Recovery", "Loss". */
const char *ns_tcp_ca_name(NsTcpCaState s);
