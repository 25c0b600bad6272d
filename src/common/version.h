/*
 * The release version, shown by --version and reported by "status".
 */
#ifndef TW_VERSION_H
#define TW_VERSION_H

#define TW_VERSION "0.1.0"

#endif
