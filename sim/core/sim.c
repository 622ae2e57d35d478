/* The discrete-event engine (netsim/sim.h): an integer-nanosecond clock and
 * a monotone priority queue of events ordered by (time, insertion sequence),
 * with true O(1) cancellation through generation-checked handles. */

/* The queue: a radix heap on time with 8-bit digits, over a small binary heap.
 *
 * - Events with time >= heap_limit sit in 2048 buckets (8 levels x 256
 *   digits): bucket (p, d) holds the times that agree with `last` above byte
 *   p and have digit d in byte p. A bucket is an unordered list of 16-byte
 *   entries (time, record index, low half of the sequence) in 256-byte chunks;
 *   two bitmaps find the lowest non-empty bucket with two ctz.
 * - Simulated time never goes back, so `last` only grows. When the heap is
 *   empty, the lowest bucket is split one level down around its minimum
 *   (an event moves at most 8 times; 2 on average in the hold model below),
 *   or, if it holds one time or few events within 64 us, moved into the heap.
 * - The heap, ordered by (time, sequence), holds every event below heap_limit.
 *   It is where ties are broken, so equal times run FIFO although buckets
 *   reorder their entries freely (swap-remove, splitting).
 * - Event records (fn, obj, arg, back-index, sequence bits 32..47; 32 bytes)
 *   live in a slab pool with a free list. The back-index (bucket or heap,
 *   position) makes ns_sim_cancel() a true removal: swap-remove in a bucket
 *   or heap removal, no tombstones. A handle is (record + 1, low 32 bits of
 *   the sequence): the sequence doubles as the generation.
 * - An event scheduled for the current time while the clock is inside the
 *   heap's window (a socket's wake-up, a zero-delay hand-off) goes to a FIFO
 *   ring instead: it comes after every pending event of the same time (they
 *   were all scheduled earlier), and those are all in the heap, so running
 *   the heap's top while it has the current time, then the ring, is exactly
 *   (time, sequence) order at a fraction of a heap insertion and removal.
 *   W2 schedules a third of its events that way. Cancelling one leaves a
 *   tombstone, skipped when reached (at the same simulated time).
 *
 * Measured on the 2-core dev machine with tests/bench/bench_sim.c while other
 * builds ran (hold model: every event schedules one at now + U[0, 1 s); 10 M
 * events; memory = all engine allocations / pending events):
 *   1 M pending:    15.0-16.3 M events/s, 53.5 B/event (51.7 B as RSS)
 *   100 k pending:  21.4-22.2 M events/s, 53 B/event
 *   10 k flows re-arming a 200 ms timer on every event (cancel + 2 schedules
 *   + 1 run each): 12.2-12.9 M events/s, queue size constant
 * For comparison STYLE.md gives 5.6 M/s for a 4-ary heap at 1 M pending: its
 * log n dependent cache misses per event become here ~2 independent,
 * prefetched writes of back-indices per event, and huge-page slabs (+25%)
 * take the TLB misses out of those (10-12 M/s before both were added). */
#define _DEFAULT_SOURCE /* for madvise(MADV_HUGEPAGE), where it exists */
#include "netsim/sim.h"

#include "sim-private.h"

#include <stdlib.h>
#include <sys/mman.h>

/* ---- Sizes and encodings ------------------------------------------------ */

#define DIGIT_BITS  8
#define DIGITS      (1u << DIGIT_BITS)
#define LEVELS      8 /* 8 x 8 bits cover the 63 bits of a non-negative NsTime */
#define NBUCKETS    (LEVELS * DIGITS)
#define NWORDS      (NBUCKETS / 64)

/* 16 entries (256 bytes): a bucket's last chunk is partly empty, and a
 * run of a thousand events pending spreads them over a hundred buckets
 * (W2's chunks took 128 KiB at 64 entries, 32 KiB at 16). */
#define CHUNK_SHIFT 4
#define CHUNK       (1u << CHUNK_SHIFT)
#define CHUNK_MASK  (CHUNK - 1)

#define EVENT_SLAB_SHIFT 10 /* 1024 records, 32 KiB */
#define EVENT_SLAB       (1u << EVENT_SLAB_SHIFT)
#define CHUNK_SLAB_SHIFT 6 /* 64 chunks, 16 KiB */
#define CHUNK_SLAB       (1u << CHUNK_SLAB_SHIFT)
#define HUGE_PAGE        ((size_t)2 << 20)
#define HUGE_FROM        ((size_t)8 << 20) /* below, the TLB copes with 4 KiB pages */

/* A lowest bucket with at most DUMP_MAX events, at level DUMP_LEVEL or
 * below (spanning at most 2^16 ns), goes to the heap whole instead of being
 * split one level down (see refill()). */
