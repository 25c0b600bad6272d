/*
 * PSI's files: "some avg10=1.23 avg60=0.50 avg300=0.10 total=12345".
 */
#include <stdio.h>

#include "config.h"
#include "psi.h"

static const char *const psi_names[PSI_KINDS] = {
	[PSI_CPU] = "cpu",
	[PSI_MEMORY] = "memory",
	[PSI_IO] = "io",
};

const char *
psi_name(enum psi_kind k)
{
	return psi_names[k];
}

double
psi_some_avg10(enum psi_kind k)
{
	char path[4096];
	double pct = -1;
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", config_psi_dir(), psi_names[k]);
	if ((fp = fopen(path, "re")) == NULL) {
		return -1;
	}
	if (fscanf(fp, "some avg10=%lf", &pct) != 1) {
		pct = -1;
	}
	fclose(fp);
	return pct;
}
