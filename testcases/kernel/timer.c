// Time: the 8254 PIT channel 0 interrupts HZ times a second through the
// PIC; the TSC is calibrated against those ticks at boot so that cycle
// counts can be printed as nanoseconds.

#include "types.h"
#include "defs.h"
#include "param.h"
#include "x86.h"

#define PIT_CH0   0x40
#define PIT_MODE  0x43
#define PIT_HZ    1193182
#define CALIBRATE_TICKS (HZ / 25)          // 40 ms

volatile uintptr ticks;          // timer interrupts since boot
uintptr tsc_khz;                 // TSC cycles per millisecond

void timer_init(void)
{
	u32 div = (PIT_HZ + HZ / 2) / HZ;
	outb(PIT_MODE, 0x34);                  // channel 0, lo/hi byte, mode 2 (rate)
	outb(PIT_CH0, div & 0xff);
	outb(PIT_CH0, div >> 8);
}

// Called from trap() with interrupts off.
void timer_intr(void)
{
	ticks++;
	wakeup((void *)&ticks);
}

// Spin with interrupts on until `ticks` passes target; panic if no tick
// arrives in a very long time (a host that delivers no timer interrupt).
static void wait_ticks(uintptr target, u64 t0)
{
	while (ticks < target)
		if (rdtsc() - t0 > (1ULL << 36))
			panic("timer: no interrupts from the PIT (ticks=%lu)", ticks);
}

// Measure the TSC over CALIBRATE_TICKS timer periods, tick edge to tick
// edge. Busy waits rather than halts: a wake-up from hlt would add its
// latency to one end only.
void tsc_calibrate(void)
{
	u64 start = rdtsc();
	sti();
	wait_ticks(ticks + 1, start);
	u64 t0 = rdtsc();
	uintptr k0 = ticks;
	wait_ticks(k0 + CALIBRATE_TICKS, start);
	u64 t1 = rdtsc();
	cli();
	tsc_khz = (t1 - t0) * HZ / (CALIBRATE_TICKS * 1000);
	if (tsc_khz == 0)
		tsc_khz = 1;
	kprintf("kernel: timer %d Hz, tsc %lu kHz\n", HZ, tsc_khz);
}