#define DUMP_MAX   64
#define DUMP_LEVEL 2
/* An emptied bucket keeps a chunk directory up to this many entries (for up
 * to 16 Ki events), so steady-state scheduling does not malloc; larger ones
 * go back to the allocator. (Freeing all but the smallest saves W2 65 KB
 * of heap but costs W1 0.5 MiB of RSS: the regrown arrays fragment it.) */
#define DIR_RETAIN 1024

/* How many entries ahead redistribution prefetches event records. */
#define PREFETCH 8

#define WHERE_HEAP NBUCKETS
#define WHERE_NOW  (NBUCKETS + 1)
#define WHERE_FREE UINT16_MAX
#define NO_INDEX   UINT32_MAX

/* 48 bits of sequence: 2.8e14 schedules, 325 days at 10 M events/s. */
#define SEQ_LIMIT (UINT64_C(1) << 48)

/* Event record, in the pool; 32 bytes. */
typedef struct {
    NsEventFn fn;
    void *obj;
    void *arg;
    uint32_t pos;    /* index in its bucket or in the heap; next free record when free */
    uint16_t where;  /* bucket number, WHERE_HEAP or WHERE_FREE */
    uint16_t seq_hi; /* bits 32..47 of the insertion sequence */
} Event;
_Static_assert(sizeof(void *) != 8 || sizeof(Event) == 32, "event record grew");

/* A bucket entry, 16 bytes: what redistribution streams through. */
typedef struct {
    int64_t time;
    uint32_t ev;     /* pool index */
    uint32_t seq_lo; /* bits 0..31 of the sequence; also the handle's generation */
} Entry;
_Static_assert(sizeof(Entry) == 16, "bucket entry grew");

typedef struct {
    Entry e[CHUNK];
} Chunk;

/* A bucket is a list of chunks; entry `pos` is in chunk dir[pos / CHUNK]. */
typedef struct {
    uint32_t len;
    uint32_t dir_cap;
    uint32_t *dir; /* chunk numbers */
    int64_t min;   /* <= every time in the bucket, and one of them unless cancelled */
} Bucket;

typedef struct {
    int64_t time;
    uint64_t seq;
    uint32_t ev;
} HeapEntry;

/* An entry of the ring of events at the current time; ev is NO_INDEX once
 * cancelled. */
typedef struct {
    uint32_t ev;
    uint32_t seq_lo;
} NowEntry;

/* The pool and the chunk store are tables of fixed-size slabs rather than
 * realloc'd arrays: nothing moves, growth copies nothing, and the unused
 * tail stays small (a doubling array can leave half its capacity unused).
 * Past 8 MiB a store grows by 2 MiB-aligned blocks of slabs, an eighth of
 * its size at a time, which Linux may back with huge pages: the random
 * accesses to event records then stop missing the TLB (+25% events/s in
 * the hold model at 1 M pending). */
typedef struct {
    void **slab;     /* slab k holds elements [k * SLAB, (k + 1) * SLAB) */
    uint32_t n, cap; /* slabs in use; table capacity */
    void **blocks;   /* the allocations, for ns_sim_free() */
    uint32_t nblocks;
    size_t bytes;
} Slabs;

struct NsSim {
    NsTime now;
    uint64_t next_seq;
    uint64_t events_run;
    size_t pending;
    bool running;
    bool stop;
    bool past_horizon; /* an event was due past NS_TIME_HORIZON */

    /* Pending events with time < heap_limit are in the heap; the others are
     * in bucket bucket_of(time, last). last <= heap_limit; both only grow. */
    uint64_t heap_limit;
    uint64_t last;

    HeapEntry *heap;
    uint32_t heap_len, heap_cap;

    /* Events at time `now`, after every one in the heap; a ring of now_cap
     * (a power of two) entries from now_head, tombstones included. */
    NowEntry *now_q;
    uint32_t now_head, now_len, now_cap;

    Slabs events; /* of EVENT_SLAB Events */
    uint32_t pool_len;
    uint32_t free_head;

    Slabs chunks; /* of CHUNK_SLAB Chunks */
    uint32_t chunks_len;
    uint32_t free_chunk; /* free chunks are linked through e[0].ev */

    uint32_t word_mask;          /* bit w set iff occupied[w] != 0 */
    uint64_t occupied[NWORDS];   /* bit b set iff buckets[b].len != 0 */
    Bucket buckets[NBUCKETS];
};

