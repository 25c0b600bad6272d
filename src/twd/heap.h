/*
 * twd's heap around loads of the tasks file (glibc; elsewhere no-ops).
 */
#ifndef TW_HEAP_H
#define TW_HEAP_H

/* Before any thread: one malloc arena for all. */
void heap_one_arena(void);
/* Before a load of the tasks file at path: a big one lands in huge pages. */
void heap_expect(const char *path);
/* After a load: give back what it freed, and undo what heap_expect set. */
void heap_trim(void);

#endif
