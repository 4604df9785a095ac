/* SPDX-License-Identifier: MIT */
/* The ring schedule and the exported functions of one precision, written once over the type
 * traits (type_<T>.h: STORE the caller's matrices and the shards on the wire, REAL the
 * computation, PUB() and SFX() the names, RPUB() the core's functions on REAL, and for the half
 * types PUB_WIDEN and PUB_NARROW, the core's exported conversions: libmha_mpi is a client of the
 * public API); ring.c includes it once per type (each_type_impl.h).
 *
 * Half types: the shards travel in STORE (half the bytes of float); each rank widens its queries
 * once per call and each shard it holds once per step into float buffers, runs the float ring on
 * them, and rounds the float result once into the caller's out.
 *
 * Step s (0 ≤ s < steps) on rank r of P, holding the packed K/V shard of rank src = (r − s) mod P:
 *
 *   post   Irecv(next shard ← r − 1), Isend(this shard → r + 1)     if anyone downstream needs it
 *   attend this rank's queries against the shard, block by block    mha_attention_ws()
 *          merge each block into the running result                 mha_attention_merge()
 *          MPI_Testall between blocks, so the transfer progresses meanwhile
 *   wait   for both transfers; the two buffers swap roles
 *
 * Causal, each of this rank's pieces (chunks of the layout) sees a prefix of the shard's rows:
 * the pieces of earlier chunks whole, then its own chunk up to the diagonal, nothing later
 * (mha_ring_visible()); a piece that sees nothing is not computed. Contiguous, shard src is in
 * r's future when src > r — which happens exactly when s > r, after every useful shard. So rank r
 * runs r + 1 steps, and a shard stops at rank P − 1: no rank downstream of the wrap-around needs
 * it. Zigzag, the front chunk of every shard is in every rank's past: all P steps run. */

/* The MPI datatype of STORE: the half types travel as 16-bit integers. */
#define RING_MPI_TYPE                                                                              \
    _Generic((STORE *)0,                                                                           \
        float *: MPI_FLOAT,                                                                        \
        double *: MPI_DOUBLE,                                                                      \
        mha_bf16 *: MPI_UINT16_T,                                                                  \
        mha_f16 *: MPI_UINT16_T)

/* Everything one rank holds during a call. kv[2]: the transfer buffers; acc, acc_lse: the
 * running result over the shards seen so far (packed, n rows per batch item; the log-sum-exps in
 * blocks of chunk_rows rows, each laid out as mha_attention() writes one block's); tmp, tmp_lse:
 * one block's partial result; ws: mha_attention_ws()'s workspace. */
typedef struct SFX(ring_bufs) {
    STORE *kv[2];
    REAL *acc, *tmp, *acc_lse, *tmp_lse;
    /* Half types only (else NULL): the shard held and the queries, widened. */
    REAL *wide_kv, *wide_q;
    void *ws;
} SFX(ring_bufs);

/* What the schedule reads. */
typedef struct SFX(ring_ctx) {
    const mha_attention_desc *d;
    const mha_ring_plan *p;
    const REAL *Q;
    SFX(ring_bufs) * b;
} SFX(ring_ctx);

static mha_status SFX(alloc_bufs)(const mha_ring_plan *p, SFX(ring_bufs) * b)
{
    b->kv[0] = mha_ring_alloc(p->kv_elems, sizeof(STORE));
    b->kv[1] = mha_ring_alloc(p->kv_elems, sizeof(STORE));
    b->acc = mha_ring_alloc(p->acc_elems, sizeof(REAL));
    b->tmp = mha_ring_alloc(p->tmp_elems, sizeof(REAL));
    b->acc_lse = mha_ring_alloc(p->acc_lse_elems, sizeof(REAL));
    b->tmp_lse = mha_ring_alloc(p->tmp_lse_elems, sizeof(REAL));
    b->ws = mha_alloc(p->ws_bytes ? p->ws_bytes : 1);
    bool ok = b->kv[0] && b->kv[1] && b->acc && b->tmp && b->acc_lse && b->tmp_lse && b->ws;
#ifdef WIDEN
    b->wide_kv = mha_ring_alloc(p->kv_elems, sizeof(REAL));
    b->wide_q = mha_ring_alloc(p->q_elems, sizeof(REAL));
    ok = ok && b->wide_kv && b->wide_q;
#endif
    return ok ? MHA_OK : MHA_ERR_OUT_OF_MEMORY;
}

/* keep_kv: MPI may still write into the transfer buffers (a failed call); leave them. */
static void SFX(free_bufs)(SFX(ring_bufs) * b, bool keep_kv)
{
    if (!keep_kv) {
        mha_free(b->kv[0]);
        mha_free(b->kv[1]);
    }
    mha_free(b->acc);
    mha_free(b->tmp);
    mha_free(b->acc_lse);
    mha_free(b->tmp_lse);
    mha_free(b->wide_kv);
    mha_free(b->wide_q);
    mha_free(b->ws);
}

