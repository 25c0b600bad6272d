/*
 * The machine's pressure stall information (PSI, Linux 4.20): the share
 * of the last ten seconds in which some task stalled for CPU, memory or
 * I/O, from /proc/pressure (or TW_PSI_DIR, for tests).
 */
#ifndef TW_PSI_H
#define TW_PSI_H

enum psi_kind { PSI_CPU, PSI_MEMORY, PSI_IO, PSI_KINDS };

/* "cpu", "memory", "io". */
const char *psi_name(enum psi_kind);
/* The "some avg10" of kind, a percentage; -1 when it cannot be read. */
double psi_some_avg10(enum psi_kind);

#endif
