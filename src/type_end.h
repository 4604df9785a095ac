/* SPDX-License-Identifier: MIT */
/* Ends one instantiation: forgets the traits of type_<T>.h, so the next type can define them. */
#undef STORE
#undef REAL
#undef REAL_MAX
#undef DTYPE
#undef PUB
#undef SFX
#undef RSFX
#undef EXP
#undef LOG
#undef STAGE_IMPL
#undef TYPE_NAME
#undef WIDEN
#undef NARROW
#undef HALF_GEMM
#undef HALF_GEMM_OUT
