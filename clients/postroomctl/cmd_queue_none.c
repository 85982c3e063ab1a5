/* postroomctl queue list, for a build without lib/queue. */
#include "postroomctl.h"

int cmd_queue(struct ctl *ctl, int argc, char **argv)
{
	ctl->cmd = "queue list";
	return ctl_error(ctl, "this build has no queue support");
}
