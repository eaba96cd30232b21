// 64-bit division for i386, which has no instruction for it: gcc calls
// these libgcc helpers for u64 / and %. The kernel and the user programs
// are freestanding and link no libgcc (a 32-bit one is not always
// installed), so both link this file. Shift and subtract: slow, but only
// printing and the benchmarks' arithmetic divide 64-bit numbers.

typedef unsigned long long u64;
typedef long long s64;

u64 __udivmoddi4(u64 n, u64 d, u64 *rem);
u64 __udivdi3(u64 n, u64 d);
u64 __umoddi3(u64 n, u64 d);
s64 __divdi3(s64 n, s64 d);
s64 __moddi3(s64 n, s64 d);

// Division by zero returns all ones (the callers never divide by zero).
u64 __udivmoddi4(u64 n, u64 d, u64 *rem)
{
	u64 q = 0, r = 0;

	if (d == 0) {
		if (rem)
			*rem = n;
		return ~0ULL;
	}
	for (int i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ULL << i;
		}
	}
	if (rem)
		*rem = r;
	return q;
}

u64 __udivdi3(u64 n, u64 d)
{
	return __udivmoddi4(n, d, 0);
}

u64 __umoddi3(u64 n, u64 d)
{
	u64 r;
	__udivmoddi4(n, d, &r);
	return r;
}

// Truncating toward zero, as C requires.
s64 __divdi3(s64 n, s64 d)
{
	u64 q = __udivmoddi4(n < 0 ? -(u64)n : (u64)n, d < 0 ? -(u64)d : (u64)d, 0);
	return (n < 0) != (d < 0) ? -(s64)q : (s64)q;
}

s64 __moddi3(s64 n, s64 d)
{
	u64 r;
	__udivmoddi4(n < 0 ? -(u64)n : (u64)n, d < 0 ? -(u64)d : (u64)d, &r);
	return n < 0 ? -(s64)r : (s64)r;
}