/* Adds at least one slab of slab_bytes (a divisor of HUGE_PAGE). */
static void slabs_grow(Slabs *s, size_t slab_bytes)
{
    size_t bytes = slab_bytes, align = 64; /* records never straddle lines */
    if (s->bytes >= HUGE_FROM) {
        bytes = (s->bytes / 8 + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        align = HUGE_PAGE;
    }
    void *p = NULL;
    if (posix_memalign(&p, align, bytes) != 0)
        g_error("ns_sim: out of memory (%zu bytes)", bytes);
#ifdef MADV_HUGEPAGE
    if (align == HUGE_PAGE)
        madvise(p, bytes, MADV_HUGEPAGE); /* advice only: failure is harmless */
#endif
    const uint32_t added = (uint32_t)(bytes / slab_bytes);
    if (s->n + added > s->cap) {
        while (s->n + added > s->cap)
            s->cap = s->cap ? 2 * s->cap : 16;
        s->slab = g_renew(void *, s->slab, s->cap);
    }
    for (uint32_t k = 0; k < added; k++)
        s->slab[s->n++] = (char *)p + (size_t)k * slab_bytes;
    s->blocks = g_renew(void *, s->blocks, s->nblocks + 1);
    s->blocks[s->nblocks++] = p;
    s->bytes += bytes;
}

static void slabs_clear(Slabs *s)
{
    for (uint32_t i = 0; i < s->nblocks; i++)
        free(s->blocks[i]);
    g_free(s->blocks);
    g_free(s->slab);
}

static size_t slabs_mem_bytes(const Slabs *s)
{
    return s->bytes + (size_t)s->cap * sizeof(void *) + (size_t)s->nblocks * sizeof(void *);
}

static inline Event *event_at(const NsSim *sim, uint32_t i)
{
    return (Event *)sim->events.slab[i >> EVENT_SLAB_SHIFT] + (i & (EVENT_SLAB - 1));
}

static inline Chunk *chunk_at(const NsSim *sim, uint32_t c)
{
    return (Chunk *)sim->chunks.slab[c >> CHUNK_SLAB_SHIFT] + (c & (CHUNK_SLAB - 1));
}

/* ---- Buckets -------------------------------------------------------------
 *
 * Bucket (level p, digit d), numbered p * 256 + d, holds the events whose
 * time agrees with `last` on every byte above byte p and has d in byte p
 * (level 0 also holds time == last). Since every time in the buckets is
 * >= last, d > byte p of last except for level 0. Numbering by (p, d) makes
 * the lowest-numbered non-empty bucket the one holding the earliest times. */

static inline uint32_t bucket_of(uint64_t t, uint64_t last)
{
    const uint64_t x = t ^ last;
    const unsigned p = x ? (unsigned)(63 - __builtin_clzll(x)) / DIGIT_BITS : 0;
    return p * DIGITS + (uint32_t)((t >> (p * DIGIT_BITS)) & (DIGITS - 1));
}

static inline Entry *entry_at(const NsSim *sim, const Bucket *b, uint32_t pos)
{
    return &chunk_at(sim, b->dir[pos >> CHUNK_SHIFT])->e[pos & CHUNK_MASK];
}

static uint32_t chunk_alloc(NsSim *sim)
{
    uint32_t c = sim->free_chunk;
    if (c != NO_INDEX) {
        sim->free_chunk = chunk_at(sim, c)->e[0].ev;
        return c;
    }
    if (sim->chunks_len == (uint64_t)sim->chunks.n * CHUNK_SLAB) {
        if (sim->chunks_len >= NO_INDEX - 1)
            g_error("ns_sim: chunk store full");
        slabs_grow(&sim->chunks, CHUNK_SLAB * sizeof(Chunk));
    }
    return sim->chunks_len++;
}

static void chunk_free(NsSim *sim, uint32_t c)
{
    chunk_at(sim, c)->e[0].ev = sim->free_chunk;
    sim->free_chunk = c;
}

static void bucket_mark(NsSim *sim, uint32_t bi)
{
    sim->occupied[bi / 64] |= UINT64_C(1) << (bi % 64);
    sim->word_mask |= 1u << (bi / 64);
}

static void bucket_emptied(NsSim *sim, uint32_t bi)
{
    Bucket *b = &sim->buckets[bi];
    sim->occupied[bi / 64] &= ~(UINT64_C(1) << (bi % 64));
    if (sim->occupied[bi / 64] == 0)
        sim->word_mask &= ~(1u << (bi / 64));
    b->min = INT64_MAX;
    if (b->dir_cap > DIR_RETAIN) {
        g_free(b->dir);
        b->dir = NULL;
        b->dir_cap = 0;
    }
}

/* Appends and records the position in the event, which is the back-index
 * that makes cancellation a true removal. */
static void bucket_append(NsSim *sim, uint32_t bi, Entry e)
{
    Bucket *b = &sim->buckets[bi];
    const uint32_t pos = b->len;
    if ((pos & CHUNK_MASK) == 0) {
        const uint32_t c = pos >> CHUNK_SHIFT;
        if (c == b->dir_cap) {
            b->dir_cap = b->dir_cap ? 2 * b->dir_cap : 4;
            b->dir = g_renew(uint32_t, b->dir, b->dir_cap);
        }
        b->dir[c] = chunk_alloc(sim);
        if (pos == 0)
            bucket_mark(sim, bi);
    }
    *entry_at(sim, b, pos) = e;
    b->len = pos + 1;
    if (e.time < b->min)
        b->min = e.time;
    Event *ev = event_at(sim, e.ev);
    ev->where = (uint16_t)bi;
    ev->pos = pos;
}

/* Swap-remove: order inside a bucket does not matter, because ties are
 * broken by sequence number once events reach the heap. */
static void bucket_remove(NsSim *sim, uint32_t bi, uint32_t pos)
{
    Bucket *b = &sim->buckets[bi];
    const uint32_t last = b->len - 1;
    if (pos != last) {
        Entry *dst = entry_at(sim, b, pos);
        *dst = *entry_at(sim, b, last);
        event_at(sim, dst->ev)->pos = pos;
    }
    b->len = last;
    if ((last & CHUNK_MASK) == 0)
        chunk_free(sim, b->dir[last >> CHUNK_SHIFT]);
    if (last == 0)
        bucket_emptied(sim, bi);
}

static inline uint32_t lowest_bucket(const NsSim *sim)
{
    const unsigned w = (unsigned)__builtin_ctz(sim->word_mask);
    return w * 64 + (unsigned)__builtin_ctzll(sim->occupied[w]);
}

/* ---- Heap of the nearest events, ordered by (time, seq) ----------------- */

static inline bool heap_less(const HeapEntry *a, const HeapEntry *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static inline void heap_put(NsSim *sim, uint32_t i, HeapEntry e)
{
    sim->heap[i] = e;
    event_at(sim, e.ev)->pos = i;
}

static void heap_sift_up(NsSim *sim, uint32_t i, HeapEntry e)
{
    while (i > 0) {
        const uint32_t parent = (i - 1) / 2;
        if (!heap_less(&e, &sim->heap[parent]))
            break;
        heap_put(sim, i, sim->heap[parent]);
        i = parent;
    }
    heap_put(sim, i, e);
}

static void heap_sift_down(NsSim *sim, uint32_t i, HeapEntry e)
{
    const uint32_t n = sim->heap_len;
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && heap_less(&sim->heap[child + 1], &sim->heap[child]))
            child++;
        if (!heap_less(&sim->heap[child], &e))
            break;
        heap_put(sim, i, sim->heap[child]);
        i = child;
    }
    heap_put(sim, i, e);
}

