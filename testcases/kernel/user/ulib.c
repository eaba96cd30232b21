// A tiny libc: strings and a printf that formats into a buffer and
// writes it with one system call (so each line reaches the console whole).

#include "user.h"

long strlen(const char *s)
{
	long n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, long n)
{
	for (; n > 0 && *a && *a == *b; n--)
		a++, b++;
	return n > 0 ? (unsigned char)*a - (unsigned char)*b : 0;
}

void *memset(void *dst, int c, long n)
{
	char *d = dst;
	while (n-- > 0)
		*d++ = (char)c;
	return dst;
}

void *memcpy(void *dst, const void *src, long n)
{
	char *d = dst;
	const char *s = src;
	while (n-- > 0)
		*d++ = *s++;
	return dst;
}

long atol(const char *s)
{
	long v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

struct out {
	char *buf;
	int n, len;              // capacity, bytes produced (may exceed n)
};

static void put(struct out *o, char c)
{
	if (o->len < o->n - 1)
		o->buf[o->len] = c;
	o->len++;
}

static void put_number(struct out *o, u64 x, int base, int neg, int width, char pad)
{
	char tmp[24];
	int i = 0;
	do {
		tmp[i++] = "0123456789abcdef"[x % base];
		x /= base;
	} while (x);
	if (neg)
		tmp[i++] = '-';
	while (i < width && i < (int)sizeof(tmp))
		tmp[i++] = pad;
	while (i > 0)
		put(o, tmp[--i]);
}

// %d %u %x %s %c %% with an optional 0 flag, width, l and ll.
int vsnprintf(char *buf, int n, const char *fmt, va_list ap)
{
	struct out o = { buf, n, 0 };
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, nlong = 0;
		if (*++fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			nlong++, fmt++;
		if (*fmt == 'd') {
			long long v = nlong > 1 ? va_arg(ap, long long) :
				      nlong ? va_arg(ap, long) : va_arg(ap, int);
			put_number(&o, v < 0 ? -(u64)v : (u64)v, 10, v < 0, width, pad);
		} else if (*fmt == 'u' || *fmt == 'x') {
			u64 v = nlong > 1 ? va_arg(ap, unsigned long long) :
				nlong ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			put_number(&o, v, *fmt == 'u' ? 10 : 16, 0, width, pad);
		} else if (*fmt == 's') {
			for (const char *s = va_arg(ap, const char *); *s; s++)
				put(&o, *s);
		} else if (*fmt == 'c') {
			put(&o, (char)va_arg(ap, int));
		} else if (*fmt == '\0') {
			break;
		} else {
			put(&o, *fmt);
		}
	}
	if (n > 0)
		o.buf[o.len < n ? o.len : n - 1] = '\0';
	return o.len;
}

int snprintf(char *buf, int n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return len;
}

int printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len > (int)sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	return write(1, buf, len);
}
