/*
 * twctl report --format html: a report (the report request's data) as
 * one self-contained HTML page.
 */
#ifndef TW_REPORT_HTML_H
#define TW_REPORT_HTML_H

#include <jansson.h>
#include <stdio.h>

void report_html(const json_t *report, FILE *fp);

#endif