static void heap_reserve(NsSim *sim, uint32_t n)
{
    if (n <= sim->heap_cap)
        return;
    uint32_t cap = sim->heap_cap ? sim->heap_cap : 64;
    while (cap < n)
        cap = cap > UINT32_MAX / 2 ? UINT32_MAX : 2 * cap;
    sim->heap = g_renew(HeapEntry, sim->heap, cap);
    sim->heap_cap = cap;
}

static void heap_insert(NsSim *sim, HeapEntry e)
{
    heap_reserve(sim, sim->heap_len + 1);
    event_at(sim, e.ev)->where = WHERE_HEAP;
    heap_sift_up(sim, sim->heap_len++, e);
}

static void heap_remove(NsSim *sim, uint32_t i)
{
    const HeapEntry last = sim->heap[--sim->heap_len];
    if (i == sim->heap_len)
        return;
    if (i > 0 && heap_less(&last, &sim->heap[(i - 1) / 2]))
        heap_sift_up(sim, i, last);
    else
        heap_sift_down(sim, i, last);
}

/* ---- Ring of events at the current time ------------------------------- */

static void now_grow(NsSim *sim)
{
    const uint32_t cap = sim->now_cap ? 2 * sim->now_cap : 64;
    NowEntry *q = g_new(NowEntry, cap);
    for (uint32_t k = 0; k < sim->now_len; k++) {
        q[k] = sim->now_q[(sim->now_head + k) & (sim->now_cap - 1)];
        if (q[k].ev != NO_INDEX)
            event_at(sim, q[k].ev)->pos = k;
    }
    g_free(sim->now_q);
    sim->now_q = q;
    sim->now_cap = cap;
    sim->now_head = 0;
}

static void now_push(NsSim *sim, uint32_t i, uint32_t seq_lo)
{
    if (sim->now_len == sim->now_cap)
        now_grow(sim);
    const uint32_t pos = (sim->now_head + sim->now_len++) & (sim->now_cap - 1);
    sim->now_q[pos] = (NowEntry){i, seq_lo};
    Event *ev = event_at(sim, i);
    ev->where = WHERE_NOW;
    ev->pos = pos;
}

/* Drops cancelled entries from the front; true if a live one is there. */
static bool now_ready(NsSim *sim)
{
    while (sim->now_len > 0 && sim->now_q[sim->now_head].ev == NO_INDEX) {
        sim->now_head = (sim->now_head + 1) & (sim->now_cap - 1);
        sim->now_len--;
    }
    return sim->now_len > 0;
}

/* ---- Event pool ---------------------------------------------------------- */

