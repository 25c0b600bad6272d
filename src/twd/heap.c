/*
 * twd's heap around loads of the tasks file: one arena for every thread,
 * huge pages for a big load, and what a load freed given back after it.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "log.h"

#ifdef __GLIBC__
/*
 * The heap a load of the tasks file may fill, per byte of the file: 100,000
 * tasks in 6.6 MB fill 33 MB (`make bench`, load), with room for longer
 * commands and fields of their own. Too much costs little (a page a piece
 * asked; the rest is never touched), too little leaves 4 KiB pages.
 */
#define HEAP_PER_BYTE 10
/* Below this, the load stays in small pages: 2 MB ones would show in RSS. */
#define HEAP_HUGE_MIN  (16UL << 20)
#define HEAP_PIECE     (16UL << 20)
#define HEAP_HUGE_PAGE (2UL << 20)

static int heap_advised;
#endif

/*
 * Have a big tasks file's load fill the heap in transparent huge pages
 * (THP is "madvise" by default on Debian and Ubuntu). Its tasks are
 * hundreds of thousands of small allocations, and each 4 KiB page they
 * first touch is a fault: on a VM, 15,000 faults were a third of the start
 * with 100,000 tasks (0.47 s, 0.30 s with huge pages; `make bench`, load).
 * glibc carves small allocations from the top of the heap, so the heap is
 * grown to the size the load will fill, that range advised, and freed back
 * into the top, where it stays until heap_trim. What the load does not
 * use is never touched, then trimmed.
 */
void
heap_expect(const char *path)
{
#ifdef __GLIBC__
	void *piece[8];
	uintptr_t lo, hi;
	struct stat sb;
	size_t want, n;

	if (stat(path, &sb) == -1 ||
	    (want = (size_t)sb.st_size * HEAP_PER_BYTE) < HEAP_HUGE_MIN) {
		return;
	}
	/* Pieces under the mmap threshold come from the heap's top. */
	mallopt(M_MMAP_THRESHOLD, (int)(2 * HEAP_PIECE));
	mallopt(M_TRIM_THRESHOLD,
	    (int)((sizeof piece / sizeof piece[0] + 1) * HEAP_PIECE));
	heap_advised = 1;
	for (n = 0; n < sizeof piece / sizeof piece[0] && n * HEAP_PIECE < want;
	     n++) {
		if ((piece[n] = malloc(HEAP_PIECE)) == NULL) {
			break;
		}
	}
	if (n == 0) {
		return;
	}
	lo = ((uintptr_t)piece[0] + HEAP_HUGE_PAGE - 1) & ~(HEAP_HUGE_PAGE - 1);
	hi = ((uintptr_t)piece[n - 1] + HEAP_PIECE) & ~(HEAP_HUGE_PAGE - 1);
	if (hi > lo && madvise((void *)lo, hi - lo, MADV_HUGEPAGE) == -1) {
		log_debug("no huge pages for the load: %s", strerror(errno));
	}
	while (n > 0) {
		free(piece[--n]);
	}
#else
	(void)path;
#endif
}

void
heap_one_arena(void)
{
#ifdef __GLIBC__
	/*
	 * One heap for the loop and the reload thread: what a reload builds
	 * lands where heap_expect prepared room and heap_trim trims, not in
	 * a second arena kept for the thread.
	 */
	mallopt(M_ARENA_MAX, 1);
#endif
}

/*
 * Give the kernel back what a load used and freed (the config it
 * replaced): glibc keeps freed pages inside the heap, and the daemon would
 * sit at the load's peak for ever.
 */
void
heap_trim(void)
{
#ifdef __GLIBC__
	if (heap_advised) {
		/* glibc's defaults, for what heap_expect changed. */
		mallopt(M_MMAP_THRESHOLD, 128 * 1024);
		mallopt(M_TRIM_THRESHOLD, 128 * 1024);
		heap_advised = 0;
	}
	malloc_trim(0);
#endif
}
