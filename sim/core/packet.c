/* Pooled packet buffers in four size classes: headers (a pure ACK, or a
 * frame whose payload is the pattern left unmade), standard frames (up to
 * a 1500-byte MTU plus headroom), jumbo frames (up to a 9000-byte MTU) and
 * whole IP datagrams (up to 65,535 bytes), so that any datagram a sender
 * may build fits before IP compares it with the MTU (EMSGSIZE). */
#include "netsim/packet.h"
#include "netsim-private/packet.h"

#include <string.h>

#include "netsim/pattern.h"

#define N_CLASSES 5
/* A header's buffer is IPv4's room in front of a transport header
 * (NS_PACKET_ROOM_IPV4) and a TCP header with the most options (60 bytes),
 * rounded up to 16: a pure ACK, or a frame whose payload is the pattern
 * left unmade, which are most of W2's thousands of frames in flight. A
 * small one holds a short write (a request, a SYN over IPv6); a standard
 * one a 1500-byte datagram behind the full headroom, no more. */
static const uint32_t class_cap[N_CLASSES] = {(NS_PACKET_ROOM_IPV4 + 60 + 15) / 16 * 16, 256,
                                              (NS_PACKET_HEADROOM + 1500 + 15) / 16 * 16,
                                              9216 + NS_PACKET_HEADROOM,
                                              65536 + NS_PACKET_HEADROOM};
G_STATIC_ASSERT(sizeof(NsPacket) == 96);
/* Blocks are made this many bytes' worth at a time (at least one). */
#define SLAB_BYTES 8192

struct NsPacketPool {
    NsPacket *free_list[N_CLASSES];
    GPtrArray *slabs; /* every buffer ever made, in slabs of one class:
                       * freed with the pool, even those still held by
                       * events of a run cut short */
    uint64_t next_id;
    size_t in_use;
};

NsPacketPool *ns_packet_pool_new(void)
{
    NsPacketPool *pool = g_new0(NsPacketPool, 1);
    pool->slabs = g_ptr_array_new_with_free_func(g_free);
    return pool;
}

void ns_packet_pool_free(NsPacketPool *pool)
{
    if (!pool)
        return;
    g_ptr_array_free(pool->slabs, TRUE);
    g_free(pool);
}

/* Put a slab's worth of new blocks of class cls on its free list. */
static void slab_new(NsPacketPool *pool, int cls)
{
    size_t size = sizeof(NsPacket) + class_cap[cls];
    size_t n = SLAB_BYTES / size ? SLAB_BYTES / size : 1;
    uint8_t *slab = g_malloc(n * size);
    g_ptr_array_add(pool->slabs, slab);
    for (size_t i = n; i-- > 0;) {
        NsPacket *p = (NsPacket *)(void *)(slab + i * size);
        p->cls = (uint8_t)cls;
        p->pool = pool;
        p->next = pool->free_list[cls];
        pool->free_list[cls] = p;
    }
}

/* A block whose room holds `need` bytes, from its class's free list. */
static NsPacket *block_get(NsPacketPool *pool, size_t need)
{
    int cls = 0;
    while (need > class_cap[cls])
        cls++;
    if (!pool->free_list[cls])
        slab_new(pool, cls);
    NsPacket *p = pool->free_list[cls];
    pool->free_list[cls] = p->next;
    p->buf = p->room;
    p->cap = class_cap[p->cls];
    return p;
}

static void block_put(NsPacket *p)
{
    NsPacketPool *pool = p->pool;
    p->next = pool->free_list[p->cls];
    pool->free_list[p->cls] = p;
}

/* The block lent to p for its bytes (NULL: they are in its own room). */
static NsPacket *store_of(const NsPacket *p)
{
    if (p->buf == p->room)
        return NULL;
    return (NsPacket *)(void *)(p->buf - offsetof(NsPacket, room));
}

/* Lend p the block s for its bytes, `front` bytes into it, in place of
 * the one it had; the stored bytes (up to an unmade tail) are copied and
 * the pattern's mark moves with them. */
static void move_to(NsPacket *p, NsPacket *s, size_t front, size_t stored)
{
    size_t old_front = (size_t)(p->data - p->buf);
    NsPacket *old = store_of(p);
    memcpy(s->buf + front, p->data, stored);
    if (p->pat_len)
        p->pat_at = (uint32_t)(p->pat_at - old_front + front);
    p->buf = s->buf;
    p->cap = s->cap;
    p->data = s->buf + front;
    if (old)
        block_put(old);
}

/* The bytes p holds from data on: up to its unmade tail, if any. */
static size_t stored_len(const NsPacket *p)
{
    return ns_packet_is_lazy(p) ? p->pat_at - (size_t)(p->data - p->buf) : p->len;
}

NsPacket *ns_packet_new(NsPacketPool *pool, size_t headroom, size_t len)
{
    g_return_val_if_fail(pool != NULL, NULL);
    size_t need = headroom + len;
    g_return_val_if_fail(need <= class_cap[N_CLASSES - 1], NULL);
    NsPacket *p = block_get(pool, need);
    p->next = NULL;
    p->data = p->buf + headroom;
    p->len = (uint32_t)len;
    p->id = ++pool->next_id;
    p->meta = 0;
    p->flags = 0;
    p->pat_len = 0;
    pool->in_use++;
    return p;
}