static uint32_t event_alloc(NsSim *sim)
{
    uint32_t i = sim->free_head;
    if (i != NO_INDEX) {
        sim->free_head = event_at(sim, i)->pos;
        return i;
    }
    if (sim->pool_len == (uint64_t)sim->events.n * EVENT_SLAB) {
        /* Handles name slot i + 1 in 32 bits, and NO_INDEX is reserved. */
        if (sim->pool_len >= NO_INDEX - 1)
            g_error("ns_sim: more than 2^32 - 2 pending events");
        slabs_grow(&sim->events, EVENT_SLAB * sizeof(Event));
    }
    return sim->pool_len++;
}

/* LIFO reuse: the record freed by the running event is the one its
 * successor gets, still in cache. */
static void event_free(NsSim *sim, uint32_t i)
{
    event_at(sim, i)->where = WHERE_FREE;
    event_at(sim, i)->pos = sim->free_head;
    sim->free_head = i;
}

static inline uint64_t event_seq(const NsSim *sim, const Entry *e)
{
    return (uint64_t)event_at(sim, e->ev)->seq_hi << 32 | e->seq_lo;
}

/* ---- Moving events towards the heap -------------------------------------- */

/* Moves the whole of bucket bi into the (empty) heap. The heap then takes
 * every time below the end of that bucket's range; `last` moves to the start
 * of the range, which leaves every other bucket number unchanged: their times
 * differ from both at the same byte and digit. */
static void dump(NsSim *sim, uint32_t bi)
{
    Bucket *b = &sim->buckets[bi];
    const unsigned shift = (bi / DIGITS) * DIGIT_BITS;
    const uint64_t span = UINT64_C(1) << shift;
    /* (span << 8) wraps to 0 at the top level, making the mask all ones. */
    const uint64_t base = (sim->last & ~((span << DIGIT_BITS) - 1)) |
                          (uint64_t)(bi % DIGITS) << shift;
    g_assert(sim->heap_len == 0 && base >= sim->last);
    sim->last = base;
    sim->heap_limit = base + span;

    const uint32_t n = b->len;
    heap_reserve(sim, n);
    HeapEntry *h = sim->heap;
    for (uint32_t pos = 0; pos < n; pos++) {
        if (PREFETCH < n - pos)
            __builtin_prefetch(event_at(sim, entry_at(sim, b, pos + PREFETCH)->ev), 1);
        const Entry *e = entry_at(sim, b, pos);
        h[pos] = (HeapEntry){e->time, event_seq(sim, e), e->ev};
        if ((pos & CHUNK_MASK) == CHUNK_MASK || pos == n - 1)
            chunk_free(sim, b->dir[pos >> CHUNK_SHIFT]);
    }
    b->len = 0;
    bucket_emptied(sim, bi);
    sim->heap_len = n;
    /* Floyd's heap construction on the array alone; the back-indices are
     * written once afterwards rather than at every move. */
    for (uint32_t i = n / 2; i-- > 0;) {
        const HeapEntry x = h[i];
        uint32_t j = i;
        for (;;) {
            uint32_t child = 2 * j + 1;
            if (child >= n)
                break;
            if (child + 1 < n && heap_less(&h[child + 1], &h[child]))
                child++;
            if (!heap_less(&h[child], &x))
                break;
            h[j] = h[child];
            j = child;
        }
        h[j] = x;
    }
    for (uint32_t i = 0; i < n; i++) {
        Event *ev = event_at(sim, h[i].ev);
        ev->where = WHERE_HEAP;
        ev->pos = i;
    }
}

/* Splits bucket bi into lower levels around its earliest time (the radix
 * heap step): each event moves down at least one level, so at most 8 times
 * in all. The bucket's `min` may be the time of a cancelled event, which is
 * still in the bucket's range and below every time in it: as good a pivot,
 * and it saves a pass over the bucket. */
static void redistribute(NsSim *sim, uint32_t bi)
{
    Bucket *b = &sim->buckets[bi];
    const uint32_t n = b->len;
    const int64_t min = b->min;
    g_assert(sim->heap_len == 0 && (uint64_t)min >= sim->heap_limit);
    sim->last = (uint64_t)min;
    sim->heap_limit = (uint64_t)min;

    for (uint32_t pos = 0; pos < n; pos++) {
        /* Each move rewrites the event's back-index at a random place in
         * the pool: start fetching a few moves ahead. */
        if (PREFETCH < n - pos)
            __builtin_prefetch(event_at(sim, entry_at(sim, b, pos + PREFETCH)->ev), 1);
        const Entry e = *entry_at(sim, b, pos);
        bucket_append(sim, bucket_of((uint64_t)e.time, (uint64_t)min), e);
        /* The chunk is read to the end: targets may reuse it at once. */
        if ((pos & CHUNK_MASK) == CHUNK_MASK || pos == n - 1)
            chunk_free(sim, b->dir[pos >> CHUNK_SHIFT]);
    }
    b->len = 0;
    bucket_emptied(sim, bi);
}

typedef enum {
    REFILL_READY,  /* the heap holds the earliest event */
    REFILL_EMPTY,  /* no event is pending */
    REFILL_BEYOND, /* every pending event lies after `until`; nothing moved */
} Refill;

