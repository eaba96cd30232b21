// The per-CPU area and processor identification with cpuid. The
// descriptor tables and entries are per arch (desc.c).

#include "types.h"
#include "defs.h"
#include "proc.h"
#include "x86.h"

struct cpu cpu;

// Print the vendor and model and check for what the arch's boot path
// relies on (cpu_check_features, desc.c).
void cpu_identify(void)
{
	u32 a, b, c, d, max;
	char vendor[13];

	cpuid(0, &max, &b, &c, &d);
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	vendor[12] = '\0';
	cpuid(1, &a, &b, &c, &d);
	u32 family = (a >> 8) & 0xf, model = (a >> 4) & 0xf;
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	if (family >= 6)
		model |= ((a >> 16) & 0xf) << 4;
	kprintf("kernel: cpu vendor=%s family=%u model=%u max_leaf=%u\n",
		vendor, family, model, max);
	cpu_check_features();
}