NsPacket *ns_packet_new_lazy(NsPacketPool *pool, size_t headroom, size_t hlen, uint32_t pat_len,
                             uint32_t phase)
{
    g_return_val_if_fail(pool != NULL, NULL);
    NsPacket *p = ns_packet_new(pool, headroom, hlen);
    if (pat_len == 0)
        return p;
    p->len += pat_len;
    p->pat_at = (uint32_t)(headroom + hlen);
    p->pat_len = pat_len;
    p->pat_phase = (uint8_t)(phase % NS_PATTERN_PERIOD);
    p->flags |= NS_PACKET_LAZY;
    return p;
}

uint8_t *ns_packet_bytes(NsPacket *p)
{
    if (!ns_packet_is_lazy(p))
        return p->data;
    size_t front = (size_t)(p->data - p->buf);
    size_t at = p->pat_at;
    NsPacket *s = block_get(p->pool, at + p->pat_len);
    /* The headers pulled in front of data come too (a transport's RECV
     * line reads IP's header there). */
    memcpy(s->buf, p->buf, front);
    ns_pattern_fill(p->pat_phase, s->buf + at, p->pat_len);
    move_to(p, s, front, at - front);
    p->flags &= (uint8_t)~NS_PACKET_LAZY;
    return p->data;
}

NsPacket *ns_packet_copy(const NsPacket *p)
{
    size_t headroom = (size_t)(p->data - p->buf);
    NsPacket *c = ns_packet_new(p->pool, headroom, p->len);
    if (ns_packet_is_lazy(p)) {
        size_t front = p->pat_at - headroom;
        memcpy(c->data, p->data, front);
        ns_pattern_fill(p->pat_phase, c->data + front, p->pat_len);
    } else {
        memcpy(c->data, p->data, p->len);
    }
    c->meta = p->meta;
    return c;
}

void ns_packet_free(NsPacket *p)
{
    if (!p)
        return;
    NsPacketPool *pool = p->pool;
    g_assert(pool->in_use > 0);
    g_assert(!ns_packet_is_lent(p)); /* its lender frees it */
    pool->in_use--;
    NsPacket *store = store_of(p);
    if (store)
        block_put(store);
    block_put(p);
}

uint8_t *ns_packet_push(NsPacket *p, size_t n)
{
    size_t front = (size_t)(p->data - p->buf);
    if (front < n) {
        /* More in front than the sender left room for: moved to a block
         * with the full headroom in front of the header. */
        size_t stored = stored_len(p), room = n + NS_PACKET_HEADROOM;
        move_to(p, block_get(p->pool, room + stored), room, stored);
    }
    p->data -= n;
    p->len += (uint32_t)n;
    return p->data;
}

void ns_packet_pull(NsPacket *p, size_t n)
{
    g_assert(n <= p->len);
    if (ns_packet_is_lazy(p) && (size_t)(p->data - p->buf) + n > p->pat_at)
        ns_packet_bytes(p); /* into the unmade tail: the rest is kept whole */
    p->data += n;
    p->len -= (uint32_t)n;
}

void ns_packet_trim(NsPacket *p, size_t len)
{
    g_assert(len <= p->len);
    if (ns_packet_is_lazy(p) && len < p->len) {
        size_t cut = p->len - len;
        if (cut >= p->pat_len) {
            p->flags &= (uint8_t)~NS_PACKET_LAZY; /* nothing left unmade */
            p->pat_len = 0;
        } else {
            p->pat_len -= (uint32_t)cut;
        }
    }
    p->len = (uint32_t)len;
}

size_t ns_packet_headroom(const NsPacket *p)
{
    return (size_t)(p->data - p->buf);
}

size_t ns_packet_pool_in_use(const NsPacketPool *pool)
{
    return pool->in_use;
}

uint64_t ns_packet_pool_made(const NsPacketPool *pool)
{
    return pool->next_id; /* ids count the packets made */
}

void ns_packet_queue_push(NsPacketQueue *q, NsPacket *p)
{
    p->next = NULL;
    if (q->tail)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
    q->count++;
}

NsPacket *ns_packet_queue_pop(NsPacketQueue *q)
{
    NsPacket *p = q->head;
    if (!p)
        return NULL;
    q->head = p->next;
    if (!q->head)
        q->tail = NULL;
    q->count--;
    p->next = NULL;
    return p;
}

void ns_packet_queue_clear(NsPacketQueue *q)
{
    NsPacket *p;
    while ((p = ns_packet_queue_pop(q)))
        ns_packet_free(p);
}

void ns_packet_mark_pattern(NsPacket *p, const uint8_t *data, uint32_t len, uint32_t phase)
{
    g_assert(data >= p->buf && data + len <= p->buf + p->cap);
    p->pat_at = (uint32_t)(data - p->buf);
    p->pat_len = len;
    p->pat_phase = (uint8_t)(phase % NS_PATTERN_PERIOD);
}

bool ns_packet_pattern(const NsPacket *p, const uint8_t *data, uint32_t len, uint32_t *phase)
{
    if (!p || !p->pat_len || !(p->flags & NS_PACKET_RX_CSUM_OK) || data < p->buf)
        return false;
    size_t at = (size_t)(data - p->buf);
    if (at < p->pat_at || at + len > (size_t)p->pat_at + p->pat_len)
        return false;
    *phase = (uint32_t)((p->pat_phase + (at - p->pat_at)) % NS_PATTERN_PERIOD);
    return true;
}