/* Makes the heap hold the earliest event. A lowest bucket of one time, or a
 * small one spanning at most 64 us, is sorted in the heap; any other is split
 * one level down first. That keeps the heap small and in cache, and keeps
 * its time window short: until it empties, the heap also takes every event
 * scheduled below heap_limit. For the same reason nothing moves when the
 * earliest event lies after `until`: a time-limited run that only looked at
 * a far event must not leave the window reaching out to it. */
static Refill refill(NsSim *sim, NsTime until)
{
    while (sim->heap_len == 0) {
        if (sim->word_mask == 0)
            return REFILL_EMPTY;
        const uint32_t bi = lowest_bucket(sim);
        const Bucket *b = &sim->buckets[bi];
        if (b->min > until)
            return REFILL_BEYOND;
        const uint32_t level = bi / DIGITS;
        if (level == 0 || (level <= DUMP_LEVEL && b->len <= DUMP_MAX))
            dump(sim, bi);
        else
            redistribute(sim, bi);
    }
    return REFILL_READY;
}

/* ---- Handles ------------------------------------------------------------- */

static uint32_t lookup(const NsSim *sim, NsEventId id)
{
    if (id.slot == 0 || id.slot > sim->pool_len)
        return NO_INDEX;
    const uint32_t i = id.slot - 1;
    const Event *ev = event_at(sim, i);
    uint32_t gen;
    if (ev->where == WHERE_FREE)
        return NO_INDEX;
    if (ev->where == WHERE_HEAP)
        gen = (uint32_t)sim->heap[ev->pos].seq;
    else if (ev->where == WHERE_NOW)
        gen = sim->now_q[ev->pos].seq_lo;
    else
        gen = entry_at(sim, &sim->buckets[ev->where], ev->pos)->seq_lo;
    return gen == id.gen ? i : NO_INDEX;
}

/* ---- Public API ---------------------------------------------------------- */

NsSim *ns_sim_new(void)
{
    NsSim *sim = g_new0(NsSim, 1);
    for (uint32_t i = 0; i < NBUCKETS; i++)
        sim->buckets[i].min = INT64_MAX;
    sim->free_head = NO_INDEX;
    sim->free_chunk = NO_INDEX;
    return sim;
}

void ns_sim_free(NsSim *sim)
{
    if (!sim)
        return;
    for (uint32_t i = 0; i < NBUCKETS; i++)
        g_free(sim->buckets[i].dir);
    slabs_clear(&sim->chunks);
    slabs_clear(&sim->events);
    g_free(sim->heap);
    g_free(sim->now_q);
    g_free(sim);
}

NsTime ns_sim_now(const NsSim *sim)
{
    g_return_val_if_fail(sim != NULL, 0);
    return sim->now;
}

NsEventId ns_sim_schedule(NsSim *sim, NsTime delay, NsEventFn fn, void *obj, void *arg)
{
    g_return_val_if_fail(sim != NULL, NS_EVENT_NONE);
    g_return_val_if_fail(delay >= 0, NS_EVENT_NONE);
    if (G_UNLIKELY(delay > NS_TIME_HORIZON - sim->now)) {
        sim->past_horizon = true;
        return NS_EVENT_NONE;
    }
    return ns_sim_schedule_at(sim, sim->now + delay, fn, obj, arg);
}

NsEventId ns_sim_schedule_at(NsSim *sim, NsTime at, NsEventFn fn, void *obj, void *arg)
{
    g_return_val_if_fail(sim != NULL, NS_EVENT_NONE);
    g_return_val_if_fail(fn != NULL, NS_EVENT_NONE);
    g_return_val_if_fail(at >= sim->now, NS_EVENT_NONE);
    /* NS_TIME_NEVER means "no limit" to ns_sim_run(); an event there could
     * only run after the end of time. */
    g_return_val_if_fail(at != NS_TIME_NEVER, NS_EVENT_NONE);
    if (G_UNLIKELY(at > NS_TIME_HORIZON)) {
        sim->past_horizon = true;
        return NS_EVENT_NONE;
    }

    const uint64_t seq = sim->next_seq++;
    if (G_UNLIKELY(seq >= SEQ_LIMIT))
        g_error("ns_sim: 2^48 events scheduled, sequence numbers exhausted");
    const uint32_t i = event_alloc(sim);
    Event *ev = event_at(sim, i);
    ev->fn = fn;
    ev->obj = obj;
    ev->arg = arg;
    ev->seq_hi = (uint16_t)(seq >> 32);
    sim->pending++;
    /* now < heap_limit: every pending event at `now` is in the heap (or
     * the ring), so the ring's order holds; see the top of the file. */
    if (at == sim->now && (uint64_t)at < sim->heap_limit)
        now_push(sim, i, (uint32_t)seq);
    else if ((uint64_t)at < sim->heap_limit)
        heap_insert(sim, (HeapEntry){at, seq, i});
    else
        bucket_append(sim, bucket_of((uint64_t)at, sim->last), (Entry){at, i, (uint32_t)seq});
    return (NsEventId){i + 1, (uint32_t)seq};
}