/* This rank's K and V, caller's layout → one contiguous message: K (batch·n × k_w), V (batch·n ×
 * v_w). */
static void SFX(pack_shard)(const mha_attention_desc *d, const mha_ring_plan *p, const STORE *K,
                            const STORE *V, STORE *buf)
{
    STORE *bv = buf + mha_ring_v_offset(p, d->batch, p->n);
    for (size_t bi = 0; bi < d->batch; bi++)
        for (size_t i = 0; i < p->n; i++) {
            size_t row = bi * p->n + i;
            if (p->k_w)
                memcpy(buf + row * p->k_w, K + bi * d->batch_stride_k + i * d->ld_k,
                       p->k_w * sizeof(STORE));
            if (p->v_w)
                memcpy(bv + row * p->v_w, V + bi * d->batch_stride_v + i * d->ld_v,
                       p->v_w * sizeof(STORE));
        }
}

/* This rank's queries as the blocks read them, and in *dq the descriptor that lays them out. Half
 * types: widened once per call into wide_q, packed (n rows of n_heads·d_head per batch item). The
 * plan sized the workspace on the caller's descriptor; only the queries' strides differ here, and
 * mha_attention()'s workspace depends on the shape alone (src/plan.c), not on strides. */
static const REAL *SFX(real_queries)(const mha_attention_desc *d, const mha_ring_plan *p,
                                     const STORE *Q, REAL *wide_q, mha_attention_desc *dq)
{
    *dq = *d;
#ifdef WIDEN
    const size_t q_w = d->n_heads * d->d_head;
    for (size_t bi = 0; bi < d->batch && q_w; bi++)
        for (size_t i = 0; i < p->n; i++) /* valid arguments: never an error */
            (void)PUB_WIDEN(Q + bi * d->batch_stride_q + i * d->ld_q,
                            wide_q + (bi * p->n + i) * q_w, q_w);
    dq->ld_q = q_w;
    dq->batch_stride_q = p->n * q_w;
    return wide_q;
#else
    (void)p;
    (void)wide_q;
    return Q;
#endif
}

/* The packed shard held (elems elements) as the blocks read it. Half types: widened once per
 * step into wide_kv; K and V keep their offsets (mha_ring_v_offset()). */
static const REAL *SFX(real_shard)(const SFX(ring_bufs) * b, const STORE *kv, size_t elems)
{
#ifdef WIDEN
    (void)PUB_WIDEN(kv, b->wide_kv, elems); /* valid arguments: never an error */
    return b->wide_kv;
#else
    (void)b;
    (void)elems;
    return kv;
#endif
}

/* The running result → the caller's out (its layout; half types: each element rounded once) and
 * lse (batch × n_heads × n). */
static void SFX(unpack_result)(const SFX(ring_ctx) * c, STORE *out, REAL *lse)
{
    const mha_attention_desc *d = c->d;
    const mha_ring_plan *p = c->p;
    for (size_t bi = 0; bi < d->batch && p->o_w; bi++)
        for (size_t i = 0; i < p->n; i++) {
            STORE *dst = out + bi * d->batch_stride_out + i * d->ld_out;
            const REAL *src = c->b->acc + (bi * p->n + i) * p->o_w;
#ifdef WIDEN
            (void)PUB_NARROW(src, dst, p->o_w); /* valid arguments: never an error */
#else
            memcpy(dst, src, p->o_w * sizeof(REAL));
#endif
        }
    if (lse == NULL)
        return;
    const size_t bh = d->batch * d->n_heads;
    for (size_t r0 = 0, m; r0 < p->n; r0 += m) {
        m = mha_ring_block_rows(p, r0);
        for (size_t k = 0; k < bh; k++) /* k = b·n_heads + h */
            memcpy(lse + k * p->n + r0, c->b->acc_lse + bh * r0 + k * m, m * sizeof(REAL));
    }
}

/* One block: this rank's query rows [r0, r0 + m) against the first `keys` keys of a packed shard
 * of src_rows rows (causal: the last of them on the diagonal). own: the shard is this rank's
 * (step 0, the first computed), so the block is written straight into the running result; any
 * other shard's block is merged into it. */
