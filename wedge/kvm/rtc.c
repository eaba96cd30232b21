// SPDX-License-Identifier: MIT
/*
 * The CMOS real-time clock (MC146818) at ports 0x70 (index) and 0x71
 * (data): the host's UTC time, read when the guest reads a time register,
 * in BCD or binary and 12- or 24-hour form as status register B asks.
 * Never updating (UIP clear), no alarms, no periodic interrupt; the other
 * CMOS bytes hold what the guest writes.  Without it Linux polls a
 * missing clock for UIP 10,000 times at boot, two exits each.
 */
#include <string.h>
#include <time.h>

#include "kvm.h"

#define RTC_PORT	0x70
#define RTC_SECONDS	0x00
#define RTC_MINUTES	0x02
#define RTC_HOURS	0x04
#define RTC_WEEKDAY	0x06
#define RTC_DAY		0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_REG_A	0x0a
#define RTC_REG_B	0x0b
#define RTC_REG_C	0x0c
#define RTC_REG_D	0x0d
#define RTC_CENTURY	0x32

#define REG_B_24H	0x02
#define REG_B_BINARY	0x04
#define REG_D_VRT	0x80	/* valid RAM and time */
#define HOUR_PM		0x80

static struct {
	uint8_t index;
	uint8_t cmos[128];
} rtc = {
	.cmos = { [RTC_REG_A] = 0x26, [RTC_REG_B] = REG_B_24H },
};

static uint8_t rtc_encode(unsigned int v)
{
	if (rtc.cmos[RTC_REG_B] & REG_B_BINARY)
		return v;
	return (v / 10) << 4 | v % 10;
}

static uint8_t rtc_hours(unsigned int h)
{
	bool pm = h >= 12;

	if (rtc.cmos[RTC_REG_B] & REG_B_24H)
		return rtc_encode(h);
	h %= 12;
	return rtc_encode(h ? h : 12) | (pm ? HOUR_PM : 0);
}

static uint8_t rtc_read(unsigned int reg)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (reg) {
	case RTC_SECONDS:	return rtc_encode(tm.tm_sec > 59 ? 59 : tm.tm_sec);
	case RTC_MINUTES:	return rtc_encode(tm.tm_min);
	case RTC_HOURS:		return rtc_hours(tm.tm_hour);
	case RTC_WEEKDAY:	return rtc_encode(tm.tm_wday + 1);
	case RTC_DAY:		return rtc_encode(tm.tm_mday);
	case RTC_MONTH:		return rtc_encode(tm.tm_mon + 1);
	case RTC_YEAR:		return rtc_encode(tm.tm_year % 100);
	case RTC_CENTURY:	return rtc_encode(19 + tm.tm_year / 100);
	case RTC_REG_A:		return rtc.cmos[RTC_REG_A] & 0x7f;	/* UIP 0 */
	case RTC_REG_C:		return 0;
	case RTC_REG_D:		return REG_D_VRT;
	default:		return rtc.cmos[reg];
	}
}

static void rtc_io(struct kvm *kvm, uint16_t port, uint8_t *data,
		   unsigned int size, bool out, void *ptr)
{
	(void)kvm;
	(void)ptr;
	if (port == RTC_PORT) {
		if (out)
			rtc.index = data[0] & 0x7f;	/* bit 7: NMI mask */
		else
			memset(data, 0xff, size);
		return;
	}
	if (out) {
		if (rtc.index != RTC_REG_C && rtc.index != RTC_REG_D)
			rtc.cmos[rtc.index] = data[0];
	} else {
		memset(data, 0, size);
		data[0] = rtc_read(rtc.index);
	}
}

static int rtc__init(struct kvm *kvm)
{
	/* gmtime_r() reads the time zone files on its first call: now,
	 * before the seccomp allow-list forbids opening them. */
	tzset();
	(void)kvm;
	return kvm__register_pio(RTC_PORT, 2, rtc_io, NULL);
}
dev_init(rtc__init);