bool ns_sim_cancel(NsSim *sim, NsEventId *id)
{
    g_return_val_if_fail(sim != NULL && id != NULL, false);
    const uint32_t i = lookup(sim, *id);
    *id = NS_EVENT_NONE;
    if (i == NO_INDEX)
        return false;
    const Event *ev = event_at(sim, i);
    if (ev->where == WHERE_HEAP)
        heap_remove(sim, ev->pos);
    else if (ev->where == WHERE_NOW)
        sim->now_q[ev->pos].ev = NO_INDEX;
    else
        bucket_remove(sim, ev->where, ev->pos);
    event_free(sim, i);
    sim->pending--;
    return true;
}

bool ns_sim_is_pending(const NsSim *sim, NsEventId id)
{
    g_return_val_if_fail(sim != NULL, false);
    return lookup(sim, id) != NO_INDEX;
}

NsTime ns_sim_event_time(const NsSim *sim, NsEventId id)
{
    g_return_val_if_fail(sim != NULL, NS_TIME_NEVER);
    const uint32_t i = lookup(sim, id);
    if (i == NO_INDEX)
        return NS_TIME_NEVER;
    const Event *ev = event_at(sim, i);
    if (ev->where == WHERE_HEAP)
        return sim->heap[ev->pos].time;
    if (ev->where == WHERE_NOW)
        return sim->now;
    return entry_at(sim, &sim->buckets[ev->where], ev->pos)->time;
}

NsSimResult ns_sim_run(NsSim *sim, NsTime until, uint64_t max_events)
{
    g_return_val_if_fail(sim != NULL, NS_SIM_EMPTY);
    g_return_val_if_fail(!sim->running, NS_SIM_STOPPED);
    g_return_val_if_fail(until >= sim->now, NS_SIM_TIME);

    NsSimResult result;
    uint64_t ran = 0;
    sim->running = true;
    sim->stop = false;
    for (;;) {
        if (G_UNLIKELY(sim->past_horizon)) {
            result = NS_SIM_HORIZON;
            break;
        }
        if (sim->stop) {
            result = NS_SIM_STOPPED;
            break;
        }
        if (max_events != 0 && ran == max_events) {
            /* A run whose last event was the limit's last ended by itself. */
            result = sim->pending == 0 ? NS_SIM_EMPTY : NS_SIM_LIMIT;
            break;
        }
        uint32_t run;
        if (now_ready(sim) && !(sim->heap_len > 0 && sim->heap[0].time == sim->now)) {
            /* The ring's head: the heap holds nothing more at this time. */
            run = sim->now_q[sim->now_head].ev;
            sim->now_head = (sim->now_head + 1) & (sim->now_cap - 1);
            sim->now_len--;
        } else {
            const Refill r = refill(sim, until);
            if (r == REFILL_EMPTY) {
                result = NS_SIM_EMPTY;
                break;
            }
            if (r == REFILL_BEYOND || sim->heap[0].time > until) {
                /* Never true for until == NS_TIME_NEVER: no event is there. */
                sim->now = until;
                result = NS_SIM_TIME;
                break;
            }
            const HeapEntry top = sim->heap[0];
            heap_remove(sim, 0);
            if (sim->heap_len > 0)
                __builtin_prefetch(event_at(sim, sim->heap[0].ev));
            g_assert(top.time >= sim->now); /* the clock never goes back */
            sim->now = top.time;
            run = top.ev;
        }
        const Event ev = *event_at(sim, run);
        /* Freed before the call: the running event's handle is already
         * stale, and whatever it schedules reuses this record. */
        event_free(sim, run);
        sim->pending--;
        sim->events_run++;
        ran++;
        ev.fn(sim, ev.obj, ev.arg);
    }
    sim->running = false;
    return result;
}

void ns_sim_stop(NsSim *sim)
{
    g_return_if_fail(sim != NULL);
    sim->stop = true;
}

size_t ns_sim_pending(const NsSim *sim)
{
    g_return_val_if_fail(sim != NULL, 0);
    return sim->pending;
}

uint64_t ns_sim_events_run(const NsSim *sim)
{
    g_return_val_if_fail(sim != NULL, 0);
    return sim->events_run;
}

/* ---- sim-private.h ------------------------------------------------------- */

size_t ns_sim_mem_bytes(const NsSim *sim)
{
    size_t n = sizeof *sim;
    n += slabs_mem_bytes(&sim->events) + slabs_mem_bytes(&sim->chunks);
    n += (size_t)sim->heap_cap * sizeof(HeapEntry);
    n += (size_t)sim->now_cap * sizeof(NowEntry);
    for (uint32_t i = 0; i < NBUCKETS; i++)
        n += (size_t)sim->buckets[i].dir_cap * sizeof(uint32_t);
    return n;
}

