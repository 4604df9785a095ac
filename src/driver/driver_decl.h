/* SPDX-License-Identifier: MIT */
/* The driver's entry points of one type; driver.h includes it once per type's traits. */

/* out[p] (seq_len × cols, contiguous) = X (seq_len × d_model) · W[p] (d_model × cols) for
 * p < count ≤ 3, cut as *pp says; scratch holds pp->scratch_bytes bytes, any alignment. */
void SFX(mha_project)(const mha_project_plan *pp, const STORE *X, size_t seq_len, size_t d_model,
                      const STORE *const W[], STORE *const out[], size_t count, size_t cols,
                      void *scratch);

/* out (and lse, if not NULL) = attention as *d describes, cut as *plan says; workspace holds
 * plan->ws_bytes bytes, any alignment. */
void SFX(mha_attend)(const mha_attention_desc *d, const mha_plan *plan, const STORE *Q,
                     const STORE *K, const STORE *V, const REAL *mask, STORE *out, REAL *lse,
                     void *workspace);
