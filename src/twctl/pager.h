/*
 * Long output through a pager when it goes to a terminal, as git and
 * journalctl do: $TW_PAGER, else $PAGER, else less (with LESS=FRX unless
 * LESS is set: it quits when the text fits on one screen, and keeps
 * colours and the screen as they were).
 */
#ifndef TW_PAGER_H
#define TW_PAGER_H

/* From here on no pager starts (--no-pager). */
void pager_disable(void);
/*
 * Send standard output to the pager from now until twctl exits, if it is
 * a terminal and there is a pager. Idempotent.
 */
void pager_start(void);

#endif