size_t ns_sim_heap_size(const NsSim *sim)
{
    return sim->heap_len;
}

size_t ns_sim_pool_capacity(const NsSim *sim)
{
    return (size_t)sim->events.n * EVENT_SLAB;
}

void ns_sim_set_next_seq(NsSim *sim, uint64_t seq)
{
    g_return_if_fail(seq >= sim->next_seq && seq < SEQ_LIMIT);
    sim->next_seq = seq;
}

#define CHECK(cond)                                                 \
    do {                                                            \
        if (!(cond)) {                                              \
            g_warning("ns_sim_check: %s (line %d)", #cond, __LINE__); \
            return false;                                           \
        }                                                           \
    } while (0)

static bool check_event(const NsSim *sim, uint32_t i, uint32_t where, uint32_t pos, uint64_t seq)
{
    CHECK(i < sim->pool_len);
    const Event *ev = event_at(sim, i);
    CHECK(ev->where == where && ev->pos == pos);
    CHECK(ev->seq_hi == (uint16_t)(seq >> 32));
    CHECK(ev->fn != NULL);
    CHECK(seq < sim->next_seq);
    return true;
}

bool ns_sim_check(const NsSim *sim)
{
    size_t count = 0;
    CHECK(sim->last <= sim->heap_limit);
    for (uint32_t i = 0; i < sim->heap_len; i++) {
        const HeapEntry *h = &sim->heap[i];
        CHECK(h->time >= sim->now && (uint64_t)h->time < sim->heap_limit);
        CHECK(i == 0 || !heap_less(h, &sim->heap[(i - 1) / 2]));
        if (!check_event(sim, h->ev, WHERE_HEAP, i, h->seq))
            return false;
        count++;
    }
    uint32_t used_chunks = 0;
    for (uint32_t bi = 0; bi < NBUCKETS; bi++) {
        const Bucket *b = &sim->buckets[bi];
        const bool marked = (sim->occupied[bi / 64] >> (bi % 64)) & 1;
        CHECK(marked == (b->len != 0));
        CHECK(b->len == 0 ? b->min == INT64_MAX : bucket_of((uint64_t)b->min, sim->last) == bi);
        CHECK(((sim->word_mask >> (bi / 64)) & 1) == (sim->occupied[bi / 64] != 0));
        for (uint32_t pos = 0; pos < b->len; pos++) {
            const Entry *e = entry_at(sim, b, pos);
            CHECK(e->time >= sim->now && (uint64_t)e->time >= sim->heap_limit);
            CHECK(e->time >= b->min);
            CHECK(bucket_of((uint64_t)e->time, sim->last) == bi);
            if (!check_event(sim, e->ev, bi, pos, event_seq(sim, e)))
                return false;
            count++;
        }
        used_chunks += (b->len + CHUNK - 1) / CHUNK;
    }
    uint64_t heap_now_max = 0; /* the latest sequence at `now` in the heap, plus one */
    for (uint32_t i = 0; i < sim->heap_len; i++)
        if (sim->heap[i].time == sim->now && sim->heap[i].seq + 1 > heap_now_max)
            heap_now_max = sim->heap[i].seq + 1;
    CHECK(sim->now_len <= sim->now_cap);
    CHECK(sim->now_len == 0 || (uint64_t)sim->now < sim->heap_limit);
    uint64_t prev = 0;
    for (uint32_t k = 0; k < sim->now_len; k++) {
        const uint32_t pos = (sim->now_head + k) & (sim->now_cap - 1);
        const NowEntry *e = &sim->now_q[pos];
        if (e->ev == NO_INDEX)
            continue;
        CHECK(e->ev < sim->pool_len);
        const uint64_t seq = (uint64_t)event_at(sim, e->ev)->seq_hi << 32 | e->seq_lo;
        CHECK(seq + 1 > heap_now_max && seq + 1 > prev); /* FIFO, after the heap's */
        prev = seq + 1;
        if (!check_event(sim, e->ev, WHERE_NOW, pos, seq))
            return false;
        count++;
    }
    CHECK(count == sim->pending);

    size_t free_events = 0;
    for (uint32_t i = sim->free_head; i != NO_INDEX; i = event_at(sim, i)->pos) {
        CHECK(i < sim->pool_len && event_at(sim, i)->where == WHERE_FREE);
        CHECK(++free_events <= sim->pool_len);
    }
    CHECK(free_events + sim->pending == sim->pool_len);

    uint32_t free_chunks = 0;
    for (uint32_t c = sim->free_chunk; c != NO_INDEX; c = chunk_at(sim, c)->e[0].ev) {
        CHECK(c < sim->chunks_len);
        CHECK(++free_chunks <= sim->chunks_len);
    }
    CHECK(free_chunks + used_chunks == sim->chunks_len);
    return true;
}
