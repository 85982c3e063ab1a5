/* postroomctl report send-now: qmgr sends the DMARC aggregate and TLS-RPT
 * reports gathered in data_dir/reports so far (doc/authentication.md),
 * without waiting for the end of [mailauth] report_interval. */
#include "core/xmalloc.h"
#include "postroomctl.h"
#include "queue/queue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_report(struct ctl *ctl, int argc, char **argv)
{
	if (argc != 1 || strcmp(argv[0], "send-now") != 0)
		return ctl_usage(ctl, "report send-now");
	char *dir = settings_data_path(&ctl->settings, "queue");
	int ret = queue_report_request(dir);
	int err = errno;
	free(dir);
	if (ret < 0)
		return ctl_error(ctl,
		                 "cannot reach qmgr: %s (is postroomd "
		                 "running?)",
		                 strerror(err));
	printf("report run requested\n");
	return CTL_EXIT_OK;
}
