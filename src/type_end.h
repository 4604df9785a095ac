/* SPDX-License-Identifier: MIT */
/* Ends one instantiation: forgets the traits of type_<T>.h, so the next type can define them. */
#undef STORE
#undef REAL
#undef REAL_MAX
#undef DTYPE
#undef PUB
#undef SFX
#undef EXP
#undef LOG
