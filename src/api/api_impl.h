/* SPDX-License-Identifier: MIT */
/* Every exported function of one precision: validate → empty call? → driver. Nothing else.
 * Included by api.c once per type, after that type's traits (type_f32.h, …). */

/* A validated, non-empty projection: planned, with its scratch (half types) allocated here. */
static mha_status SFX(project)(const STORE *X, size_t seq_len, size_t d_model,
                               const STORE *const W[], STORE *const out[], size_t count,
                               size_t cols)
{
    mha_project_plan pp;
    if (!mha_plan_project(DTYPE, seq_len, d_model, count, cols, &pp))
        return MHA_ERR_TOO_LARGE;
    void *scratch = NULL;
    if (pp.scratch_bytes != 0 && (scratch = mha_alloc(pp.scratch_bytes)) == NULL)
        return MHA_ERR_OUT_OF_MEMORY;
    SFX(mha_project)(&pp, X, seq_len, d_model, W, out, count, cols, scratch);
    mha_free(scratch);
    return MHA_OK;
}

mha_status PUB(mha_compute_qkv)(const STORE *X, const STORE *W_q, const STORE *W_k,
                                const STORE *W_v, size_t seq_len, size_t d_model, STORE *Q,
                                STORE *K, STORE *V)
{
    const STORE *const W[3] = {W_q, W_k, W_v};
    STORE *const out[3] = {Q, K, V};
    mha_status s =
        mha_validate_qkv(DTYPE, X, (const void *const *)W, seq_len, d_model, (void *const *)out);
    if (s != MHA_OK || seq_len == 0 || d_model == 0)
        return s;
    return SFX(project)(X, seq_len, d_model, W, out, 3, d_model);
}

mha_status PUB(mha_compute_qkv_fused)(const STORE *X, const STORE *W_qkv, size_t seq_len,
                                      size_t d_model, STORE *QKV)
{
    mha_status s = mha_validate_qkv_fused(DTYPE, X, W_qkv, seq_len, d_model, QKV);
    if (s != MHA_OK || seq_len == 0 || d_model == 0)
        return s;
    return SFX(project)(X, seq_len, d_model, &W_qkv, &QKV, 1, 3 * d_model);
}

/* The general call behind every attention entry point: the caller's workspace when
 * caller_workspace, else one allocated here for the call. Validation reads the caller's
 * descriptor within its struct_size into d; the driver runs on that copy. */
static mha_status SFX(attend)(const mha_attention_desc *desc, const STORE *Q, const STORE *K,
                              const STORE *V, const REAL *mask, STORE *out, REAL *lse,
                              void *workspace, size_t workspace_bytes, bool caller_workspace)
{
    const mha_attention_buffers b = {
        Q, K, V, mask, out, lse, workspace, workspace_bytes, caller_workspace};
    mha_attention_desc d;
    mha_plan plan;
    mha_status s = mha_validate_attention(desc, DTYPE, &b, &d, &plan);
    if (s != MHA_OK || plan.n_tiles == 0) /* an empty call has no tile */
        return s;
    void *ws = caller_workspace ? workspace : mha_alloc(plan.ws_bytes);
    if (ws == NULL)
        return MHA_ERR_OUT_OF_MEMORY;
    SFX(mha_attend)(&d, &plan, Q, K, V, mask, out, lse, ws);
    if (!caller_workspace)
        mha_free(ws);
    return MHA_OK;
}

mha_status PUB(mha_attention)(const mha_attention_desc *desc, const STORE *Q, const STORE *K,
                              const STORE *V, const REAL *mask, STORE *out, REAL *lse)
{
    return SFX(attend)(desc, Q, K, V, mask, out, lse, NULL, 0, false);
}

mha_status PUB(mha_attention_ws)(const mha_attention_desc *desc, const STORE *Q, const STORE *K,
                                 const STORE *V, const REAL *mask, STORE *out, REAL *lse,
                                 void *workspace, size_t workspace_bytes)
{
    return SFX(attend)(desc, Q, K, V, mask, out, lse, workspace, workspace_bytes, true);
}

mha_status PUB(mha_attention_workspace_size)(const mha_attention_desc *desc, size_t *bytes)
{
    mha_plan plan;
    if (bytes == NULL)
        return MHA_ERR_NULL_POINTER;
    mha_status s = mha_validate_desc(desc, DTYPE, &plan);
    if (s == MHA_OK)
        *bytes = plan.ws_bytes;
    return s;
}

mha_status PUB(mha_multi_head_attention)(const STORE *Q, const STORE *K, const STORE *V,
                                         size_t seq_len, size_t d_model, size_t n_heads, STORE *out)
{
    if (n_heads == 0 || d_model % n_heads != 0)
        return MHA_ERR_INVALID_ARGUMENT;
    mha_attention_desc d;
    size_t d_k = d_model / n_heads;
    mha_attention_desc_init(&d, seq_len, seq_len, n_heads, n_heads, d_k, d_k);
    return PUB(mha_attention)(&d, Q, K, V, NULL, out, NULL);
}

mha_status PUB(mha_self_attention)(const STORE *Q, const STORE *K, const STORE *V, size_t seq_len,
                                   size_t d_k, STORE *out)
{
    return PUB(mha_multi_head_attention)(Q, K, V, seq_len, d_k, 1, out);
}