static mha_status SFX(attend_block)(const SFX(ring_ctx) * c, const REAL *kv, size_t src_rows,
                                    size_t r0, size_t m, size_t keys, bool causal, bool own)
{
    const mha_attention_desc *d = c->d;
    const mha_ring_plan *p = c->p;
    SFX(ring_bufs) *b = c->b;
    const size_t bh = d->batch * d->n_heads;
    const REAL *k = kv, *v = kv + mha_ring_v_offset(p, d->batch, src_rows);
    REAL *o = own ? b->acc + r0 * p->o_w : b->tmp;
    REAL *l = own ? b->acc_lse + bh * r0 : b->tmp_lse;
    const mha_attention_desc bd =
        mha_ring_block_desc(d, p, m, keys, src_rows, own ? p->n : m, causal);
    mha_status s =
        RPUB(mha_attention_ws)(&bd, c->Q + r0 * d->ld_q, k, v, NULL, o, l, b->ws, p->ws_bytes);
    for (size_t bi = 0; s == MHA_OK && !own && bi < d->batch; bi++) {
        /* In place: acc and acc_lse are both an input and the output. */
        REAL *acc = b->acc + (bi * p->n + r0) * p->o_w;
        REAL *acc_lse = b->acc_lse + bh * r0 + bi * d->n_heads * m;
        s = RPUB(mha_attention_merge)(m, d->n_heads, d->d_v, p->o_w, acc, acc_lse,
                                      b->tmp + bi * m * p->o_w, b->tmp_lse + bi * d->n_heads * m,
                                      acc, acc_lse);
    }
    return s; /* every block was validated by the plan: never an error */
}

/* This rank's queries against the shard of rank src (packed in kv), piece by piece, in blocks of
 * chunk_rows query rows, each piece against the keys it sees (none: skipped). Between blocks,
 * MPI_Testall on the transfers in flight drives their progress. */
static mha_status SFX(attend_shard)(const SFX(ring_ctx) * c, const REAL *kv, int src, bool own,
                                    MPI_Request req[2])
{
    const mha_ring_plan *p = c->p;
    const size_t src_rows = (size_t)p->lengths[src];
    mha_ring_piece kp[2];
    mha_ring_pieces(p->layout, p->total, p->lengths, p->size, src, kp);
    size_t start = 0;
    for (int k = 0; k < 2; start += p->mine[k].rows, k++) {
        size_t prefix;
        bool diagonal;
        mha_ring_visible(kp, p->mine[k].chunk, p->causal, &prefix, &diagonal);
        if (prefix == 0 && !diagonal)
            continue;
        for (size_t off = 0, m; off < p->mine[k].rows; off += m) {
            m = mha_ring_block_rows(p, start + off);
            /* On the diagonal, rows [off, off + m) of the chunk see its keys [0, off + m). */
            const size_t keys = diagonal ? prefix + off + m : prefix;
            mha_status s = SFX(attend_block)(c, kv, src_rows, start + off, m, keys, diagonal, own);
            if (s != MHA_OK)
                return s;
            int done;
            if (MPI_Testall(2, req, &done, MPI_STATUSES_IGNORE) != MPI_SUCCESS)
                return MHA_ERR_MPI;
        }
    }
    return MHA_OK;
}

/* Elements of the message that carries a shard of `rows` rows (<= kv_elems <= INT_MAX). */
static int SFX(message_count)(const mha_attention_desc *d, const mha_ring_plan *p, uint64_t rows)
{
    return (int)(d->batch * (size_t)rows * (p->k_w + p->v_w));
}

/* The P steps. On failure *in_flight tells whether a transfer may still be in progress. */
static mha_status SFX(run_ring)(const SFX(ring_ctx) * c, MPI_Comm ring, const uint64_t *lengths,
                                const STORE *K, const STORE *V, bool *in_flight)
{
    const mha_attention_desc *d = c->d;
    const mha_ring_plan *p = c->p;
    const int r = p->rank, P = p->size, right = (r + 1) % P, left = (r + P - 1) % P;
    const int steps = p->stop_at_last ? r + 1 : P;
    SFX(pack_shard)(d, p, K, V, c->b->kv[0]);
    for (int s = 0; s < steps; s++) {
        const int src = (r - s + P) % P, next_src = (r - s - 1 + P) % P;
        STORE *cur = c->b->kv[s % 2], *next = c->b->kv[(s + 1) % 2];
        MPI_Request req[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
        /* Receive what this rank will use next; send what the right neighbour will use next
         * (contiguous causal: only shards of ranks up to r, and never across the wrap-around). */
        const bool recv = s + 1 < steps;
        const bool send = s + 1 < P && (!p->stop_at_last || (r + 1 < P && s <= r));
        int rc = MPI_SUCCESS;
        if (recv)
            rc = MPI_Irecv(next, SFX(message_count)(d, p, lengths[next_src]), RING_MPI_TYPE, left,
                           MHA_RING_TAG, ring, &req[0]);
        if (rc == MPI_SUCCESS && send)
            rc = MPI_Isend(cur, SFX(message_count)(d, p, lengths[src]), RING_MPI_TYPE, right,
                           MHA_RING_TAG, ring, &req[1]);
        mha_status st = rc == MPI_SUCCESS ? MHA_OK : MHA_ERR_MPI;
        if (st == MHA_OK && p->n > 0 && lengths[src] > 0)
            st = SFX(attend_shard)(
                c, SFX(real_shard)(c->b, cur, (size_t)SFX(message_count)(d, p, lengths[src])), src,
                s == 0, req);
        if (st == MHA_OK && MPI_Waitall(2, req, MPI_STATUSES_IGNORE) != MPI_SUCCESS)
            st = MHA_ERR_MPI;
        if (st != MHA_OK) {
            *in_flight = mha_ring_abandon(req, 2);
            return st;
        }
    }
    return MHA_OK;
}

static mha_status SFX(ring_attention)(const mha_attention_desc *desc, MPI_Comm comm,
                                      mha_ring_layout layout, const STORE *Q, const STORE *K,
                                      const STORE *V, STORE *out, REAL *lse)
{
    int rank, size;
    mha_status s = mha_ring_open(comm, &rank, &size);
    if (s != MHA_OK)
        return s;
    const mha_ring_ws_query wsq = RPUB(mha_attention_workspace_size);
    mha_ring_args a = {desc, layout, Q, K, V, out, lse, sizeof(STORE), sizeof(REAL), wsq};
    uint64_t *lengths = mha_alloc((size_t)size * sizeof *lengths);
    /* The caller's descriptor read within its struct_size (ring_check.c); from here on every
     * rule, plan and block runs on this copy, which is set whenever the local status is OK. */
    mha_attention_desc own = {0};
    const mha_attention_desc *const d = &own;
    s = mha_ring_check_local(&a, &own);
    a.desc = d;
    if (s == MHA_OK && lengths == NULL)
        s = MHA_ERR_OUT_OF_MEMORY;
    /* Collective from here on: every rank goes through the same agreements in the same order. */
    s = mha_ring_agree_args(comm, rank, size, s, d, layout);
    if (s != MHA_OK || d->batch == 0 || d->d_v == 0) { /* error, or an empty call everywhere */
        mha_free(lengths);
        return s;
    }
    mha_ring_plan p;
    SFX(ring_bufs) b = {0};
    s = mha_ring_gather_lengths(comm, d->seq_q, lengths);
    if (s == MHA_OK) {
        mha_status local = mha_ring_plan_call(&a, lengths, rank, size, &p);
        if (local == MHA_OK && !p.empty)
            local = SFX(alloc_bufs)(&p, &b);
        s = mha_ring_agree(comm, rank, size, local);
        if (s == MHA_OK) /* always so: the agreement includes this rank's own status */
            s = local;
    }
    bool in_flight = false;
    if (s == MHA_OK && !p.empty) {
        MPI_Comm ring = MPI_COMM_NULL;
        /* A private duplicate, so that ring messages never match the caller's own. */
        if (size > 1 && MPI_Comm_dup(comm, &ring) != MPI_SUCCESS)
            s = MHA_ERR_MPI;
        mha_attention_desc dq;
        const REAL *q = SFX(real_queries)(d, &p, Q, b.wide_q, &dq);
        const SFX(ring_ctx) c = {&dq, &p, q, &b};
        if (s == MHA_OK)
            s = SFX(run_ring)(&c, ring, lengths, K, V, &in_flight);
        /* After a failed transfer the duplicate is left alone: freeing it is collective. */
        if (s == MHA_OK && ring != MPI_COMM_NULL && MPI_Comm_free(&ring) != MPI_SUCCESS)
            s = MHA_ERR_MPI;
        /* The caller's outputs are written last, after the last MPI call. */
        if (s == MHA_OK)
            SFX(unpack_result)(&c, out, lse);
    }
    SFX(free_bufs)(&b, in_flight);
    mha_free(lengths);
    return s;
}

mha_status PUB(mha_ring_attention)(const mha_attention_desc *desc, MPI_Comm comm, const STORE *Q,
                                   const STORE *K, const STORE *V, STORE *out, REAL *lse)
{
    return SFX(ring_attention)(desc, comm, MHA_RING_CONTIGUOUS, Q, K, V, out, lse);
}

mha_status PUB(mha_ring_attention_ex)(const mha_attention_desc *desc, MPI_Comm comm,
                                      mha_ring_layout layout, const STORE *Q, const STORE *K,
                                      const STORE *V, STORE *out, REAL *lse)
{
    return SFX(ring_attention)(desc, comm, layout, Q, K, V, out, lse);
}

#undef RING_MPI_TYPE
